// The accounts subgraph: identity and credentials.
import type { EntityManager } from '@mikro-orm/knex';
import { openDatabase } from '../common/db';
import { SessionTokens } from '../common/jwt';
import { SecretSealer } from '../common/sealing';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { Account } from './entities/Account';
import { ApiKey } from './entities/ApiKey';
import { KeyGroup } from './entities/KeyGroup';
import { ManagementKey } from './entities/ManagementKey';
import { Project } from './entities/Project';
import { RevokedSession } from './entities/RevokedSession';
import { RoutingProfileOwner } from './entities/RoutingProfileOwner';
import { RoutingProfileOwners } from './routing-profile-owners';
import { KeyHasher } from './keys';
import { createAccountsLoaders } from './loaders';
import { AccountService } from './services/accounts';
import { ApiKeyService } from './services/api-keys';
import { KeyGroupService } from './services/key-groups';
import { ManagementKeyService } from './services/management-keys';
import type { AccountsDeps } from './services/deps';
import { buildAccountsSchema } from './schema';
import { SignInThrottle } from './throttle';
import type { AccountsContext } from './context';

export const accountsEntities = [Account, ApiKey, KeyGroup, ManagementKey, Project, RevokedSession, RoutingProfileOwner];

export async function createAccountsSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<AccountsContext>> {
  const db = await openDatabase('accounts', accountsEntities, deps.config);
  const keyHasher = new KeyHasher(deps.config.platformSecret);
  const throttle = SignInThrottle.create({
    busUrl: deps.config.busUrl,
    busNamespace: deps.config.busNamespace,
    env: deps.config.env,
    now: () => deps.clock.now().getTime(),
    hasher: keyHasher,
    log: deps.log,
  });
  const serviceDeps: AccountsDeps = {
    clock: deps.clock,
    ids: deps.ids,
    bus: deps.bus,
    sessions: new SessionTokens(deps.config.platformSecret, deps.config.jwtTtlSeconds),
    keyHasher,
    sealer: new SecretSealer(deps.config.platformSecret),
    scryptCost: deps.config.scryptCost,
    maxManagementKeys: deps.config.maxManagementKeys,
    accountLimits: deps.config.accountLimits,
    throttle,
  };
  const profileOwners = new RoutingProfileOwners(() => db.orm.em.fork() as EntityManager, deps.bus, deps.clock, deps.log);
  let stopProfileOwners = () => {};
  return {
    name: 'accounts',
    schema: buildAccountsSchema(),
    db,
    start: () => {
      stopProfileOwners = profileOwners.start();
    },
    stop: () => {
      stopProfileOwners();
      return throttle.close();
    },
    createContext: (principal, requestId, facts) => {
      const em = db.orm.em.fork() as EntityManager;
      return {
        principal,
        requestId,
        clientAddress: facts?.clientAddress,
        clock: deps.clock,
        accounts: new AccountService(em, serviceDeps),
        apiKeys: new ApiKeyService(em, serviceDeps),
        keyGroups: new KeyGroupService(em, serviceDeps),
        managementKeys: new ManagementKeyService(em, serviceDeps),
        loaders: createAccountsLoaders(em),
      };
    },
  };
}
