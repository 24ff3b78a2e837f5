import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Contract } from '../entities/Contract';
import { ContractCheck } from '../entities/ContractCheck';
import type { MarketContext } from '../context';

@Resolver(() => ContractCheck)
export class ContractCheckResolver {
  @FieldResolver(() => Contract, { nullable: true, description: 'The contract as it is now.' })
  contract(@Root() check: ContractCheck, @Ctx() ctx: MarketContext): Promise<Contract | null> {
    return ctx.loaders.contractById.load(check.contractId);
  }
}
