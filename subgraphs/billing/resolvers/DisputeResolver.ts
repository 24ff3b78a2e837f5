import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DisputePage, DisputeStatusValue, DisputeView } from '../types/disputes';
import { Listing } from '../types/references';
import type { BillingContext } from '../context';

@Resolver()
export class DisputeResolver {
  @Mutation(() => DisputeView, {
    description:
      'Dispute one of your charged requests (within the dispute window; one dispute per request). Metering evidence of an overcharge resolves it for you at once.',
  })
  openDispute(
    @Arg('requestId', () => ID) requestId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: BillingContext,
  ): Promise<DisputeView> {
    return ctx.disputes.open(ctx.principal, requestId, reason);
  }

  @Query(() => DisputePage, { description: 'Your disputes as a buyer, newest first.' })
  disputes(
    @Arg('page', () => Int, { defaultValue: 1 }) page: number,
    @Arg('pageSize', () => Int, { defaultValue: 20 }) pageSize: number,
    @Ctx() ctx: BillingContext,
  ): Promise<DisputePage> {
    return ctx.disputes.list(ctx.principal, page, pageSize);
  }

  @Query(() => DisputeView, { description: 'One dispute: for its buyer, or for the seller whose listing served the request.' })
  dispute(@Arg('id', () => ID) id: string, @Ctx() ctx: BillingContext): Promise<DisputeView> {
    return ctx.disputes.get(ctx.principal, id);
  }

  @Query(() => DisputePage, { description: 'Disputes against your listings, newest first.' })
  sellerDisputes(
    @Arg('page', () => Int, { defaultValue: 1 }) page: number,
    @Arg('pageSize', () => Int, { defaultValue: 20 }) pageSize: number,
    @Arg('status', () => DisputeStatusValue, { nullable: true }) status: DisputeStatusValue | null,
    @Ctx() ctx: BillingContext,
  ): Promise<DisputePage> {
    return ctx.disputes.sellerList(ctx.principal, page, pageSize, status ?? null);
  }

  @Mutation(() => DisputeView, { description: 'As the seller: accept an open dispute; the buyer is refunded from your earnings.' })
  acceptDispute(@Arg('id', () => ID) id: string, @Ctx() ctx: BillingContext): Promise<DisputeView> {
    return ctx.disputes.accept(ctx.principal, id);
  }

  @Mutation(() => DisputeView, {
    description:
      "As the seller: contest an open dispute with your reason. It is decided when the response window ends: for you, unless the request's evidence says otherwise.",
  })
  contestDispute(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: BillingContext,
  ): Promise<DisputeView> {
    return ctx.disputes.contest(ctx.principal, id, reason);
  }
}

@Resolver(() => Listing)
export class ListingDisputesResolver {
  @FieldResolver(() => Int, {
    description: 'Disputes resolved against this listing (refunded to the buyer): its reputation counts these only.',
  })
  disputesLost(@Root() listing: Listing, @Ctx() ctx: BillingContext): Promise<number> {
    return ctx.disputes.lostByListing.load(listing.id);
  }
}
