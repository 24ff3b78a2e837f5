// The network subgraph: network metrics, fed by job events from the bus.
import type { EntityManager } from '@mikro-orm/knex';
import { openDatabase } from '../common/db';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { JobFeedEntry } from './entities/JobFeedEntry';
import { HourlyRollup } from './entities/HourlyRollup';
import { createNetworkLoaders } from './loaders';
import { JobRecorder, NetworkService, recordJobs } from './services/network';
import { DashboardService } from './services/dashboard';
import { applyRetention } from './services/rollups';
import { ReputationService, ReputationWindows, warmReputation } from './services/reputation';
import { networkSettings } from './settings';
import { buildNetworkSchema } from './schema';
import type { NetworkContext } from './context';

export const networkEntities = [JobFeedEntry, HourlyRollup];

export async function createNetworkSubgraph(deps: SubgraphDeps): Promise<SubgraphDefinition<NetworkContext>> {
  const settings = networkSettings(deps.config.env);
  const db = await openDatabase('network', networkEntities, deps.config);
  let unsubscribe = () => {};
  const recorder = new JobRecorder(
    (events) => recordJobs(db.orm.em.fork() as EntityManager, deps.bus, events),
    (error, lost) => deps.log.warn({ subgraph: 'network', err: error, jobs: lost }, 'job batch not stored'),
  );
  // In memory per replica (every replica hears every job event), warmed from the job feed at start.
  const reputation = new ReputationService(new ReputationWindows(), deps.clock);
  let retentionTimer: NodeJS.Timeout | null = null;
  const runRetention = () =>
    applyRetention(db.orm.em.fork() as EntityManager, deps.clock.now(), settings).catch((error: unknown) => {
      // Retried at the next interval; a failed delete loses nothing.
      deps.log.warn({ subgraph: 'network', err: error }, 'retention failed');
    });
  return {
    name: 'network',
    schema: buildNetworkSchema(),
    db,
    createContext: (principal, requestId) => {
      const em = db.orm.em.fork() as EntityManager;
      return {
        principal,
        requestId,
        bus: deps.bus,
        loaders: createNetworkLoaders(em),
        network: new NetworkService(em),
        dashboard: new DashboardService(em, deps.clock, settings, reputation),
        reputation,
      };
    },
    start: () => {
      const subscribedAt = deps.clock.now();
      unsubscribe = deps.bus.subscribe('job.finished', (event) => {
        reputation.windows.record(event, deps.clock.now());
        recorder.push(event);
      });
      // Jobs heard from now on are counted as they come; the stored ones before are read back once.
      void warmReputation(db.orm.em.fork() as EntityManager, reputation.windows, deps.clock.now(), subscribedAt).catch((error: unknown) => {
        deps.log.warn({ subgraph: 'network', err: error }, 'reputation warm-up failed');
      });
      void runRetention();
      retentionTimer = setInterval(() => void runRetention(), settings.retentionIntervalMs);
      retentionTimer.unref();
    },
    stop: async () => {
      unsubscribe();
      await recorder.flush();
      if (retentionTimer) clearInterval(retentionTimer);
    },
  };
}
