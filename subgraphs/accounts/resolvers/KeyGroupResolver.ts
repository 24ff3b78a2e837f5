import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { KeyGroup } from '../entities/KeyGroup';
import { CreateKeyGroupInput, UpdateKeyGroupInput } from '../types/key-groups';
import type { AccountsContext } from '../context';

@Resolver(() => KeyGroup)
export class KeyGroupResolver {
  @Query(() => [KeyGroup], { description: "The caller's key groups." })
  keyGroups(@Ctx() ctx: AccountsContext): Promise<KeyGroup[]> {
    return ctx.keyGroups.list(ctx.principal);
  }

  @Mutation(() => KeyGroup)
  createKeyGroup(@Arg('input', () => CreateKeyGroupInput) input: CreateKeyGroupInput, @Ctx() ctx: AccountsContext): Promise<KeyGroup> {
    return ctx.keyGroups.create(ctx.principal, input);
  }

  @Mutation(() => KeyGroup)
  updateKeyGroup(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateKeyGroupInput) input: UpdateKeyGroupInput,
    @Ctx() ctx: AccountsContext,
  ): Promise<KeyGroup> {
    return ctx.keyGroups.update(ctx.principal, id, input);
  }

  @Mutation(() => KeyGroup, { description: 'Delete a group; its keys stay, ungrouped.' })
  deleteKeyGroup(@Arg('id', () => ID) id: string, @Ctx() ctx: AccountsContext): Promise<KeyGroup> {
    return ctx.keyGroups.delete(ctx.principal, id);
  }

  @FieldResolver(() => Money, { nullable: true })
  monthlyBudget(@Root() group: KeyGroup): Money | null {
    return group.monthlyBudgetMicros == null ? null : Money.of(Number(group.monthlyBudgetMicros));
  }
}
