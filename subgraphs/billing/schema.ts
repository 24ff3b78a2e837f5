import { buildFederatedSchema } from '../common/federation';
import { AccountMoneyResolver } from './resolvers/AccountMoneyResolver';
import { ApiKeyUsageResolver } from './resolvers/ApiKeyUsageResolver';
import { BillingProviderResolver } from './resolvers/BillingProviderResolver';
import { billingReferences } from './references';
import { Account, ApiKey } from './types/references';

export const buildBillingSchema = () =>
  buildFederatedSchema({ resolvers: [AccountMoneyResolver, ApiKeyUsageResolver, BillingProviderResolver], orphanedTypes: [Account, ApiKey] }, billingReferences);
