import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Listing } from '../entities/Listing';
import { Account } from '../types/references';
import type { MarketContext } from '../context';

@Resolver(() => Account)
export class SellerResolver {
  @FieldResolver(() => [Listing], { description: "The account's listings (its owner only; empty for anyone else)." })
  listings(@Root() account: Account, @Ctx() ctx: MarketContext): Promise<Listing[]> {
    return ctx.listings.listingsOf(ctx.principal, account.id);
  }
}
