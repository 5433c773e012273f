import {
  addToHistory,
  CONTRIBUTIONS,
  decide,
  emptyHistory,
  HISTORY_BOUNDS,
  historyFromProfile,
  profileOf,
  RuleName,
  scoreTransaction,
  ScoringHistory,
  ScoringInput,
  scoringConfigFrom,
} from './scoring.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

function input(overrides: Partial<ScoringInput> = {}): ScoringInput {
  return { amount: 42.5, currency: 'EUR', merchant: 'Bakery', merchant_category: '5411', country: 'DE', device_id: 'dev-1', txn_time: T0, ...overrides };
}

/** An account with `n` ordinary EUR purchases at the bakery, from DE on dev-1, one a day. */
function history(n = 5): ScoringHistory {
  const h = emptyHistory();
  for (let i = n; i >= 1; i--) addToHistory(h, input({ amount: 40 + i, txn_time: T0 - i * 86_400_000 }));
  return h;
}

function rules(score: { reasons: { rule: RuleName }[] }): RuleName[] {
  return score.reasons.map((reason) => reason.rule);
}

describe('scoreTransaction', () => {
  it('scores an ordinary purchase 0 with no reasons', () => {
    expect(scoreTransaction(input(), history())).toEqual({ risk_score: 0, risk_level: 'LOW', reasons: [] });
  });

  it('is deterministic', () => {
    const h = history();
    const odd = input({ amount: 5000, country: 'BR', device_id: 'new', merchant_category: '7995' });
    expect(scoreTransaction(odd, h)).toEqual(scoreTransaction(odd, h));
  });

  describe('amount above the usual', () => {
    it('fires AMOUNT_ABOVE_USUAL from 3x the mean of the same currency', () => {
      const score = scoreTransaction(input({ amount: 150 }), history());
      expect(rules(score)).toEqual(['AMOUNT_ABOVE_USUAL']);
      expect(score.reasons[0].contribution).toBe(CONTRIBUTIONS.AMOUNT_ABOVE_USUAL);
      expect(score.reasons[0].detail).toMatch(/usual 43 EUR/);
    });
    it('fires AMOUNT_FAR_ABOVE_USUAL (and not the lesser rule) from 10x', () => {
      expect(rules(scoreTransaction(input({ amount: 450.5 }), history()))).toEqual(['AMOUNT_FAR_ABOVE_USUAL']);
    });
    it('stays silent below 3x, with too little history, or in another currency', () => {
      expect(rules(scoreTransaction(input({ amount: 120 }), history()))).toEqual([]);
      expect(rules(scoreTransaction(input({ amount: 4000.5 }), history(2)))).toEqual([]);
      expect(rules(scoreTransaction(input({ amount: 4000.5, currency: 'USD' }), history()))).toEqual([]);
    });
  });

  describe('velocity', () => {
    function burst(count: number, spacingMs: number): ScoringHistory {
      const h = history();
      for (let i = count; i >= 1; i--) addToHistory(h, input({ txn_time: T0 - i * spacingMs }));
      return h;
    }
    it('fires VELOCITY_BURST with 4 earlier transactions in 10 minutes', () => {
      expect(rules(scoreTransaction(input(), burst(4, 60_000)))).toEqual(['VELOCITY_BURST']);
    });
    it('stays silent with 3 in 10 minutes', () => {
      expect(rules(scoreTransaction(input(), burst(3, 60_000)))).toEqual([]);
    });
    it('fires VELOCITY_HOURLY with 10 earlier transactions in an hour but no burst', () => {
      expect(rules(scoreTransaction(input(), burst(10, 5.5 * 60_000)))).toEqual(['VELOCITY_HOURLY']);
      expect(rules(scoreTransaction(input(), burst(9, 5.5 * 60_000)))).toEqual([]);
    });
    it('ignores transactions later than this one', () => {
      const h = history();
      for (let i = 1; i <= 6; i++) addToHistory(h, input({ txn_time: T0 + i * 1000 }));
      expect(rules(scoreTransaction(input(), h))).toEqual([]);
    });
  });

  describe('first time for the account', () => {
    it('fires NEW_COUNTRY, NEW_DEVICE and NEW_MERCHANT on unseen values', () => {
      const score = scoreTransaction(input({ country: 'BR', device_id: 'dev-9', merchant: 'Casino' }), history());
      expect(rules(score)).toEqual(['NEW_COUNTRY', 'NEW_DEVICE', 'NEW_MERCHANT']);
      expect(score.risk_score).toBe(0.35);
    });
    it('stays silent on the first transaction of an account (nothing to compare with) and when values are absent', () => {
      expect(rules(scoreTransaction(input({ country: 'BR', device_id: 'x', merchant: 'Y' }), emptyHistory()))).toEqual([]);
      expect(rules(scoreTransaction(input({ country: null, device_id: null }), history()))).toEqual([]);
    });
  });

  it('fires HIGH_RISK_MCC for gambling, money transfer, quasi-cash; silent for groceries', () => {
    for (const mcc of ['7995', '4829', '6051']) expect(rules(scoreTransaction(input({ merchant_category: mcc }), history()))).toEqual(['HIGH_RISK_MCC']);
    expect(rules(scoreTransaction(input({ merchant_category: '5411' }), history()))).toEqual([]);
    expect(rules(scoreTransaction(input({ merchant_category: null }), history()))).toEqual([]);
  });

  it('fires ROUND_AMOUNT for multiples of 100 from 100; silent for 99, 150 and 100.5', () => {
    expect(rules(scoreTransaction(input({ amount: 100 }), emptyHistory()))).toEqual(['ROUND_AMOUNT']);
    expect(rules(scoreTransaction(input({ amount: 2000 }), emptyHistory()))).toEqual(['ROUND_AMOUNT']);
    for (const amount of [99, 150, 100.5]) expect(rules(scoreTransaction(input({ amount }), emptyHistory()))).toEqual([]);
  });

  it('sums contributions, caps at 1 and derives the level', () => {
    const h = history();
    for (let i = 4; i >= 1; i--) addToHistory(h, input({ txn_time: T0 - i * 60_000 }));
    const score = scoreTransaction(input({ amount: 5000, country: 'BR', device_id: 'new', merchant: 'X', merchant_category: '7995' }), h);
    expect(score.reasons.reduce((sum, r) => sum + r.contribution, 0)).toBeGreaterThan(1);
    expect(score).toMatchObject({ risk_score: 1, risk_level: 'CRITICAL' });
    expect(scoreTransaction(input({ amount: 200, merchant_category: '7995' }), emptyHistory())).toMatchObject({ risk_score: 0.3, risk_level: 'MEDIUM' });
  });
});

describe('decide with ml_config', () => {
  const score = (risk_score: number) => ({ risk_score, risk_level: 'HIGH' as const, reasons: [] });
  it('approves below the threshold and raises an alert at or above it', () => {
    const config = scoringConfigFrom({ risk_threshold: 0.6 });
    expect(decide(score(0.59), config)).toEqual({ status: 'APPROVED' });
    expect(decide(score(0.6), config)).toEqual({ status: 'REVIEW', alertSeverity: 'HIGH' });
  });
  it('blocks with auto_block', () => {
    expect(decide(score(0.9), scoringConfigFrom({ risk_threshold: 0.5, auto_block: true })).status).toBe('BLOCKED');
  });
  it('falls back to the seed defaults on a malformed ml_config', () => {
    expect(scoringConfigFrom(null)).toMatchObject({ risk_threshold: 0.7, auto_block: false, notification_email: null });
    expect(scoringConfigFrom({ risk_threshold: 7, auto_block: 'yes', notification_email: 12 })).toMatchObject({ risk_threshold: 0.7, auto_block: false, notification_email: null });
  });
});

describe('account profile', () => {
  it('round-trips through its stored form (JSON) unchanged', () => {
    const h = history(7);
    addToHistory(h, input({ amount: 30, currency: 'USD', country: 'FR', device_id: 'dev-2', merchant: 'Books' }));
    const stored = JSON.parse(JSON.stringify(profileOf(h)));
    expect(historyFromProfile(stored)).toEqual(h);
    expect(historyFromProfile({})).toEqual(emptyHistory());
    expect(historyFromProfile(null)).toEqual(emptyHistory());
  });

  it('keeps the exact mean up to the amount window, then a running mean weighing the latest', () => {
    const h = emptyHistory();
    for (let i = 1; i <= HISTORY_BOUNDS.amountWindow; i++) addToHistory(h, input({ amount: i }));
    expect(h.amounts.EUR.count).toBe(HISTORY_BOUNDS.amountWindow);
    expect(h.amounts.EUR.mean).toBeCloseTo((HISTORY_BOUNDS.amountWindow + 1) / 2, 9);
    const before = h.amounts.EUR.mean;
    addToHistory(h, input({ amount: before + HISTORY_BOUNDS.amountWindow }));
    expect(h.amounts.EUR.mean).toBeCloseTo(before + 1, 9);
  });

  it('remembers the most recently used merchants within the bound, forgetting the least recently used', () => {
    const h = emptyHistory();
    for (let i = 0; i < HISTORY_BOUNDS.merchants; i++) addToHistory(h, input({ merchant: `m${i}` }));
    addToHistory(h, input({ merchant: 'm0' })); // used again: now the most recent
    addToHistory(h, input({ merchant: 'new' })); // one too many: m1 is forgotten
    expect(h.merchants.size).toBe(HISTORY_BOUNDS.merchants);
    expect(h.merchants.has('m0')).toBe(true);
    expect(h.merchants.has('m1')).toBe(false);
    expect([...h.merchants].slice(-2)).toEqual(['m0', 'new']);
  });

  it('keeps the latest transaction times within the bound', () => {
    const h = emptyHistory();
    for (let i = 0; i < 3 * HISTORY_BOUNDS.times + 20; i++) addToHistory(h, input({ txn_time: T0 + i * 1000 }));
    expect(h.count).toBe(3 * HISTORY_BOUNDS.times + 20);
    expect(h.times.length).toBeLessThan(2 * HISTORY_BOUNDS.times);
    const stored = profileOf(h).times!;
    expect(stored).toHaveLength(HISTORY_BOUNDS.times);
    expect(Math.min(...stored)).toBe(T0 + (2 * HISTORY_BOUNDS.times + 20) * 1000);
  });
});
