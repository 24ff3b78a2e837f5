import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { Listing } from '../entities/Listing';
import { Account } from '../types/references';
import { CreateListingInput } from '../types/listings';
import type { MarketContext } from '../context';

@Resolver(() => Listing)
export class ListingResolver {
  @Query(() => [Listing], { description: "The caller's listings, newest first." })
  myListings(@Ctx() ctx: MarketContext): Promise<Listing[]> {
    return ctx.market.myListings(ctx.principal);
  }

  @Mutation(() => Listing, { description: 'List a model for sale. It is routable once admitted.' })
  createListing(@Arg('input', () => CreateListingInput) input: CreateListingInput, @Ctx() ctx: MarketContext): Promise<Listing> {
    return ctx.market.createListing(ctx.principal, input);
  }

  @FieldResolver(() => Account)
  seller(@Root() listing: Listing): Account {
    return { id: listing.sellerId };
  }

  @FieldResolver(() => Money, { description: 'USD per million input tokens.' })
  inputPricePerMTok(@Root() listing: Listing): Money {
    return Money.of(listing.inputPriceMicrosPerMTok);
  }

  @FieldResolver(() => Money, { description: 'USD per million output tokens.' })
  outputPricePerMTok(@Root() listing: Listing): Money {
    return Money.of(listing.outputPriceMicrosPerMTok);
  }
}
