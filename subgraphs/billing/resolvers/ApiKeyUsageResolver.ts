import { Ctx, Directive, FieldResolver, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { ApiKey } from '../types/references';
import type { BillingContext } from '../context';

@Resolver(() => ApiKey)
export class ApiKeyUsageResolver {
  @FieldResolver(() => Money, { nullable: true, description: 'Everything this key has spent.' })
  usageInTotal(@Root() key: ApiKey, @Ctx() ctx: BillingContext): Promise<Money | null> {
    return ctx.billing.usageInTotal(ctx.principal, key.id);
  }

  @FieldResolver(() => Money, { nullable: true, description: "Spend in the key's current cycle (UTC window); without a cycle, in total." })
  @Directive('@requires(fields: "cycle")')
  usageInCycle(@Root() key: ApiKey, @Ctx() ctx: BillingContext): Promise<Money | null> {
    return ctx.billing.usageInCycle(ctx.principal, key.id, key.cycle);
  }
}
