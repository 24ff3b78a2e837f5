import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Listing } from '../entities/Listing';
import { Model } from '../types/models';
import type { MarketContext } from '../context';

// The public supply page of a model: its listings, each with its price (market), metadata and
// verification (market), reputation (network, `Listing.reputation`).
@Resolver(() => Model)
export class ModelEndpointsResolver {
  @FieldResolver(() => [Listing], {
    description:
      'Public: the cheapest routable listings of this model (contract ACTIVE or DEGRADED; a canonical one only with its claims verified), each with its metadata, cheapest output price first.',
  })
  endpoints(@Root() model: Model, @Ctx() ctx: MarketContext): Promise<Listing[]> {
    return ctx.models.endpoints(model.id);
  }
}
