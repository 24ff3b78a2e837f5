// Federation entry points: other subgraphs hand us `{__typename, id}` and we resolve the entity,
// batched per request. A listing's public face and models are public (they are what the market
// sells); pool keys and contracts are their seller's, routing profiles their buyer's.
import type { ReferenceResolvers } from '../common/federation';
import { seesRoutingOf, seesSupplyOf } from './services/access';
import { toModel } from './resolvers/ModelResolver';
import type { MarketContext } from './context';

export const marketReferences: ReferenceResolvers = {
  Account: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  Listing: { __resolveReference: (reference: { id: string }, ctx: MarketContext) => ctx.loaders.listingById.load(reference.id) },
  PoolKey: {
    __resolveReference: async (reference: { id: string }, ctx: MarketContext) => {
      const key = await ctx.loaders.poolKeyById.load(reference.id);
      return key && seesSupplyOf(ctx.principal, key.sellerId) ? key : null;
    },
  },
  Contract: {
    __resolveReference: async (reference: { id: string }, ctx: MarketContext) => {
      const contract = await ctx.loaders.contractById.load(reference.id);
      return contract && seesSupplyOf(ctx.principal, contract.sellerId) ? contract : null;
    },
  },
  RoutingProfile: {
    __resolveReference: async (reference: { id: string }, ctx: MarketContext) => {
      const profile = await ctx.loaders.routingProfileById.load(reference.id);
      return profile && seesRoutingOf(ctx.principal, profile.accountId) ? profile : null;
    },
  },
  // Network overview entities: the key (and, for GPUCapacity, network's busy listings) is all
  // market needs; the fields are computed from declared hardware (resolvers/NetworkCapacityResolver.ts).
  GPUCapacity: {
    __resolveReference: (reference: { timeframeHours: number; busyListingIds?: string[] | null }) => ({
      timeframeHours: reference.timeframeHours,
      busyListingIds: reference.busyListingIds ?? null,
    }),
  },
  OrchestratorRow: { __resolveReference: (reference: { address: string }) => ({ address: reference.address }) },
  Model: {
    __resolveReference: async (reference: { id: string }, ctx: MarketContext) => {
      const view = await ctx.models.get(reference.id);
      return view && toModel(view);
    },
  },
};
