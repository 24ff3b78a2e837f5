import { Arg, Ctx, Directive, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import type { UsageEvent } from '../../common/events';
import {
  ApplyUsageResult,
  DailyUsage,
  Generation,
  KeyUsageSummary,
  SettlementResult,
  TopUpResult,
  TransactionPage,
  UsageEventInput,
  UsageSummary,
} from '../types/money-views';
import { requireService } from '../services/access';
import type { BillingContext } from '../context';

@Resolver()
export class UsageResolver {
  @Query(() => UsageSummary, { description: "The caller's usage in a window (default: the last 30 days; at most 366)." })
  usage(
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Ctx() ctx: BillingContext,
  ): Promise<UsageSummary> {
    return ctx.billing.usage(ctx.principal, ctx.billing.window(from, to));
  }

  @Query(() => [KeyUsageSummary], { description: 'The same, per buyer key, biggest spend first.' })
  usageByKey(
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Ctx() ctx: BillingContext,
  ) {
    return ctx.billing.usageByKey(ctx.principal, ctx.billing.window(from, to));
  }

  @Query(() => [DailyUsage], { description: 'The same, per UTC day.' })
  usageDaily(
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Ctx() ctx: BillingContext,
  ): Promise<DailyUsage[]> {
    return ctx.billing.usageDaily(ctx.principal, ctx.billing.window(from, to));
  }

  @Query(() => Generation, { description: 'One request by its id (x-request-id): its buyer only.' })
  generation(@Arg('id', () => ID) id: string, @Ctx() ctx: BillingContext): Promise<Generation> {
    return ctx.billing.generation(ctx.principal, id, ctx.receipts);
  }

  @Query(() => Generation, {
    description:
      "One request served by one of the caller's listings, by its id (an earning's requestId): its seller only, to prove what was served.",
  })
  sellerGeneration(@Arg('id', () => ID) id: string, @Ctx() ctx: BillingContext): Promise<Generation> {
    return ctx.billing.generation(ctx.principal, id, ctx.receipts, 'seller');
  }

  @Query(() => TransactionPage, { description: "The caller's ledger, newest first." })
  transactions(
    @Arg('page', () => Int, { defaultValue: 1 }) page: number,
    @Arg('pageSize', () => Int, { defaultValue: 20 }) pageSize: number,
    @Ctx() ctx: BillingContext,
  ) {
    return ctx.billing.transactions(ctx.principal, page, pageSize);
  }

  @Mutation(() => TopUpResult, { description: 'Add funds through the sandbox billing provider (no real money).' })
  async topUp(
    @Arg('amount', () => String, { description: 'USD, decimal string.' }) amount: string,
    @Ctx() ctx: BillingContext,
  ): Promise<TopUpResult> {
    const { amountMicros } = await ctx.credits.topUp(ctx.principal, amount);
    ctx.loaders.balanceByAccount.clearAll();
    return {
      amount: Money.of(amountMicros),
      balance: (await ctx.billing.balanceOf(ctx.principal, (ctx.principal as { accountId: string }).accountId))!,
    };
  }

  @Mutation(() => ApplyUsageResult, { description: 'Data plane only: apply a batch of usage events, each exactly once.' })
  @Directive('@inaccessible')
  applyUsage(@Arg('events', () => [UsageEventInput]) events: UsageEventInput[], @Ctx() ctx: BillingContext): Promise<ApplyUsageResult> {
    requireService(ctx.principal);
    return ctx.usage.apply(events as UsageEvent[]);
  }

  @Mutation(() => SettlementResult, { description: 'Platform only: mature cooled earnings and release reserves up to `at`.' })
  @Directive('@inaccessible')
  settleEarnings(@Arg('at', () => Date, { nullable: true }) at: Date | null, @Ctx() ctx: BillingContext): Promise<SettlementResult> {
    requireService(ctx.principal);
    return ctx.settle(at ?? new Date());
  }
}
