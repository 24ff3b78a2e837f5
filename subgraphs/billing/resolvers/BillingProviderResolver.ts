import { Query, Resolver } from 'type-graphql';
import { BILLING_PROVIDERS } from '../../common/billing-providers';
import { BillingProvider } from '../types/billing-provider';

@Resolver(() => BillingProvider)
export class BillingProviderResolver {
  @Query(() => [BillingProvider], { description: 'The enabled billing providers (public).' })
  billingProviders(): BillingProvider[] {
    return [...BILLING_PROVIDERS];
  }
}
