import type { ReferenceResolvers } from '../common/federation';
import type { MarketContext } from './context';

export const marketReferences: ReferenceResolvers = {
  Account: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  // A listing's public face (model, capability, prices, status) is public: it is what the market sells.
  Listing: { __resolveReference: (reference: { id: string }, ctx: MarketContext) => ctx.loaders.listingById.load(reference.id) },
};
