import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Account } from '../entities/Account';
import { ApiKey } from '../entities/ApiKey';
import { CreateApiKeyInput, CreatedApiKey } from '../types/api-keys';
import type { AccountsContext } from '../context';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: "The caller's buyer keys, newest first." })
  apiKeys(@Ctx() ctx: AccountsContext): Promise<ApiKey[]> {
    return ctx.accounts.listApiKeys(ctx.principal);
  }

  @Query(() => ApiKey, { description: 'One of the caller’s buyer keys.' })
  apiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: AccountsContext): Promise<ApiKey> {
    return ctx.accounts.getApiKey(ctx.principal, id);
  }

  @Mutation(() => CreatedApiKey, { description: 'Create a buyer key; the raw key is in this response only.' })
  createApiKey(@Arg('input', () => CreateApiKeyInput, { nullable: true }) input: CreateApiKeyInput | null, @Ctx() ctx: AccountsContext): Promise<CreatedApiKey> {
    return ctx.accounts.createApiKey(ctx.principal, input ?? {});
  }

  @FieldResolver(() => Account)
  async account(@Root() key: ApiKey, @Ctx() ctx: AccountsContext): Promise<Account | null> {
    return ctx.loaders.accountById.load(key.accountId);
  }
}
