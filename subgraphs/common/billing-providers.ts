// The billing-provider catalog. Billing serves it (and will own its configuration); until then it
// is this seeded list, which accounts also uses to check a key's billingProviderId.
export interface BillingProviderEntry {
  id: string;
  slug: string;
  displayName: string;
  description: string;
  icon: string;
  authType: 'oauth' | 'api_key' | 'none';
}

export const BILLING_PROVIDERS: readonly BillingProviderEntry[] = [
  {
    id: 'bp_sandbox',
    slug: 'sandbox',
    displayName: 'Sandbox',
    description: 'Test credit for development; no real money',
    icon: 'flask',
    authType: 'none',
  },
  {
    id: 'bp_daydream',
    slug: 'daydream',
    displayName: 'Daydream',
    description: 'Pay for inference with a Daydream account',
    icon: 'cloud',
    authType: 'oauth',
  },
  {
    id: 'bp_pymthouse',
    slug: 'pymthouse',
    displayName: 'PymtHouse',
    description: 'Pay for inference through PymtHouse',
    icon: 'credit-card',
    authType: 'oauth',
  },
];

export const billingProviderById = (id: string) => BILLING_PROVIDERS.find((provider) => provider.id === id) ?? null;
