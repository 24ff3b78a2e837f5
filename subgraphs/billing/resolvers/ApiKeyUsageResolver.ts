import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { ApiKey } from '../types/references';
import type { BillingContext } from '../context';

@Resolver(() => ApiKey)
export class ApiKeyUsageResolver {
  @FieldResolver(() => Money, { nullable: true, description: 'Everything this key has spent.' })
  usageInTotal(@Root() key: ApiKey, @Ctx() ctx: BillingContext): Promise<Money | null> {
    return ctx.billing.usageInTotal(ctx.principal, key.id);
  }
}
