// Per-request DataLoaders: every lookup by id, from a resolver or a federation reference, is one
// SQL statement per request tick however many ids ask.
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/core';
import { Account } from './entities/Account';
import { ApiKey, ApiKeyStatus } from './entities/ApiKey';

export function createAccountsLoaders(em: EntityManager) {
  return {
    accountById: new DataLoader<string, Account | null>(async (ids) => {
      const rows = await em.find(Account, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    apiKeyById: new DataLoader<string, ApiKey | null>(async (ids) => {
      const rows = await em.find(ApiKey, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    apiKeysByAccount: new DataLoader<string, ApiKey[]>(async (accountIds) => {
      const rows = await em.find(
        ApiKey,
        { accountId: { $in: [...accountIds] }, status: { $ne: ApiKeyStatus.REVOKED } },
        { orderBy: { createdAt: 'desc', id: 'desc' } },
      );
      return accountIds.map((accountId) => rows.filter((row) => row.accountId === accountId));
    }),
  };
}
export type AccountsLoaders = ReturnType<typeof createAccountsLoaders>;
