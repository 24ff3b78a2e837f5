import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/core';
import { AccountBalance } from './entities/AccountBalance';
import { KeyUsage } from './entities/KeyUsage';

export function createBillingLoaders(em: EntityManager) {
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
  };
}
export type BillingLoaders = ReturnType<typeof createBillingLoaders>;
