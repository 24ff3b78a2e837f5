// The ledger invariant, checked from billing's own store after a test: every balance bucket of
// every account equals the sum of its postings, and no spendable bucket is below zero.
import { expect } from 'vitest';
import type { Platform } from '../../gateway/platform';

export async function expectLedgerBalanced(stack: { platform?: Platform }): Promise<void> {
  const billing = stack.platform?.runtimes.find((r) => r.name === 'billing');
  if (!billing) throw new Error('the ledger check reads an embedded stack');
  const connection = billing.db.orm.em.fork().getConnection();
  const sums = (await connection.execute(
    'select account_id, bucket, sum(amount_micros) as total from ledger_entries group by account_id, bucket',
  )) as { account_id: string; bucket: string; total: number | string }[];
  const balances = (await connection.execute('select * from account_balances')) as Record<string, number | string>[];
  for (const row of balances) {
    for (const [column, value] of Object.entries(row)) {
      if (!column.endsWith('_micros')) continue;
      const bucket = column.slice(0, -'_micros'.length);
      const posted = Number(sums.find((s) => s.account_id === row.account_id && s.bucket === bucket)?.total ?? 0);
      expect(Number(value), `${row.account_id} ${bucket} = sum of its postings`).toBe(posted);
      if (row.account_id !== 'platform' && (bucket === 'balance' || bucket === 'promo'))
        expect(Number(value), `${row.account_id} ${bucket} ≥ 0`).toBeGreaterThanOrEqual(0);
    }
  }
  for (const sum of sums)
    expect(
      balances.some((b) => b.account_id === sum.account_id),
      `${sum.account_id} has a balance row`,
    ).toBe(true);
}
