// The network subgraph: network metrics, fed by job events from the bus.
import type { EntityManager } from '@mikro-orm/knex';
import { openDatabase } from '../common/db';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { JobFeedEntry } from './entities/JobFeedEntry';
import { createNetworkLoaders } from './loaders';
import { NetworkService, recordJob } from './services/network';
import { buildNetworkSchema } from './schema';
import type { NetworkContext } from './context';

export const networkEntities = [JobFeedEntry];

export async function createNetworkSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<NetworkContext>> {
  const db = await openDatabase('network', networkEntities, deps.config);
  let unsubscribe = () => {};
  return {
    name: 'network',
    schema: buildNetworkSchema(),
    db,
    createContext: (principal, requestId) => {
      const em = db.orm.em.fork() as EntityManager;
      return { principal, requestId, bus: deps.bus, loaders: createNetworkLoaders(em), network: new NetworkService(em) };
    },
    start: () => {
      unsubscribe = deps.bus.subscribe('job.finished', (event) => {
        recordJob(db.orm.em.fork() as EntityManager, deps.bus, event).catch(() => {
          // A malformed or unstorable event is dropped; the job feed is not money.
        });
      });
    },
    stop: () => unsubscribe(),
  };
}
