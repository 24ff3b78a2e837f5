// The accounts subgraph: identity and credentials.
import { openDatabase } from '../common/db';
import { SessionTokens } from '../common/jwt';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { Account } from './entities/Account';
import { ApiKey } from './entities/ApiKey';
import { KeyHasher } from './keys';
import { createAccountsLoaders } from './loaders';
import { AccountService, type AccountsDeps } from './service';
import { buildAccountsSchema } from './schema';
import type { AccountsContext } from './context';

export const accountsEntities = [Account, ApiKey];

export async function createAccountsSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<AccountsContext>> {
  const db = await openDatabase('accounts', accountsEntities, deps.config);
  const serviceDeps: AccountsDeps = {
    clock: deps.clock,
    ids: deps.ids,
    bus: deps.bus,
    sessions: new SessionTokens(deps.config.platformSecret, deps.config.jwtTtlSeconds),
    keyHasher: new KeyHasher(deps.config.platformSecret),
    scryptCost: deps.config.scryptCost,
  };
  return {
    name: 'accounts',
    schema: buildAccountsSchema(),
    db,
    createContext: (principal, requestId) => {
      const em = db.orm.em.fork();
      return { principal, requestId, accounts: new AccountService(em, serviceDeps), loaders: createAccountsLoaders(em) };
    },
  };
}
