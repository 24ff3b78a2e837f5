import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { EarningsConversion, PayoutOutcome, PayoutPage, PayoutView } from '../types/disputes';
import { EarningsSummary } from '../types/money-views';
import type { BillingContext } from '../context';

@Resolver()
export class PayoutResolver {
  @Mutation(() => PayoutView, {
    description:
      'Pay out available earnings (at least the payout minimum; one pending payout at a time; never the free-credit-funded part).',
  })
  requestPayout(
    @Arg('amount', () => String, { description: 'USD, decimal string.' }) amount: string,
    @Ctx() ctx: BillingContext,
  ): Promise<PayoutView> {
    return ctx.payouts.request(ctx.principal, amount);
  }

  @Query(() => PayoutPage, { description: 'Your payouts, newest first.' })
  payouts(
    @Arg('page', () => Int, { defaultValue: 1 }) page: number,
    @Arg('pageSize', () => Int, { defaultValue: 20 }) pageSize: number,
    @Ctx() ctx: BillingContext,
  ): Promise<PayoutPage> {
    return ctx.payouts.list(ctx.principal, page, pageSize);
  }

  @Mutation(() => EarningsConversion, {
    description: 'Turn available earnings into your own buyer credit: the free-credit-funded part becomes promo credit, the rest balance.',
  })
  convertEarnings(
    @Arg('amount', () => String, { description: 'USD, decimal string.' }) amount: string,
    @Ctx() ctx: BillingContext,
  ): Promise<EarningsConversion> {
    return ctx.payouts.convert(ctx.principal, amount);
  }

  @Mutation(() => PayoutView, {
    description: "Platform only: the payout provider's answer (webhook). FAILED returns the money to available earnings.",
  })
  @Directive('@inaccessible')
  completePayout(
    @Arg('id', () => ID) id: string,
    @Arg('providerReference', () => String) providerReference: string,
    @Arg('outcome', () => PayoutOutcome) outcome: PayoutOutcome,
    @Ctx() ctx: BillingContext,
  ): Promise<PayoutView> {
    return ctx.payouts.complete(ctx.principal, id, providerReference, outcome);
  }
}

@Resolver(() => EarningsSummary)
export class EarningsPayoutFiguresResolver {
  @FieldResolver(() => Money, { description: 'What can be paid out now: available, less the free-credit-funded earnings.' })
  async withdrawable(@Ctx() ctx: BillingContext): Promise<Money> {
    return Money.of((await ctx.payouts.figures(ctx.principal)).withdrawableMicros);
  }

  @FieldResolver(() => Money, {
    description: 'Earnings paid with free credit (trial credit, sandbox top-ups): they can be converted into promo credit, never paid out.',
  })
  async creditOnly(@Ctx() ctx: BillingContext): Promise<Money> {
    return Money.of((await ctx.payouts.figures(ctx.principal)).creditOnlyMicros);
  }

  @FieldResolver(() => Money, { description: 'Payouts requested and not yet completed (already out of available).' })
  async payoutPending(@Ctx() ctx: BillingContext): Promise<Money> {
    return Money.of((await ctx.payouts.figures(ctx.principal)).payoutPendingMicros);
  }

  @FieldResolver(() => Money, { description: 'Everything paid out (completed payouts).' })
  async paidOut(@Ctx() ctx: BillingContext): Promise<Money> {
    return Money.of((await ctx.payouts.figures(ctx.principal)).paidOutMicros);
  }

  @FieldResolver(() => Money, { description: 'Everything converted into buyer credit.' })
  async converted(@Ctx() ctx: BillingContext): Promise<Money> {
    return Money.of((await ctx.payouts.figures(ctx.principal)).convertedMicros);
  }
}
