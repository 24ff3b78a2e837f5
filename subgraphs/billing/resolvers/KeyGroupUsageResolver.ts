import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { KeyGroup } from '../types/references';
import type { BillingContext } from '../context';

@Resolver(() => KeyGroup)
export class KeyGroupUsageResolver {
  @FieldResolver(() => Money, {
    nullable: true,
    description: "The group's spend this calendar month (UTC): what its monthly budget is measured against.",
  })
  usageThisMonth(@Root() group: KeyGroup, @Ctx() ctx: BillingContext): Promise<Money | null> {
    return ctx.billing.groupUsageThisMonth(ctx.principal, group.id);
  }
}
