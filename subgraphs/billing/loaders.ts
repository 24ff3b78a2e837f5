import DataLoader from 'dataloader';
import { raw, type EntityManager } from '@mikro-orm/knex';
import type { Clock } from '../common/runtime';
import { cycleStart, utcDay, type Cycle } from '../common/cycles';
import { AccountBalance } from './entities/AccountBalance';
import { KeyUsage } from './entities/KeyUsage';
import { KeyUsageDaily } from './entities/KeyUsageDaily';
import { UsageRecord } from './entities/UsageRecord';
import { GroupUsageMonthly } from './entities/GroupUsageMonthly';

export interface CycleUsage {
  accountId: string | null;
  micros: number;
}

export function createBillingLoaders(em: EntityManager, clock: Clock) {
  return {
    balanceByAccount: new DataLoader<string, AccountBalance | null>(async (accountIds) => {
      const rows = await em.find(AccountBalance, { accountId: { $in: [...accountIds] } });
      const byId = new Map(rows.map((row) => [row.accountId, row]));
      return accountIds.map((id) => byId.get(id) ?? null);
    }),
    usageByKey: new DataLoader<string, KeyUsage | null>(async (keyIds) => {
      const rows = await em.find(KeyUsage, { keyId: { $in: [...keyIds] } });
      const byId = new Map(rows.map((row) => [row.keyId, row]));
      return keyIds.map((id) => byId.get(id) ?? null);
    }),
    groupUsageThisMonth: new DataLoader<string, number>(async (groupIds) => {
      const month = utcDay(clock.now()).slice(0, 7);
      const rows = await em.find(GroupUsageMonthly, { groupId: { $in: [...groupIds] }, month });
      const byId = new Map(rows.map((row) => [row.groupId, Number(row.micros)]));
      return groupIds.map((id) => byId.get(id) ?? 0);
    }),
    earningsByListing: new DataLoader<string, { sellerId: string | null; micros: number }>(async (listingIds) => {
      const rows: { listing_id: string; seller_id: string; micros: number | string }[] = await em
        .createQueryBuilder(UsageRecord)
        .select(['listingId', 'sellerId', raw('sum(seller_micros) as micros')])
        .where({ listingId: { $in: [...listingIds] } })
        .groupBy(['listingId', 'sellerId'])
        .execute('all', false);
      const byId = new Map(rows.map((row) => [row.listing_id, { sellerId: row.seller_id, micros: Number(row.micros) }]));
      return listingIds.map((id) => byId.get(id) ?? { sellerId: null, micros: 0 });
    }),
    /** Keyed `${cycle}:${keyId}`: one statement per distinct cycle in the batch (at most three). */
    usageInCycle: new DataLoader<string, CycleUsage>(async (keys) => {
      const byCycle = new Map<Cycle, string[]>();
      for (const key of keys) {
        const [cycle, keyId] = key.split(':') as [Cycle, string];
        byCycle.set(cycle, [...(byCycle.get(cycle) ?? []), keyId]);
      }
      const sums = new Map<string, CycleUsage>();
      for (const [cycle, keyIds] of byCycle) {
        const rows: { key_id: string; account_id: string; micros: number | string }[] = await em
          .createQueryBuilder(KeyUsageDaily)
          .select(['keyId', 'accountId', raw('sum(micros) as micros')])
          .where({ keyId: { $in: keyIds }, day: { $gte: utcDay(cycleStart(cycle, clock.now())) } })
          .groupBy(['keyId', 'accountId'])
          .execute('all', false);
        for (const row of rows) sums.set(`${cycle}:${row.key_id}`, { accountId: row.account_id, micros: Number(row.micros) });
      }
      return keys.map((key) => sums.get(key) ?? { accountId: null, micros: 0 });
    }),
  };
}
export type BillingLoaders = ReturnType<typeof createBillingLoaders>;
