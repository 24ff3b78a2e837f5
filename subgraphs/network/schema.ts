import { buildFederatedSchema } from '../common/federation';
import { JobFeedResolver } from './resolvers/JobFeedResolver';
import { ListingTrafficResolver } from './resolvers/ListingTrafficResolver';
import { DashboardResolver, OrchestratorRowResolver } from './resolvers/DashboardResolver';
import { Listing } from './types/references';
import { networkReferences } from './references';

export const buildNetworkSchema = () =>
  buildFederatedSchema({ resolvers: [JobFeedResolver, ListingTrafficResolver, DashboardResolver, OrchestratorRowResolver], orphanedTypes: [Listing] }, networkReferences);
