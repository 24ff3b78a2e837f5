import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { Account } from '../types/references';
import type { BillingContext } from '../context';

@Resolver(() => Account)
export class AccountMoneyResolver {
  @FieldResolver(() => Money, { nullable: true, description: 'Spendable balance; visible to the account itself only.' })
  balance(@Root() account: Account, @Ctx() ctx: BillingContext): Promise<Money | null> {
    return ctx.billing.balanceOf(ctx.principal, account.id);
  }
}
