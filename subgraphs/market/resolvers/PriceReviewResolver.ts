import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { Listing } from '../entities/Listing';
import { PriceReview } from '../entities/PriceReview';
import { ListingPrices } from '../types/listings';
import type { MarketContext } from '../context';

const money = (micros: number | null | undefined): Money | null => (micros == null ? null : Money.of(Number(micros)));

@Resolver(() => PriceReview)
export class PriceReviewResolver {
  @Query(() => [PriceReview], { description: 'Your review queue: price increases waiting for confirmListingPrice, newest first.' })
  priceReviews(
    @Arg('includeResolved', () => Boolean, { defaultValue: false, description: 'Also confirmed, superseded and cancelled ones.' })
    includeResolved: boolean,
    @Ctx() ctx: MarketContext,
  ): Promise<PriceReview[]> {
    return ctx.listings.priceReviews(ctx.principal, includeResolved);
  }

  @FieldResolver(() => Listing, { nullable: true })
  listing(@Root() review: PriceReview, @Ctx() ctx: MarketContext): Promise<Listing | null> {
    return ctx.loaders.listingById.load(review.listingId);
  }

  @FieldResolver(() => ListingPrices, { description: 'The live prices when the review was opened.' })
  current(@Root() review: PriceReview): ListingPrices {
    return {
      inputPricePerMTok: money(review.currentInputMicros),
      outputPricePerMTok: money(review.currentOutputMicros),
      pricePerMChars: money(review.currentPerMCharsMicros),
    };
  }

  @FieldResolver(() => ListingPrices, { description: 'The prices waiting for confirmation (null = unchanged).' })
  proposed(@Root() review: PriceReview): ListingPrices {
    return {
      inputPricePerMTok: money(review.proposedInputMicros),
      outputPricePerMTok: money(review.proposedOutputMicros),
      pricePerMChars: money(review.proposedPerMCharsMicros),
    };
  }
}
