import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { Listing } from '../types/references';
import type { BillingContext } from '../context';

@Resolver(() => Listing)
export class ListingEarningsResolver {
  @FieldResolver(() => Money, { nullable: true, description: "The seller's earnings from this listing (its seller only)." })
  earnings(@Root() listing: Listing, @Ctx() ctx: BillingContext): Promise<Money | null> {
    return ctx.billing.listingEarnings(ctx.principal, listing.id);
  }
}
