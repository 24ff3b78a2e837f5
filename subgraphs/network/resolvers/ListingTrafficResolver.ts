import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { Listing } from '../types/references';
import type { NetworkContext } from '../context';

@Resolver(() => Listing)
export class ListingTrafficResolver {
  @FieldResolver(() => Int, { description: 'Jobs this listing has served.' })
  servedJobs(@Root() listing: Listing, @Ctx() ctx: NetworkContext): Promise<number> {
    return ctx.loaders.jobCountByListing.load(listing.id);
  }
}
