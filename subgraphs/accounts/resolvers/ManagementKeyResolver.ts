import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ManagementKey } from '../entities/ManagementKey';
import { CreateManagementKeyInput, CreatedManagementKey, ManagementCredential, ManagementKeyPage } from '../types/management-keys';
import type { AccountsContext } from '../context';

@Resolver(() => ManagementKey)
export class ManagementKeyResolver {
  @Query(() => ManagementKeyPage, { description: "The caller's management keys (dashboard session only)." })
  managementKeys(
    @Arg('page', () => Int, { defaultValue: 1 }) page: number,
    @Arg('pageSize', () => Int, { defaultValue: 20, description: 'At most 100.' }) pageSize: number,
    @Ctx() ctx: AccountsContext,
  ): Promise<ManagementKeyPage> {
    return ctx.managementKeys.list(ctx.principal, { page, pageSize });
  }

  @Query(() => ManagementKey)
  managementKey(@Arg('id', () => ID) id: string, @Ctx() ctx: AccountsContext): Promise<ManagementKey> {
    return ctx.managementKeys.get(ctx.principal, id);
  }

  @Query(() => ManagementCredential, { nullable: true, description: 'Gateway only.' })
  @Directive('@inaccessible')
  managementCredential(@Arg('keyHash', () => String) keyHash: string, @Ctx() ctx: AccountsContext): Promise<ManagementCredential | null> {
    return ctx.managementKeys
      .credential(ctx.principal, keyHash)
      .then((key) => key && { keyId: key.id, accountId: key.accountId, scope: key.scope, enabled: key.enabled });
  }

  @Mutation(() => CreatedManagementKey, { description: 'Create a management key; the raw key is in this response only.' })
  createManagementKey(
    @Arg('input', () => CreateManagementKeyInput) input: CreateManagementKeyInput,
    @Ctx() ctx: AccountsContext,
  ): Promise<CreatedManagementKey> {
    return ctx.managementKeys.create(ctx.principal, input);
  }

  @Mutation(() => ManagementKey)
  renameManagementKey(
    @Arg('id', () => ID) id: string,
    @Arg('name', () => String) name: string,
    @Ctx() ctx: AccountsContext,
  ): Promise<ManagementKey> {
    return ctx.managementKeys.rename(ctx.principal, id, name);
  }

  @Mutation(() => ManagementKey, { description: 'Takes effect on the next request made with the key.' })
  setManagementKeyEnabled(
    @Arg('id', () => ID) id: string,
    @Arg('enabled', () => Boolean) enabled: boolean,
    @Ctx() ctx: AccountsContext,
  ): Promise<ManagementKey> {
    return ctx.managementKeys.setEnabled(ctx.principal, id, enabled);
  }

  @Mutation(() => ManagementKey, { description: 'Delete (soft): the key never authenticates again.' })
  deleteManagementKey(@Arg('id', () => ID) id: string, @Ctx() ctx: AccountsContext): Promise<ManagementKey> {
    return ctx.managementKeys.delete(ctx.principal, id);
  }

  @FieldResolver(() => String, { description: '`Enabled` or `Disabled`.' })
  status(@Root() key: ManagementKey): string {
    return key.enabled ? 'Enabled' : 'Disabled';
  }
}
