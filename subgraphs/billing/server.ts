// The billing subgraph: money.
import { openDatabase } from '../common/db';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { AccountBalance } from './entities/AccountBalance';
import { KeyUsage } from './entities/KeyUsage';
import { createBillingLoaders } from './loaders';
import { BillingService } from './service';
import { buildBillingSchema } from './schema';
import type { BillingContext } from './context';

export const billingEntities = [AccountBalance, KeyUsage];

export async function createBillingSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<BillingContext>> {
  const db = await openDatabase('billing', billingEntities, deps.config);
  return {
    name: 'billing',
    schema: buildBillingSchema(),
    db,
    createContext: (principal, requestId) => {
      const loaders = createBillingLoaders(db.orm.em.fork());
      return { principal, requestId, loaders, billing: new BillingService(loaders) };
    },
  };
}
