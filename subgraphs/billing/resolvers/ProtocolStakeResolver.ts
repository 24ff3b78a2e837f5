import { Ctx, FieldResolver, Float, Resolver } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { microsToUsdNumber } from '../../common/money';
import { Protocol } from '../types/references';
import type { BillingContext } from '../context';

@Resolver(() => Protocol)
export class ProtocolStakeResolver {
  @FieldResolver(() => Float, {
    description:
      "The sellers' reserve held right now (their stake in the network), in USD — not LPT: this network has no token. " +
      'The exact integer micro-USD converted for display (at most 6 decimals); `reserveHeld` is the same amount as Money.',
  })
  async totalStakedLPT(@Ctx() ctx: BillingContext): Promise<number> {
    return microsToUsdNumber(await ctx.billing.networkReserveHeldMicros());
  }

  @FieldResolver(() => Money, { description: "The sellers' reserve held right now (the sum of their reserved earnings), exact." })
  async reserveHeld(@Ctx() ctx: BillingContext): Promise<Money> {
    return Money.of(await ctx.billing.networkReserveHeldMicros());
  }
}
