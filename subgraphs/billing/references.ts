import type { ReferenceResolvers } from '../common/federation';
import { billingProviderById } from '../common/billing-providers';

// Accounts owns both; billing only adds fields, so a reference is just its key.
export const billingReferences: ReferenceResolvers = {
  Account: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  // Representations carry enum fields by NAME (WEEKLY); the resolvers work with values (weekly).
  ApiKey: {
    __resolveReference: (reference: { id: string; cycle?: string | null }) => ({
      id: reference.id,
      cycle: reference.cycle ? reference.cycle.toLowerCase() : null,
    }),
  },
  KeyGroup: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  Listing: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  // The reserve held is a figure of now, whatever the round: the key is only carried through.
  Protocol: { __resolveReference: (reference: { currentRound: number }) => ({ currentRound: reference.currentRound }) },
  BillingProvider: { __resolveReference: (reference: { id: string }) => billingProviderById(reference.id) },
};
