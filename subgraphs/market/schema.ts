import { buildFederatedSchema } from '../common/federation';
import { ContractCheckResolver } from './resolvers/ContractCheckResolver';
import { ContractResolver } from './resolvers/ContractResolver';
import { ListingResolver } from './resolvers/ListingResolver';
import { ModelResolver } from './resolvers/ModelResolver';
import { ModelEndpointsResolver } from './resolvers/ModelEndpointsResolver';
import { GPUCapacityResolver, OrchestratorHardwareResolver } from './resolvers/NetworkCapacityResolver';
import { PoolKeyResolver } from './resolvers/PoolKeyResolver';
import { PriceReviewResolver } from './resolvers/PriceReviewResolver';
import { ProbeRunResolver } from './resolvers/ProbeRunResolver';
import { RoutingProfileResolver } from './resolvers/RoutingProfileResolver';
import { RoutingTableResolver } from './resolvers/RoutingTableResolver';
import { SellerHandleResolver, SellerResolver } from './resolvers/SellerResolver';
import { marketReferences } from './references';
import { GPUCapacity, OrchestratorRow } from './types/network';

export const buildMarketSchema = () =>
  buildFederatedSchema(
    {
      resolvers: [
        PoolKeyResolver,
        ListingResolver,
        SellerResolver,
        SellerHandleResolver,
        PriceReviewResolver,
        ContractResolver,
        ContractCheckResolver,
        ProbeRunResolver,
        RoutingProfileResolver,
        RoutingTableResolver,
        ModelResolver,
        ModelEndpointsResolver,
        GPUCapacityResolver,
        OrchestratorHardwareResolver,
      ],
      // Entities only other subgraphs return: nothing of market's reaches them.
      orphanedTypes: [GPUCapacity, OrchestratorRow],
    },
    marketReferences,
  );
