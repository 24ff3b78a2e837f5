// The market subgraph: supply and routing.
import { openDatabase } from '../common/db';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { Listing } from './entities/Listing';
import { createMarketLoaders } from './loaders';
import { MarketService } from './services/market';
import { buildMarketSchema } from './schema';
import type { MarketContext } from './context';

export const marketEntities = [Listing];

export async function createMarketSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<MarketContext>> {
  const db = await openDatabase('market', marketEntities, deps.config);
  const serviceDeps = { clock: deps.clock, ids: deps.ids };
  return {
    name: 'market',
    schema: buildMarketSchema(),
    db,
    createContext: (principal, requestId) => {
      const em = db.orm.em.fork();
      const loaders = createMarketLoaders(em);
      return { principal, requestId, loaders, market: new MarketService(em, loaders, serviceDeps) };
    },
  };
}
