// The billing subgraph: money.
import type { EntityManager } from '@mikro-orm/knex';
import { openDatabase } from '../common/db';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { AccountBalance } from './entities/AccountBalance';
import { KeyUsage } from './entities/KeyUsage';
import { KeyUsageDaily } from './entities/KeyUsageDaily';
import { createBillingLoaders } from './loaders';
import { BillingService } from './services/billing';
import { buildBillingSchema } from './schema';
import type { BillingContext } from './context';

export const billingEntities = [AccountBalance, KeyUsage, KeyUsageDaily];

export async function createBillingSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<BillingContext>> {
  const db = await openDatabase('billing', billingEntities, deps.config);
  return {
    name: 'billing',
    schema: buildBillingSchema(),
    db,
    createContext: (principal, requestId) => {
      const loaders = createBillingLoaders(db.orm.em.fork() as EntityManager, deps.clock);
      return { principal, requestId, loaders, billing: new BillingService(loaders) };
    },
  };
}
