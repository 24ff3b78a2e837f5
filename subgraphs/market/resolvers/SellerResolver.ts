import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Listing } from '../entities/Listing';
import { Seller } from '../entities/Seller';
import { Account } from '../types/references';
import type { MarketContext } from '../context';

@Resolver(() => Account)
export class SellerResolver {
  @FieldResolver(() => [Listing], { description: "The account's listings (its owner only; empty for anyone else)." })
  listings(@Root() account: Account, @Ctx() ctx: MarketContext): Promise<Listing[]> {
    return ctx.listings.listingsOf(ctx.principal, account.id);
  }

  @FieldResolver(() => Seller, {
    nullable: true,
    description: "The account's seller identity (its public handle); null when it never chose one nor listed under its own.",
  })
  seller(@Root() account: Account, @Ctx() ctx: MarketContext): Promise<Seller | null> {
    return ctx.sellers.of(account.id);
  }
}

@Resolver(() => Seller)
export class SellerHandleResolver {
  @Query(() => Seller, { description: 'Your seller identity (handle null until chosen or taken from your first own-namespace listing).' })
  mySeller(@Ctx() ctx: MarketContext): Promise<Seller> {
    return ctx.sellers.mine(ctx.principal);
  }

  @Mutation(() => Seller, {
    description:
      'Choose your handle, once: your own model ids are `<handle>/<name>`. 2 to 39 lowercase letters, digits and inner `-`; vendor handles of the canonical registry are reserved (BAD_USER_INPUT); a taken handle, or changing yours, is CONFLICT.',
  })
  claimSellerHandle(@Arg('handle', () => String) handle: string, @Ctx() ctx: MarketContext): Promise<Seller> {
    return ctx.sellers.claim(ctx.principal, handle);
  }
}
