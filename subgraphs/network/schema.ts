import { buildFederatedSchema } from '../common/federation';
import { JobFeedResolver } from './resolvers/JobFeedResolver';
import { ListingTrafficResolver } from './resolvers/ListingTrafficResolver';
import { DashboardResolver, OrchestratorRowResolver } from './resolvers/DashboardResolver';
import { ListingReputationResolver, ReputationTableResolver } from './resolvers/ReputationResolver';
import { Listing } from './types/references';
import { networkReferences } from './references';

export const buildNetworkSchema = () =>
  buildFederatedSchema(
    {
      resolvers: [
        JobFeedResolver,
        ListingTrafficResolver,
        DashboardResolver,
        OrchestratorRowResolver,
        ListingReputationResolver,
        ReputationTableResolver,
      ],
      orphanedTypes: [Listing],
    },
    networkReferences,
  );
