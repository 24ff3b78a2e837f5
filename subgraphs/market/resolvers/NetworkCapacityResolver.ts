// The network overview's GPU figures: market's declared hardware; busy-ness comes from network
// through @requires. Thin: the rules are in services/capacity.ts.
import { Ctx, Directive, FieldResolver, Float, Int, Resolver, Root } from 'type-graphql';
import { declaredGpus } from '../services/capacity';
import { GPUCapacity, GPUCapacityPipeline, GPUModelCapacity, OrchestratorRow } from '../types/network';
import type { MarketContext } from '../context';

@Resolver(() => GPUCapacity)
export class GPUCapacityResolver {
  @FieldResolver(() => Int, { description: 'GPUs declared on admitted (routable) listings; a listing without a declared count has 0.' })
  async totalGPUs(@Ctx() ctx: MarketContext): Promise<number> {
    return (await ctx.capacity.declared()).totalGPUs;
  }

  @FieldResolver(() => Int, { description: 'Of those, the GPUs of listings that served at least one job in the window (busy).' })
  @Directive('@requires(fields: "busyListingIds")')
  async activeGPUs(@Root() capacity: GPUCapacity, @Ctx() ctx: MarketContext): Promise<number> {
    return (await ctx.capacity.busy(capacity.busyListingIds ?? [])).activeGPUs;
  }

  @FieldResolver(() => Float, { description: 'Percent of declared GPUs not busy (1 decimal); 0 when none are declared.' })
  @Directive('@requires(fields: "busyListingIds")')
  async availableCapacity(@Root() capacity: GPUCapacity, @Ctx() ctx: MarketContext): Promise<number> {
    return (await ctx.capacity.busy(capacity.busyListingIds ?? [])).availableCapacity;
  }

  @FieldResolver(() => [GPUModelCapacity], { description: 'Declared GPUs per GPU model, most first.' })
  async models(@Ctx() ctx: MarketContext): Promise<GPUModelCapacity[]> {
    return (await ctx.capacity.declared()).models;
  }

  @FieldResolver(() => [GPUCapacityPipeline], {
    description: 'Declared GPUs per pipeline, and per public model in it, most first (0 left out).',
  })
  async pipelineGPUs(@Ctx() ctx: MarketContext): Promise<GPUCapacityPipeline[]> {
    return (await ctx.capacity.declared()).pipelineGPUs;
  }
}

@Resolver(() => OrchestratorRow)
export class OrchestratorHardwareResolver {
  @FieldResolver(() => Int, {
    description: 'GPUs declared on the listing (0 when none were declared, or for a listing market does not know).',
  })
  async gpuCount(@Root() row: OrchestratorRow, @Ctx() ctx: MarketContext): Promise<number> {
    const listing = await ctx.loaders.listingById.load(row.address);
    return listing ? declaredGpus(listing) : 0;
  }
}
