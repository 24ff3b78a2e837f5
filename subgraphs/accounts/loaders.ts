// Per-request DataLoaders: every lookup by id, from a resolver or a federation reference, is one
// SQL statement per request tick however many ids ask.
import DataLoader from 'dataloader';
import { raw, type EntityManager } from '@mikro-orm/knex';
import { Account } from './entities/Account';
import { ApiKey, ApiKeyStatus } from './entities/ApiKey';
import { KeyGroup } from './entities/KeyGroup';
import { Project } from './entities/Project';

function byId<T extends { id: string }>(em: EntityManager, entity: new () => T) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = (await em.find(entity, { id: { $in: [...ids] } } as never)) as T[];
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

export function createAccountsLoaders(em: EntityManager) {
  return {
    accountById: byId(em, Account),
    apiKeyById: byId(em, ApiKey),
    groupById: byId(em, KeyGroup),
    projectById: byId(em, Project),
    apiKeysByAccount: new DataLoader<string, ApiKey[]>(async (accountIds) => {
      const rows = await em.find(
        ApiKey,
        { accountId: { $in: [...accountIds] }, status: { $ne: ApiKeyStatus.REVOKED } },
        { orderBy: { createdAt: 'desc', id: 'desc' } },
      );
      return accountIds.map((accountId) => rows.filter((row) => row.accountId === accountId));
    }),
    apiKeyCountByProject: new DataLoader<string, number>(async (projectIds) => {
      const rows: { project_id: string; keys: number | string }[] = await em
        .createQueryBuilder(ApiKey)
        .select(['projectId', raw('count(*) as keys')])
        .where({ projectId: { $in: [...projectIds] } })
        .groupBy('projectId')
        .execute('all', false);
      const counts = new Map(rows.map((row) => [row.project_id, Number(row.keys)]));
      return projectIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}
export type AccountsLoaders = ReturnType<typeof createAccountsLoaders>;
