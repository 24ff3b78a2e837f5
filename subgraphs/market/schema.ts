import { buildFederatedSchema } from '../common/federation';
import { ListingResolver } from './resolvers/ListingResolver';
import { SellerResolver } from './resolvers/SellerResolver';
import { marketReferences } from './references';

export const buildMarketSchema = () => buildFederatedSchema({ resolvers: [ListingResolver, SellerResolver] }, marketReferences);
