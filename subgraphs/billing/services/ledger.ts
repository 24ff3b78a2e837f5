// Postings: every movement of money changes a balance bucket and appends a ledger entry with the
// bucket's value after it, in the same transaction. Nothing else writes account_balances.
import type { IdGenerator } from '../../common/runtime';
import type { LedgerBucket, LedgerType } from '../entities/LedgerEntry';
import { chunks, placeholders, type Sql } from '../sql';

export const PLATFORM_ACCOUNT = 'platform';

const BUCKET_COLUMN: Record<LedgerBucket, string> = {
  balance: 'balance_micros',
  promo: 'promo_micros',
  earnings_pending: 'earnings_pending_micros',
  earnings_available: 'earnings_available_micros',
  earnings_reserved: 'earnings_reserved_micros',
};

export interface Posting {
  accountId: string;
  bucket: LedgerBucket;
  type: LedgerType;
  amountMicros: number;
  description: string;
  reference?: string | null;
  requestCount?: number;
}

/**
 * Applies postings (any number, any accounts) and appends their ledger entries. Postings to the
 * same account and bucket are applied in order, so each entry's balanceAfter is exact. Returns
 * the ledger entry ids, in the postings' order.
 */
export async function post(sql: Sql, ids: IdGenerator, now: Date, postings: readonly Posting[]): Promise<string[]> {
  if (postings.length === 0) return [];
  // One upsert per bucket adds the totals and returns the final values; walking back from them
  // gives each posting its balanceAfter without a statement per posting.
  const finals = new Map<string, number>();
  for (const bucket of Object.keys(BUCKET_COLUMN) as LedgerBucket[]) {
    const totals = new Map<string, number>();
    for (const p of postings) if (p.bucket === bucket) totals.set(p.accountId, (totals.get(p.accountId) ?? 0) + p.amountMicros);
    if (totals.size === 0) continue;
    const column = BUCKET_COLUMN[bucket];
    for (const rows of chunks([...totals], 3)) {
      const returned = await sql.all<{ account_id: string; value: number | string }>(
        `insert into account_balances (account_id, ${column}, updated_at) values ${placeholders(3, rows.length)}
         on conflict (account_id) do update set ${column} = account_balances.${column} + excluded.${column}, updated_at = excluded.updated_at
         returning account_id, ${column} as value`,
        rows.flatMap(([accountId, amount]) => [accountId, amount, sql.date(now)]),
      );
      for (const row of returned) finals.set(`${row.account_id}:${bucket}`, Number(row.value));
    }
  }
  const after = new Map(finals);
  const balanceAfter: number[] = new Array(postings.length);
  for (let i = postings.length - 1; i >= 0; i--) {
    const key = `${postings[i].accountId}:${postings[i].bucket}`;
    const value = after.get(key) as number;
    balanceAfter[i] = value;
    after.set(key, value - postings[i].amountMicros);
  }
  const entryIds = postings.map(() => ids.newId());
  const entries = postings.map((p, i) => [
    entryIds[i],
    p.accountId,
    p.bucket,
    p.type,
    p.amountMicros,
    balanceAfter[i],
    p.reference ?? null,
    p.requestCount ?? 0,
    p.description,
    sql.date(now),
  ]);
  for (const rows of chunks(entries, 10)) {
    await sql.run(
      `insert into ledger_entries (id, account_id, bucket, type, amount_micros, balance_after_micros, reference, request_count, description, created_at) values ${placeholders(10, rows.length)}`,
      rows.flat(),
    );
  }
  return entryIds;
}

export interface LockedBalance {
  balanceMicros: number;
  promoMicros: number;
}

/**
 * Locks the accounts' balance rows until the transaction ends (creating missing ones) and returns
 * their spendable buckets. Checks that read a balance and then post against it (the usage floor,
 * the daily top-up cap) call this first, so two transactions cannot both pass on the same figure:
 * PostgreSQL locks each row (an upsert that updates locks the row it meets), SQLite takes the
 * database's write lock with the first write. Rows are locked in id order, so two transactions
 * never wait on each other in a cycle.
 */
export async function lockBalances(sql: Sql, now: Date, accountIds: Iterable<string>): Promise<Map<string, LockedBalance>> {
  const sorted = [...new Set(accountIds)].sort();
  const locked = new Map<string, LockedBalance>();
  for (const rows of chunks(sorted, 3)) {
    const returned = await sql.all<{ account_id: string; balance_micros: number | string; promo_micros: number | string }>(
      `insert into account_balances (account_id, balance_micros, updated_at) values ${placeholders(3, rows.length)}
       on conflict (account_id) do update set updated_at = account_balances.updated_at
       returning account_id, balance_micros, promo_micros`,
      rows.flatMap((accountId) => [accountId, 0, sql.date(now)]),
    );
    for (const row of returned)
      locked.set(row.account_id, { balanceMicros: Number(row.balance_micros), promoMicros: Number(row.promo_micros) });
  }
  return locked;
}

export interface HeldEarnings {
  pending: number;
  available: number;
  reserved: number;
}

/** The sellers' earnings buckets; call after lockBalances, so the figures stay true until commit. */
export async function heldEarnings(sql: Sql, accountIds: readonly string[]): Promise<Map<string, HeldEarnings>> {
  const held = new Map<string, HeldEarnings>();
  for (const rows of chunks(accountIds, 1)) {
    const found = await sql.all<Record<string, number | string>>(
      `select account_id, earnings_pending_micros, earnings_available_micros, earnings_reserved_micros from account_balances where account_id in (${rows.map(() => '?').join(', ')})`,
      rows,
    );
    for (const row of found)
      held.set(String(row.account_id), {
        pending: Number(row.earnings_pending_micros),
        available: Number(row.earnings_available_micros),
        reserved: Number(row.earnings_reserved_micros),
      });
  }
  return held;
}

/** Whether a posting with this reference was already made (idempotent one-off credits). */
export async function posted(sql: Sql, reference: string): Promise<boolean> {
  const rows = await sql.all('select 1 from ledger_entries where reference = ?', [reference]);
  return rows.length > 0;
}
