// Seller earnings mature on a schedule: after the cooldown a share becomes available and the rest
// is held in reserve; after the hold the reserve is released. Each step marks the usage records
// it moves (update … returning), so a record's money moves exactly once. A dispute refund may
// have taken a seller's share back already (disputes.ts: reserve first, then pending): a step
// moves at most what its bucket still holds, so no bucket goes below zero and nothing is created.
import type { EntityManager } from '@mikro-orm/knex';
import type { Clock, IdGenerator } from '../../common/runtime';
import { sqlFor } from '../sql';
import { heldEarnings, lockBalances, post, type Posting } from './ledger';

export interface SettlementResult {
  cooled: number;
  released: number;
}

/** Moves everything due by `now`; the postings are stamped with the clock's time (the ledger stays chronological). */
export async function settleEarnings(em: EntityManager, ids: IdGenerator, clock: Clock, now: Date): Promise<SettlementResult> {
  return em.transactional(async (tem) => {
    const sql = sqlFor(tem as EntityManager);
    // Two settlement rounds at once would lock the same usage records in different orders (a
    // deadlock on PostgreSQL): one round at a time.
    await sql.serialize('billing:settlement');
    const cooled = await sql.all<{ seller_id: string | null; seller_micros: number | string; reserve_micros: number | string }>(
      'update usage_records set settled_at = ? where settled_at is null and available_at <= ? returning seller_id, seller_micros, reserve_micros',
      [sql.date(now), sql.date(now)],
    );
    const released = await sql.all<{ seller_id: string | null; reserve_micros: number | string }>(
      'update usage_records set reserve_released_at = ? where reserve_released_at is null and settled_at is not null and reserve_release_at <= ? returning seller_id, reserve_micros',
      [sql.date(now), sql.date(now)],
    );
    const bySeller = new Map<string, { earned: number; reserve: number; count: number }>();
    for (const row of cooled) {
      if (!row.seller_id || Number(row.seller_micros) === 0) continue;
      const totals = bySeller.get(row.seller_id) ?? { earned: 0, reserve: 0, count: 0 };
      totals.earned += Number(row.seller_micros);
      totals.reserve += Number(row.reserve_micros);
      totals.count++;
      bySeller.set(row.seller_id, totals);
    }
    const releases = new Map<string, { micros: number; count: number }>();
    for (const row of released) {
      if (!row.seller_id || Number(row.reserve_micros) === 0) continue;
      const totals = releases.get(row.seller_id) ?? { micros: 0, count: 0 };
      totals.micros += Number(row.reserve_micros);
      totals.count++;
      releases.set(row.seller_id, totals);
    }
    // The sellers' rows in id order, as usage ingestion locks them: the two never deadlock.
    const sellers = [...new Set([...bySeller.keys(), ...releases.keys()])];
    await lockBalances(sql, clock.now(), sellers);
    const held = await heldEarnings(sql, sellers);
    const postings: Posting[] = [];
    for (const [accountId, { earned, reserve, count }] of bySeller) {
      const buckets = held.get(accountId) ?? { pending: 0, available: 0, reserved: 0 };
      const moved = Math.min(earned, Math.max(0, buckets.pending));
      const kept = Math.min(reserve, moved);
      buckets.pending -= moved;
      buckets.reserved += kept;
      if (moved === 0) continue;
      postings.push({
        accountId,
        bucket: 'earnings_pending',
        type: 'earning_cooled',
        amountMicros: -moved,
        requestCount: count,
        description: `Cooled earnings of ${count} request${count === 1 ? '' : 's'}`,
      });
      postings.push({
        accountId,
        bucket: 'earnings_available',
        type: 'earning_cooled',
        amountMicros: moved - kept,
        requestCount: count,
        description: 'Cooled earnings, available share',
      });
      if (kept > 0)
        postings.push({
          accountId,
          bucket: 'earnings_reserved',
          type: 'reserve_hold',
          amountMicros: kept,
          requestCount: count,
          description: 'Cooled earnings, reserve held',
        });
    }
    for (const [accountId, { micros, count }] of releases) {
      const buckets = held.get(accountId) ?? { pending: 0, available: 0, reserved: 0 };
      const moved = Math.min(micros, Math.max(0, buckets.reserved));
      buckets.reserved -= moved;
      if (moved === 0) continue;
      postings.push({
        accountId,
        bucket: 'earnings_reserved',
        type: 'reserve_release',
        amountMicros: -moved,
        requestCount: count,
        description: `Reserve released for ${count} request${count === 1 ? '' : 's'}`,
      });
      postings.push({
        accountId,
        bucket: 'earnings_available',
        type: 'reserve_release',
        amountMicros: moved,
        requestCount: count,
        description: 'Reserve released',
      });
    }
    await post(sql, ids, clock.now(), postings);
    return { cooled: cooled.length, released: released.length };
  });
}
