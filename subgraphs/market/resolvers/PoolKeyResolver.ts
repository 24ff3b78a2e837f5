import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PoolKey } from '../entities/PoolKey';
import { CreatePoolKeyInput, Provider } from '../types/pool-keys';
import type { MarketContext } from '../context';

@Resolver(() => PoolKey)
export class PoolKeyResolver {
  @Query(() => [Provider], { description: 'Upstreams you can pool keys for (seller).' })
  poolProviders(@Ctx() ctx: MarketContext): Provider[] {
    return ctx.poolKeys.providers(ctx.principal).map((entry) => ({ ...entry, capabilities: [...entry.capabilities] }));
  }

  @Query(() => [PoolKey], { description: 'Your pool keys, newest first (deleted ones omitted).' })
  poolKeys(@Ctx() ctx: MarketContext): Promise<PoolKey[]> {
    return ctx.poolKeys.list(ctx.principal);
  }

  @Query(() => PoolKey, { description: 'One of your pool keys.' })
  poolKey(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<PoolKey> {
    return ctx.poolKeys.get(ctx.principal, id);
  }

  @Mutation(() => PoolKey, {
    description:
      'Add an upstream key to your pool. It is checked with one call to the provider (GET {baseUrl}/models): a refused key is BAD_USER_INPUT, ' +
      'a provider that cannot be reached is SERVICE_UNAVAILABLE (for `custom`, an unreachable baseUrl is BAD_USER_INPUT). The same key twice is CONFLICT.',
  })
  createPoolKey(@Arg('input', () => CreatePoolKeyInput) input: CreatePoolKeyInput, @Ctx() ctx: MarketContext): Promise<PoolKey> {
    return ctx.poolKeys.create(ctx.principal, input);
  }

  @Mutation(() => PoolKey, {
    description: 'Retire a pool key (its sealed secret is erased). CONFLICT while a listing that is not deleted uses it.',
  })
  deletePoolKey(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<PoolKey> {
    return ctx.poolKeys.delete(ctx.principal, id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Where its calls go: the catalog URL of its provider, or the one given for `custom`.',
  })
  baseUrl(@Root() key: PoolKey, @Ctx() ctx: MarketContext): string | null {
    return ctx.poolKeys.baseUrlOf(key);
  }
}
