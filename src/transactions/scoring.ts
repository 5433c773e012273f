/**
 * Risk scoring: a pure, deterministic function of one transaction and its account's own history
 * inside the tenant. Every rule that fires adds a fixed contribution and names itself in reasons[];
 * the score is their sum capped at 1. No I/O here: the repository loads the history, the service
 * applies the tenant's ml_config.
 */

export const RULES_VERSION = 1;

/** Merchant category codes card schemes and acquirers treat as high risk. */
export const HIGH_RISK_MCCS: ReadonlySet<string> = new Set([
  '4829', // money transfer / wire
  '5933', // pawn shops
  '5967', // direct marketing, inbound telemarketing
  '6051', // quasi-cash, crypto currency
  '6211', // security brokers
  '6540', // stored-value card load
  '7273', // dating services
  '7995', // betting, gambling
]);

export const CONTRIBUTIONS = {
  AMOUNT_FAR_ABOVE_USUAL: 0.45,
  AMOUNT_ABOVE_USUAL: 0.3,
  VELOCITY_BURST: 0.25,
  VELOCITY_HOURLY: 0.2,
  NEW_COUNTRY: 0.15,
  NEW_DEVICE: 0.15,
  NEW_MERCHANT: 0.05,
  HIGH_RISK_MCC: 0.2,
  ROUND_AMOUNT: 0.1,
} as const;

export type RuleName = keyof typeof CONTRIBUTIONS;

/** Thresholds of the rules, named so tests and docs can refer to them. */
export const LIMITS = {
  usualMinHistory: 3, // same-currency transactions needed before "usual" means anything
  aboveUsualRatio: 3,
  farAboveUsualRatio: 10,
  burstWindowMs: 10 * 60_000,
  burstCount: 4, // earlier transactions in the burst window that make this one suspicious
  hourWindowMs: 60 * 60_000,
  hourCount: 10,
  roundAmountMin: 100,
} as const;

export interface ScoringHistory {
  /** Transactions of the account scored so far. */
  count: number;
  /** Per currency: how many transactions and their usual (mean) amount, see HISTORY_BOUNDS. */
  amounts: Record<string, { count: number; mean: number }>;
  /** txn_time (epoch ms) of the account's latest transactions. */
  times: number[];
  countries: Set<string>;
  merchants: Set<string>;
  devices: Set<string>;
}

export interface ScoringInput {
  amount: number;
  currency: string;
  merchant: string;
  merchant_category?: string | null;
  country?: string | null;
  device_id?: string | null;
  txn_time: number;
}

export interface Reason {
  rule: RuleName;
  contribution: number;
  detail: string;
}

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface Score {
  risk_score: number;
  risk_level: RiskLevel;
  reasons: Reason[];
}

/**
 * How far back an account's history reaches. Every bound keeps the profile (and the work of an
 * ingest) constant-size however many transactions the account has.
 */
export const HISTORY_BOUNDS = {
  /** The usual amount is a running mean over about this many of the account's latest transactions. */
  amountWindow: 500,
  /** txn_time of this many latest transactions are kept for the velocity rules. */
  times: 100,
  /** The most recently used distinct countries, merchants and devices remembered. */
  countries: 50,
  merchants: 200,
  devices: 50,
} as const;

/**
 * The history as stored (account_profiles.profile, JSON): arrays instead of sets, each ordered
 * least recently used first. `{}` is the empty history of a new account.
 */
export interface StoredProfile {
  count?: number;
  amounts?: Record<string, { count: number; mean: number }>;
  times?: number[];
  countries?: string[];
  merchants?: string[];
  devices?: string[];
}

export function historyFromProfile(profile: StoredProfile | null | undefined): ScoringHistory {
  const amounts: ScoringHistory['amounts'] = {};
  for (const [currency, usual] of Object.entries(profile?.amounts ?? {})) amounts[currency] = { count: usual.count, mean: usual.mean };
  return {
    count: profile?.count ?? 0,
    amounts,
    times: [...(profile?.times ?? [])],
    countries: new Set(profile?.countries),
    merchants: new Set(profile?.merchants),
    devices: new Set(profile?.devices),
  };
}

/** Keeps the HISTORY_BOUNDS.times latest of `times`, in place. */
function latestTimes(times: number[]): number[] {
  if (times.length > HISTORY_BOUNDS.times) {
    times.sort((a, b) => b - a);
    times.length = HISTORY_BOUNDS.times;
  }
  return times;
}

export function profileOf(history: ScoringHistory): StoredProfile {
  return {
    count: history.count,
    amounts: history.amounts,
    times: latestTimes(history.times),
    countries: [...history.countries],
    merchants: [...history.merchants],
    devices: [...history.devices],
  };
}

export function emptyHistory(): ScoringHistory {
  return { count: 0, amounts: {}, times: [], countries: new Set(), merchants: new Set(), devices: new Set() };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function riskLevel(score: number): RiskLevel {
  if (score >= 0.85) return 'CRITICAL';
  if (score >= 0.6) return 'HIGH';
  if (score >= 0.3) return 'MEDIUM';
  return 'LOW';
}

export function scoreTransaction(input: ScoringInput, history: ScoringHistory): Score {
  const reasons: Reason[] = [];
  const fire = (rule: RuleName, detail: string) => reasons.push({ rule, contribution: CONTRIBUTIONS[rule], detail });

  const usual = history.amounts[input.currency];
  if (usual && usual.count >= LIMITS.usualMinHistory && usual.mean > 0) {
    const ratio = input.amount / usual.mean;
    const detail = `amount is ${round(ratio, 1)}x the account's usual ${round(usual.mean, 2)} ${input.currency}`;
    if (ratio >= LIMITS.farAboveUsualRatio) fire('AMOUNT_FAR_ABOVE_USUAL', detail);
    else if (ratio >= LIMITS.aboveUsualRatio) fire('AMOUNT_ABOVE_USUAL', detail);
  }

  let inBurst = 0;
  let inHour = 0;
  for (const time of history.times) {
    const age = input.txn_time - time;
    if (age < 0) continue;
    if (age <= LIMITS.burstWindowMs) inBurst++;
    if (age <= LIMITS.hourWindowMs) inHour++;
  }
  if (inBurst >= LIMITS.burstCount) fire('VELOCITY_BURST', `${inBurst} earlier transactions in the last 10 minutes`);
  else if (inHour >= LIMITS.hourCount) fire('VELOCITY_HOURLY', `${inHour} earlier transactions in the last hour`);

  if (history.count > 0) {
    if (input.country && !history.countries.has(input.country)) fire('NEW_COUNTRY', `first transaction of the account in ${input.country}`);
    if (input.device_id && !history.devices.has(input.device_id)) fire('NEW_DEVICE', 'first transaction of the account from this device');
    if (!history.merchants.has(input.merchant)) fire('NEW_MERCHANT', `first transaction of the account at ${input.merchant}`);
  }

  if (input.merchant_category && HIGH_RISK_MCCS.has(input.merchant_category)) {
    fire('HIGH_RISK_MCC', `merchant category ${input.merchant_category} is high risk`);
  }

  if (input.amount >= LIMITS.roundAmountMin && input.amount % 100 === 0) fire('ROUND_AMOUNT', 'amount is a round multiple of 100');

  const total = reasons.reduce((sum, reason) => sum + reason.contribution, 0);
  const risk_score = round(Math.min(1, total), 4);
  return { risk_score, risk_level: riskLevel(risk_score), reasons };
}

/** Marks `value` as the most recently used of `set`, forgetting the least recently used beyond `max`. */
function touch(set: Set<string>, value: string, max: number): void {
  set.delete(value);
  set.add(value);
  if (set.size > max) for (const oldest of set) if (set.size > max) set.delete(oldest);
}

/**
 * Adds a scored transaction to the history: to the next transaction of the same batch, and to the
 * account's stored profile. Constant work, within HISTORY_BOUNDS.
 */
export function addToHistory(history: ScoringHistory, input: ScoringInput): void {
  const usual = (history.amounts[input.currency] ??= { count: 0, mean: 0 });
  usual.count++;
  // The exact mean up to amountWindow transactions, then a running mean that weighs the latest ones.
  usual.mean += (input.amount - usual.mean) / Math.min(usual.count, HISTORY_BOUNDS.amountWindow);
  history.count++;
  history.times.push(input.txn_time);
  // Trimmed in steps (a batch adds many to one account), and to the bound when stored (profileOf).
  if (history.times.length >= 2 * HISTORY_BOUNDS.times) latestTimes(history.times);
  if (input.country) touch(history.countries, input.country, HISTORY_BOUNDS.countries);
  if (input.device_id) touch(history.devices, input.device_id, HISTORY_BOUNDS.devices);
  touch(history.merchants, input.merchant, HISTORY_BOUNDS.merchants);
}

/** The tenant's ml_config as scoring uses it; anything malformed falls back to the seed's defaults. */
export interface ScoringConfig {
  risk_threshold: number;
  auto_block: boolean;
  notification_email: string | null;
  rules_version: number;
}

export function scoringConfigFrom(mlConfig: unknown): ScoringConfig {
  const config = (mlConfig && typeof mlConfig === 'object' ? mlConfig : {}) as Record<string, unknown>;
  const threshold = Number(config.risk_threshold);
  return {
    risk_threshold: Number.isFinite(threshold) && threshold >= 0 && threshold <= 1 ? threshold : 0.7,
    auto_block: config.auto_block === true,
    notification_email: typeof config.notification_email === 'string' && config.notification_email.includes('@') ? config.notification_email : null,
    rules_version: RULES_VERSION,
  };
}

export type TransactionStatus = 'APPROVED' | 'REVIEW' | 'BLOCKED';

export interface Decision {
  status: TransactionStatus;
  /** Set when the score reaches the tenant's threshold: a fraud alert of this severity is raised. */
  alertSeverity?: RiskLevel;
}

export function decide(score: Score, config: ScoringConfig): Decision {
  if (score.risk_score < config.risk_threshold) return { status: 'APPROVED' };
  return { status: config.auto_block ? 'BLOCKED' : 'REVIEW', alertSeverity: score.risk_level };
}
