/**
 * How the CLI shows a command's result: `--json` prints the JSON document (for scripts and jq);
 * otherwise a table for a list and aligned `field  value` lines for one object (for people).
 */

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** The columns a list shows as a table, by command (a dotted path reaches into a nested object); every scalar field otherwise. */
export const TABLE_COLUMNS: Record<string, string[]> = {
  'tenant:list': ['tenant_id', 'organization_name', 'subdomain', 'plan', 'status', 'usage.active_users', 'usage.active_api_keys', 'usage.transactions_this_month', 'usage.open_alerts', 'created_at'],
};

function at(row: Record<string, unknown>, column: string): unknown {
  return column.split('.').reduce<unknown>((value, key) => (isPlainObject(value) ? value[key] : undefined), row);
}

/** Rows as a table: `columns`, else the fields whose values are scalars (nested ones are left to --json). */
export function table(rows: Record<string, unknown>[], chosen?: string[]): string {
  if (!rows.length) return '(none)';
  const columns: string[] = chosen ? [...chosen] : [];
  if (!chosen) {
    for (const row of rows) {
      for (const [key, value] of Object.entries(row)) if (!columns.includes(key) && !isPlainObject(value) && !Array.isArray(value)) columns.push(key);
    }
  }
  const heading = (column: string) => column.split('.').pop()!.toUpperCase();
  const widths = columns.map((column) => Math.max(heading(column).length, ...rows.map((row) => cell(at(row, column)).length)));
  const line = (values: string[]) => values.map((value, index) => value.padEnd(widths[index])).join('  ').trimEnd();
  const hidden = rows.some((row) => Object.entries(row).some(([key, value]) => !columns.includes(key) && value !== undefined));
  return [
    line(columns.map(heading)),
    ...rows.map((row) => line(columns.map((column) => cell(at(row, column))))),
    '',
    `${rows.length} row${rows.length === 1 ? '' : 's'}${hidden ? ' (every field: --json)' : ''}`,
  ].join('\n');
}

/** One object as `field  value` lines, nested objects as compact JSON; then each list of objects in it as a table under its name. */
export function fields(object: Record<string, unknown>): string {
  const entries = Object.entries(object).filter(([, value]) => value !== undefined);
  const isList = (value: unknown) => Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
  const plain = entries.filter(([, value]) => !isList(value));
  const lists = entries.filter(([, value]) => isList(value)) as [string, Record<string, unknown>[]][];
  const width = Math.max(0, ...plain.map(([key]) => key.length));
  return [
    ...plain.map(([key, value]) => `${key.padEnd(width)}  ${Array.isArray(value) ? value.map(cell).join(', ') : cell(value)}`),
    ...lists.map(([key, rows]) => `\n${key}:\n${table(rows)}`),
  ].join('\n');
}

/** The text printed on stdout for `result`. */
export function render(result: unknown, json: boolean, columns?: string[]): string {
  if (json) return JSON.stringify(result, null, 2);
  if (Array.isArray(result) && result.every(isPlainObject)) return table(result, columns);
  if (isPlainObject(result)) return fields(result);
  return cell(result);
}
