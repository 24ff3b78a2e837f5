import { buildFederatedSchema } from '../common/federation';
import { JobFeedResolver } from './resolvers/JobFeedResolver';
import { ListingTrafficResolver } from './resolvers/ListingTrafficResolver';
import { Listing } from './types/references';
import { networkReferences } from './references';

export const buildNetworkSchema = () =>
  buildFederatedSchema({ resolvers: [JobFeedResolver, ListingTrafficResolver], orphanedTypes: [Listing] }, networkReferences);
