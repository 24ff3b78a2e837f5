import type { ReferenceResolvers } from '../common/federation';
import { billingProviderById } from '../common/billing-providers';

// Accounts owns both; billing only adds fields, so a reference is just its key.
export const billingReferences: ReferenceResolvers = {
  Account: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  ApiKey: { __resolveReference: (reference: { id: string; cycle?: string | null }) => reference },
  BillingProvider: { __resolveReference: (reference: { id: string }) => billingProviderById(reference.id) },
};
