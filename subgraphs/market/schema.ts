import { buildFederatedSchema } from '../common/federation';
import { ContractCheckResolver } from './resolvers/ContractCheckResolver';
import { ContractResolver } from './resolvers/ContractResolver';
import { ListingResolver } from './resolvers/ListingResolver';
import { ModelResolver } from './resolvers/ModelResolver';
import { PoolKeyResolver } from './resolvers/PoolKeyResolver';
import { PriceReviewResolver } from './resolvers/PriceReviewResolver';
import { ProbeRunResolver } from './resolvers/ProbeRunResolver';
import { RoutingProfileResolver } from './resolvers/RoutingProfileResolver';
import { RoutingTableResolver } from './resolvers/RoutingTableResolver';
import { SellerResolver } from './resolvers/SellerResolver';
import { marketReferences } from './references';

export const buildMarketSchema = () =>
  buildFederatedSchema(
    {
      resolvers: [
        PoolKeyResolver,
        ListingResolver,
        SellerResolver,
        PriceReviewResolver,
        ContractResolver,
        ContractCheckResolver,
        ProbeRunResolver,
        RoutingProfileResolver,
        RoutingTableResolver,
        ModelResolver,
      ],
    },
    marketReferences,
  );
