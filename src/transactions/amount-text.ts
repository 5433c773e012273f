import { CURRENCY_MINOR_UNITS } from './iso-4217.js';

/**
 * An amount as the API shows it: a decimal string with the currency's ISO 4217 minor-unit scale
 * ("129.90" EUR, "1500" JPY, "12.500" KWD), never fewer decimals than the value has. The same rule
 * as PostgreSQL's fg_amount_text (migration 0100), which formats the lists; the ingest formats here,
 * where the amount already is. `canonical` is canonicalAmount's output (no trailing zeros).
 */
export function amountText(canonical: string, currency: string): string {
  const scale = CURRENCY_MINOR_UNITS.get(currency) ?? 2;
  const dot = canonical.indexOf('.');
  const decimals = dot < 0 ? 0 : canonical.length - dot - 1;
  if (decimals >= scale) return canonical;
  return (dot < 0 ? canonical + '.' : canonical) + '0'.repeat(scale - decimals);
}
