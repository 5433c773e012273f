import { runSealPass, sealTenant, type SealSession } from './audit-seal.js';

/**
 * A session that answers the status query with `pending` tenants and each seal with the next count
 * queued for that tenant (0 once the queue is empty), recording the tenants in the order sealed.
 */
function fakeSession(pending: string[], counts: Record<string, number[]>, fail?: string) {
  const sealed: string[] = [];
  const statements: string[] = [];
  const session = {
    escapeLiteral: (value: string) => `'${value.replace(/'/g, "''")}'`,
    query: async (sql: string) => {
      statements.push(sql);
      if (sql.includes('fg_audit_seal_status()')) return { rows: pending.map((tenant_id) => ({ tenant_id, pending: 1, oldest: new Date() })) };
      const tenant = /app\.current_tenant', '([^']+)'/.exec(sql)?.[1];
      if (tenant) {
        if (tenant === fail) throw new Error('statement timeout');
        sealed.push(tenant);
        return [{ rows: [] }, { rows: [] }, { rows: [{ sealed: counts[tenant]?.shift() ?? 0 }] }, { rows: [] }];
      }
      return { rows: [] };
    },
  } as unknown as SealSession;
  return { session, sealed, statements };
}

describe('a seal pass', () => {
  it('gives every tenant a batch in turn until each has fewer rows left than a batch', async () => {
    const { session, sealed } = fakeSession(['busy', 'quiet', 'medium'], { busy: [10, 10, 10, 3], quiet: [2], medium: [10, 0] });
    expect(await runSealPass(session, { batch: 10 })).toEqual({ sealed: 45, tenants: 3 });
    expect(sealed).toEqual(['busy', 'quiet', 'medium', 'busy', 'medium', 'busy', 'busy']);
  });

  it('does nothing when no tenant has unsealed rows', async () => {
    const { session, statements } = fakeSession([], {});
    expect(await runSealPass(session, { batch: 10 })).toEqual({ sealed: 0, tenants: 0 });
    expect(statements).toHaveLength(1);
  });

  it('stops between batches when asked, and reports what it sealed', async () => {
    const { session, sealed } = fakeSession(['a', 'b'], { a: [10, 10, 10], b: [10, 10] });
    const seen: number[] = [];
    let calls = 0;
    const result = await runSealPass(session, { batch: 10, shouldStop: () => calls++ >= 3, onSealed: (rows) => seen.push(rows) });
    expect(result).toEqual({ sealed: 30, tenants: 2 });
    expect(sealed).toEqual(['a', 'b', 'a']);
    expect(seen).toEqual([10, 10, 10]);
  });

  it('rolls the failed transaction back before passing the error on', async () => {
    const { session, statements } = fakeSession(['a'], {}, 'a');
    await expect(runSealPass(session, { batch: 10 })).rejects.toThrow('statement timeout');
    expect(statements.at(-1)).toBe('ROLLBACK');
  });

  it('refuses a malformed tenant id or batch before sending anything', async () => {
    const { session, statements } = fakeSession([], {});
    await expect(sealTenant(session, "x'; DROP TABLE audit_logs; --", 10)).rejects.toThrow(/Malformed tenant id/);
    await expect(sealTenant(session, 'a', 0)).rejects.toThrow(/positive integer/);
    await expect(sealTenant(session, 'a', 1.5)).rejects.toThrow(/positive integer/);
    expect(statements).toEqual([]);
  });
});
