import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { EarningPage, EarningsBucket, EarningsInterval, EarningsSummary, MonthlyEarnings, ReserveEntry } from '../types/money-views';
import type { BillingContext } from '../context';

@Resolver()
export class EarningsResolver {
  @Query(() => EarningsSummary, { description: "The seller's money: cooling, available, reserved, lifetime." })
  earningsSummary(@Ctx() ctx: BillingContext): Promise<EarningsSummary> {
    return ctx.billing.earningsSummary(ctx.principal);
  }

  @Query(() => EarningPage, { description: "The seller's earnings per request, newest first." })
  earnings(
    @Arg('page', () => Int, { defaultValue: 1 }) page: number,
    @Arg('pageSize', () => Int, { defaultValue: 20 }) pageSize: number,
    @Ctx() ctx: BillingContext,
  ) {
    return ctx.billing.earnings(ctx.principal, page, pageSize);
  }

  @Query(() => [EarningsBucket], { description: 'Earnings per hour or day (UTC) in a window (default: last 30 days).' })
  earningsTimeseries(
    @Arg('interval', () => EarningsInterval, { nullable: true }) interval: EarningsInterval | null,
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Ctx() ctx: BillingContext,
  ): Promise<EarningsBucket[]> {
    return ctx.billing.earningsTimeseries(ctx.principal, interval ?? EarningsInterval.DAY, ctx.billing.window(from, to));
  }

  @Query(() => [MonthlyEarnings], { description: 'Earnings per calendar month (UTC), the last 24.' })
  earningsMonthly(@Ctx() ctx: BillingContext): Promise<MonthlyEarnings[]> {
    return ctx.billing.earningsMonthly(ctx.principal);
  }

  @Query(() => [ReserveEntry], { description: 'The held share of each earning and when it is released.' })
  earningsReserve(
    @Arg('includeReleased', () => Boolean, { defaultValue: false }) includeReleased: boolean,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
    @Ctx() ctx: BillingContext,
  ): Promise<ReserveEntry[]> {
    return ctx.billing.reserve(ctx.principal, includeReleased, limit);
  }
}
