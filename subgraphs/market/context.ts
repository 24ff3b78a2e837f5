import type { BaseContext } from '../common/subgraph';
import type { MarketLoaders } from './loaders';
import type { CapacityService } from './services/capacity';
import type { ContractService } from './services/contracts';
import type { ListingService } from './services/listings';
import type { ModelService } from './services/models';
import type { PoolKeyService } from './services/pool-keys';
import type { ProbeService } from './services/probes';
import type { RoutingProfileService } from './services/routing-profiles';
import type { RoutingTableService } from './services/routing-table';
import type { SellerService } from './services/sellers';

export interface MarketContext extends BaseContext {
  poolKeys: PoolKeyService;
  listings: ListingService;
  sellers: SellerService;
  contracts: ContractService;
  probes: ProbeService;
  routingProfiles: RoutingProfileService;
  routingTable: RoutingTableService;
  models: ModelService;
  capacity: CapacityService;
  loaders: MarketLoaders;
}
