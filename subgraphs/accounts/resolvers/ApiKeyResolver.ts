import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { Account } from '../entities/Account';
import { ApiKey, ApiKeyStatus } from '../entities/ApiKey';
import { KeyGroup } from '../entities/KeyGroup';
import { Project } from '../entities/Project';
import { ApiKeyCounts, ApiKeyPage, CreateApiKeyInput, CreatedApiKey, UpdateApiKeyInput } from '../types/api-keys';
import { BillingProvider } from '../types/references';
import type { AccountsContext } from '../context';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => ApiKeyPage, { description: "The caller's buyer keys, newest first." })
  apiKeys(
    @Arg('page', () => Int, { defaultValue: 1 }) page: number,
    @Arg('pageSize', () => Int, { defaultValue: 20, description: 'At most 100.' }) pageSize: number,
    @Arg('includeRevoked', () => Boolean, { defaultValue: false }) includeRevoked: boolean,
    @Ctx() ctx: AccountsContext,
  ): Promise<ApiKeyPage> {
    return ctx.apiKeys.list(ctx.principal, { page, pageSize, includeRevoked });
  }

  @Query(() => ApiKeyCounts, { description: "The caller's buyer keys, counted." })
  apiKeyCounts(@Ctx() ctx: AccountsContext): Promise<ApiKeyCounts> {
    return ctx.apiKeys.counts(ctx.principal);
  }

  @Query(() => ApiKey, { description: "One of the caller's buyer keys." })
  apiKey(
    @Arg('id', () => ID) id: string,
    @Arg('includeRevoked', () => Boolean, { defaultValue: false }) includeRevoked: boolean,
    @Ctx() ctx: AccountsContext,
  ): Promise<ApiKey> {
    return ctx.apiKeys.get(ctx.principal, id, { includeRevoked });
  }

  // Not in the public API: the data plane asks this subgraph directly, as the service principal.
  @Directive('@inaccessible')
  @Query(() => ApiKey, {
    nullable: true,
    description: 'Platform only (the data plane): the key with this keyed hash, for its cached snapshot.',
  })
  keySnapshot(@Arg('keyHash', () => String) keyHash: string, @Ctx() ctx: AccountsContext): Promise<ApiKey | null> {
    return ctx.apiKeys.byHash(ctx.principal, keyHash);
  }

  @Mutation(() => CreatedApiKey, { description: 'Create a buyer key; the raw key is in this response only.' })
  createApiKey(
    @Arg('input', () => CreateApiKeyInput, { nullable: true }) input: CreateApiKeyInput | null,
    @Ctx() ctx: AccountsContext,
  ): Promise<CreatedApiKey> {
    return ctx.apiKeys.create(ctx.principal, input ?? {});
  }

  @Mutation(() => ApiKey, { description: 'Change a key: absent fields stay, null clears.' })
  updateApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateApiKeyInput) input: UpdateApiKeyInput,
    @Ctx() ctx: AccountsContext,
  ): Promise<ApiKey> {
    return ctx.apiKeys.update(ctx.principal, id, input);
  }

  @Mutation(() => ApiKey, { description: 'Disable or enable a key; takes effect on its next request.' })
  setApiKeyEnabled(
    @Arg('id', () => ID) id: string,
    @Arg('enabled', () => Boolean) enabled: boolean,
    @Ctx() ctx: AccountsContext,
  ): Promise<ApiKey> {
    return ctx.apiKeys.setEnabled(ctx.principal, id, enabled);
  }

  @Mutation(() => ApiKey, { description: 'Revoke a key for good (a soft delete).' })
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: AccountsContext): Promise<ApiKey> {
    return ctx.apiKeys.revoke(ctx.principal, id);
  }

  @FieldResolver(() => Account)
  account(@Root() key: ApiKey, @Ctx() ctx: AccountsContext): Promise<Account | null> {
    return ctx.loaders.accountById.load(key.accountId);
  }

  @FieldResolver(() => ID)
  accountId(@Root() key: ApiKey): string {
    return key.accountId;
  }

  @FieldResolver(() => Boolean, { description: 'Active (not disabled, not revoked).' })
  enabled(@Root() key: ApiKey): boolean {
    return key.status === ApiKeyStatus.ACTIVE;
  }

  @FieldResolver(() => Boolean, { description: 'Past its expiredAt.' })
  expired(@Root() key: ApiKey, @Ctx() ctx: AccountsContext): boolean {
    return key.expiredAt != null && new Date(key.expiredAt).getTime() <= ctx.clock.now().getTime();
  }

  @FieldResolver(() => Money, { nullable: true, description: 'Spend limit per cycle (or in total without a cycle).' })
  limit(@Root() key: ApiKey): Money | null {
    return key.limitMicros == null ? null : Money.of(Number(key.limitMicros));
  }

  @FieldResolver(() => ID, { nullable: true })
  groupId(@Root() key: ApiKey): string | null {
    return key.groupId ?? null;
  }

  @FieldResolver(() => KeyGroup, { nullable: true })
  group(@Root() key: ApiKey, @Ctx() ctx: AccountsContext): Promise<KeyGroup | null> | null {
    return key.groupId ? ctx.loaders.groupById.load(key.groupId) : null;
  }

  @FieldResolver(() => Project)
  project(@Root() key: ApiKey, @Ctx() ctx: AccountsContext): Promise<Project | null> {
    return ctx.loaders.projectById.load(key.projectId);
  }

  @FieldResolver(() => BillingProvider, { nullable: true })
  billingProvider(@Root() key: ApiKey): BillingProvider | null {
    return key.billingProviderId ? { id: key.billingProviderId } : null;
  }
}
