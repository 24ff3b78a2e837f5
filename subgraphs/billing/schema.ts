import { buildFederatedSchema } from '../common/federation';
import { AccountMoneyResolver } from './resolvers/AccountMoneyResolver';
import { ApiKeyUsageResolver } from './resolvers/ApiKeyUsageResolver';
import { BillingProviderResolver } from './resolvers/BillingProviderResolver';
import { EarningsResolver } from './resolvers/EarningsResolver';
import { ListingEarningsResolver } from './resolvers/ListingEarningsResolver';
import { ProtocolStakeResolver } from './resolvers/ProtocolStakeResolver';
import { KeyGroupUsageResolver } from './resolvers/KeyGroupUsageResolver';
import { ProviderLoginResolver } from './resolvers/ProviderLoginResolver';
import { UsageResolver } from './resolvers/UsageResolver';
import { SpendLogResolver } from './resolvers/SpendLogResolver';
import { DisputeResolver, ListingDisputesResolver } from './resolvers/DisputeResolver';
import { EarningsPayoutFiguresResolver, PayoutResolver } from './resolvers/PayoutResolver';
import { billingReferences } from './references';
import { Account, ApiKey, KeyGroup, Listing, Protocol } from './types/references';

export const buildBillingSchema = () =>
  buildFederatedSchema(
    {
      resolvers: [
        AccountMoneyResolver,
        ApiKeyUsageResolver,
        BillingProviderResolver,
        UsageResolver,
        SpendLogResolver,
        EarningsResolver,
        ListingEarningsResolver,
        KeyGroupUsageResolver,
        ProviderLoginResolver,
        ProtocolStakeResolver,
        DisputeResolver,
        ListingDisputesResolver,
        PayoutResolver,
        EarningsPayoutFiguresResolver,
      ],
      orphanedTypes: [Account, ApiKey, Listing, KeyGroup, Protocol],
    },
    billingReferences,
  );
