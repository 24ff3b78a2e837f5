import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Listing } from '../entities/Listing';
import { ProbeRun } from '../entities/ProbeRun';
import type { MarketContext } from '../context';

@Resolver(() => ProbeRun)
export class ProbeRunResolver {
  @Query(() => [ProbeRun], { description: "One of your listings' probe runs, newest first." })
  listingProbeRuns(
    @Arg('listingId', () => ID) listingId: string,
    @Arg('limit', () => Int, { defaultValue: 20, description: '1 to 500.' }) limit: number,
    @Ctx() ctx: MarketContext,
  ): Promise<ProbeRun[]> {
    return ctx.probes.runs(ctx.principal, listingId, limit);
  }

  @Mutation(() => ProbeRun, {
    description:
      'Run an admission probe of your listing now (a real call through its pool key) and record it; PENDING → ACTIVE when it passes. Joins a probe already running for it.',
  })
  async probeListing(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<ProbeRun> {
    return (await ctx.probes.probeListing(ctx.principal, id)).run;
  }

  @FieldResolver(() => Listing, { nullable: true })
  listing(@Root() run: ProbeRun, @Ctx() ctx: MarketContext): Promise<Listing | null> {
    return ctx.loaders.listingById.load(run.listingId);
  }
}
