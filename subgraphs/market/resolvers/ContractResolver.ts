import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Contract, ContractState } from '../entities/Contract';
import { ContractCheck } from '../entities/ContractCheck';
import { Listing } from '../entities/Listing';
import type { MarketContext } from '../context';

@Resolver(() => Contract)
export class ContractResolver {
  @Query(() => [Contract], { description: "One of your listings' contracts, newest first." })
  listingContracts(@Arg('listingId', () => ID) listingId: string, @Ctx() ctx: MarketContext): Promise<Contract[]> {
    return ctx.contracts.forListing(ctx.principal, listingId);
  }

  @Query(() => Contract, { description: 'One of your contracts.' })
  contract(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<Contract> {
    return ctx.contracts.get(ctx.principal, id);
  }

  @Query(() => [ContractCheck], { description: "One of your contracts' checks, newest first." })
  contractChecks(
    @Arg('contractId', () => ID) contractId: string,
    @Arg('limit', () => Int, { defaultValue: 50, description: '1 to 500.' }) limit: number,
    @Ctx() ctx: MarketContext,
  ): Promise<ContractCheck[]> {
    return ctx.contracts.checks(ctx.principal, contractId, limit);
  }

  @Mutation(() => ContractCheck, {
    description:
      'Probe the listing now and record a REVERIFY check (DEGRADED → ACTIVE when it passes; a SUSPENDED contract stays suspended until unsuspendContract).',
  })
  async reverifyContract(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<ContractCheck> {
    return (await ctx.contracts.reverify(ctx.principal, id)).check;
  }

  @Mutation(() => Contract, {
    description:
      'SUSPENDED → ACTIVE. Allowed only when the latest check since the suspension passed (run reverifyContract first); else CONFLICT.',
  })
  unsuspendContract(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<Contract> {
    return ctx.contracts.unsuspend(ctx.principal, id);
  }

  @Mutation(() => ContractState, {
    description:
      "Data plane only: the outcome of a real request served by the listing, recorded as a LIVE check. Answers the contract's state after it.",
  })
  @Directive('@inaccessible')
  async reportListingOutcome(
    @Arg('listingId', () => ID) listingId: string,
    @Arg('ok', () => Boolean) ok: boolean,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
    @Arg('contradictsClaims', () => Boolean, {
      nullable: true,
      description:
        "The answer is evidence against the listing's claims (usage beyond the gateway's count, another model's name): its claims are verified again soon.",
    })
    contradictsClaims: boolean | null,
    @Ctx() ctx: MarketContext,
  ): Promise<ContractState> {
    return (await ctx.contracts.reportOutcome(ctx.principal, listingId, ok, reason, contradictsClaims === true)).state;
  }

  @FieldResolver(() => Listing, { nullable: true })
  listing(@Root() contract: Contract, @Ctx() ctx: MarketContext): Promise<Listing | null> {
    return ctx.loaders.listingById.load(contract.listingId);
  }
}
