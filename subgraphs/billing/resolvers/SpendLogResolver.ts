import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { EndUserUsage, ModelUsage, SpendLogPage, TagUsage } from '../types/money-views';
import { DEFAULT_SPEND_LOG_PAGE } from '../services/spend-log';
import type { BillingContext } from '../context';

const window = { nullable: true } as const;

@Resolver()
export class SpendLogResolver {
  @Query(() => SpendLogPage, {
    description: "Every request of the caller's account in a window (as `usage`), newest first, filtered; pages of at most 200.",
  })
  spendLog(
    @Arg('from', () => Date, window) from: Date | null,
    @Arg('to', () => Date, window) to: Date | null,
    @Arg('keyId', () => ID, { nullable: true }) keyId: string | null,
    @Arg('model', () => String, { nullable: true }) model: string | null,
    @Arg('listingId', () => ID, { nullable: true }) listingId: string | null,
    @Arg('status', () => String, { nullable: true, description: 'completed, failed or cancelled' }) status: string | null,
    @Arg('tag', () => String, { nullable: true }) tag: string | null,
    @Arg('user', () => String, { nullable: true, description: "The end user (OpenAI's `user`)." }) user: string | null,
    @Arg('limit', () => Int, { defaultValue: DEFAULT_SPEND_LOG_PAGE, description: 'Rows per page, 1 to 200.' }) limit: number,
    @Arg('after', () => String, { nullable: true, description: 'The nextCursor of the page before.' }) after: string | null,
    @Ctx() ctx: BillingContext,
  ): Promise<SpendLogPage> {
    return ctx.spendLog.page(ctx.principal, ctx.billing.window(from, to), { keyId, model, listingId, status, tag, user }, limit, after);
  }

  @Query(() => [ModelUsage], { description: 'Usage in a window (as `usage`) per model, biggest spend first.' })
  async usageByModel(
    @Arg('from', () => Date, window) from: Date | null,
    @Arg('to', () => Date, window) to: Date | null,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
    @Ctx() ctx: BillingContext,
  ): Promise<ModelUsage[]> {
    const rows = await ctx.spendLog.breakdown(ctx.principal, ctx.billing.window(from, to), 'model', limit);
    return rows.map(({ key, ...figures }) => ({ ...figures, model: key ?? '' }));
  }

  @Query(() => [TagUsage], {
    description: 'Usage in a window per tag, biggest spend first; a request with several tags counts under each.',
  })
  async usageByTag(
    @Arg('from', () => Date, window) from: Date | null,
    @Arg('to', () => Date, window) to: Date | null,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
    @Ctx() ctx: BillingContext,
  ): Promise<TagUsage[]> {
    const rows = await ctx.spendLog.breakdown(ctx.principal, ctx.billing.window(from, to), 'tag', limit);
    return rows.map(({ key, ...figures }) => ({ ...figures, tag: key ?? '' }));
  }

  @Query(() => [EndUserUsage], {
    description: 'Usage in a window per end user, biggest spend first; requests without one form the row with user null.',
  })
  async usageByUser(
    @Arg('from', () => Date, window) from: Date | null,
    @Arg('to', () => Date, window) to: Date | null,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
    @Ctx() ctx: BillingContext,
  ): Promise<EndUserUsage[]> {
    const rows = await ctx.spendLog.breakdown(ctx.principal, ctx.billing.window(from, to), 'user', limit);
    return rows.map(({ key, ...figures }) => ({ ...figures, user: key }));
  }
}
