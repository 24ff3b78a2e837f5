import { Arg, Ctx, Directive, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { canPerformAction } from '../../common/actions';
import { DomainError, unauthenticated } from '../../common/errors';
import { Listing } from '../types/references';
import { ListingReputation } from '../types/reputation';
import { DEFAULT_WINDOW_MINUTES } from '../services/reputation';
import type { NetworkContext } from '../context';

@Resolver(() => Listing)
export class ListingReputationResolver {
  @FieldResolver(() => ListingReputation, {
    description: 'Public: what live traffic says about this listing over the last windowMinutes (1–60, default 15).',
  })
  reputation(
    @Root() listing: Listing,
    @Arg('windowMinutes', () => Int, { defaultValue: DEFAULT_WINDOW_MINUTES }) windowMinutes: number,
    @Ctx() ctx: NetworkContext,
  ): ListingReputation {
    return ctx.reputation.figures(listing.id, windowMinutes);
  }
}

@Resolver(() => ListingReputation)
export class ReputationTableResolver {
  @Query(() => [ListingReputation], {
    description: "Data plane only: every listing's reputation with traffic in the window (the routing weights' input).",
  })
  @Directive('@inaccessible')
  listingReputations(
    @Arg('windowMinutes', () => Int, { defaultValue: DEFAULT_WINDOW_MINUTES }) windowMinutes: number,
    @Ctx() ctx: NetworkContext,
  ): ListingReputation[] {
    if (ctx.principal.kind === 'anonymous') throw unauthenticated();
    if (!canPerformAction(ctx.principal, 'platform')) throw new DomainError('FORBIDDEN', 'Platform only');
    return ctx.reputation.table(windowMinutes);
  }
}
