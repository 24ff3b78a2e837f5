// The market subgraph: supply (pool keys, listings, contracts, probes, price reviews) and routing
// (profiles, the data plane's routing table, public models).
import { FlushMode, type EntityManager } from '@mikro-orm/core';
import { openDatabase } from '../common/db';
import type { SubgraphDefinition } from '../common/subgraph';
import type { SubgraphDeps } from '../common/deps';
import { KeyHasher } from '../common/secrets';
import { SecretSealer } from '../common/sealing';
import { Contract } from './entities/Contract';
import { ContractCheck } from './entities/ContractCheck';
import { Listing } from './entities/Listing';
import { PoolKey } from './entities/PoolKey';
import { PriceReview } from './entities/PriceReview';
import { ListingVerification } from './entities/ListingVerification';
import { ProbeRun } from './entities/ProbeRun';
import { Seller } from './entities/Seller';
import { RoutingProfile } from './entities/RoutingProfile';
import { createMarketLoaders } from './loaders';
import { CapacityService } from './services/capacity';
import { ContractService } from './services/contracts';
import type { MarketCoreDeps } from './services/deps';
import { ListingService } from './services/listings';
import { ModelService } from './services/models';
import { PoolKeyService } from './services/pool-keys';
import { ProbeRunner } from './services/probe-runner';
import { ProbeService } from './services/probes';
import { ProviderCatalog } from './services/providers';
import { RoutingProfileService } from './services/routing-profiles';
import { RoutingTableService } from './services/routing-table';
import { ContractScheduler } from './services/scheduler';
import { shippedRegistry } from './services/registry';
import { SellerService } from './services/sellers';
import { marketSettingsFromEnv, type MarketSettings } from './services/settings';
import { buildMarketSchema } from './schema';
import { announceAllRoutingProfiles } from './services/routing-profiles';
import type { MarketContext } from './context';

export const marketEntities = [
  Listing,
  PoolKey,
  Contract,
  ContractCheck,
  ProbeRun,
  PriceReview,
  RoutingProfile,
  Seller,
  ListingVerification,
];

export async function createMarketSubgraph(
  deps: SubgraphDeps,
  settings: MarketSettings = marketSettingsFromEnv(deps.config.env),
): Promise<SubgraphDefinition<MarketContext>> {
  const db = await openDatabase('market', marketEntities, deps.config);
  // Writes happen at the services' explicit flush only (no auto flush before a query): a request
  // that fails validation half way never leaves half its changes behind.
  const fork = () => db.orm.em.fork({ flushMode: FlushMode.COMMIT }) as EntityManager;
  const core: MarketCoreDeps = {
    clock: deps.clock,
    ids: deps.ids,
    bus: deps.bus,
    sealer: new SecretSealer(deps.config.platformSecret),
    keyHasher: new KeyHasher(deps.config.platformSecret),
    settings,
    accountLimits: deps.config.accountLimits,
    catalog: new ProviderCatalog({ simulatorUrl: deps.config.simulatorUrl, production: deps.config.nodeEnv === 'production' }),
    registry: shippedRegistry(),
    fork: () => fork(),
    log: deps.log.child({ subgraph: 'market' }),
  };
  const probes = new ProbeRunner(core);
  const scheduler = new ContractScheduler(core, probes, deps.config.contractCheckIntervalMs);
  return {
    name: 'market',
    schema: buildMarketSchema(),
    db,
    createContext: (principal, requestId) => {
      const em = fork();
      const loaders = createMarketLoaders(em);
      const sellers = new SellerService(em, core);
      return {
        sellers,
        principal,
        requestId,
        loaders,
        poolKeys: new PoolKeyService(em, loaders, core),
        listings: new ListingService(em, loaders, core, probes, sellers),
        contracts: new ContractService(em, loaders, core, probes),
        probes: new ProbeService(em, probes),
        routingProfiles: new RoutingProfileService(em, loaders, core),
        routingTable: new RoutingTableService(em, loaders, core),
        models: new ModelService(em, loaders, core.registry),
        capacity: new CapacityService(em),
      };
    },
    start: async () => {
      scheduler.start();
      await announceAllRoutingProfiles(fork(), deps.bus).catch((error) =>
        core.log.warn({ err: error }, 'routing profiles not announced at start'),
      );
    },
    stop: async () => {
      await scheduler.stop();
      await probes.close();
    },
  };
}
