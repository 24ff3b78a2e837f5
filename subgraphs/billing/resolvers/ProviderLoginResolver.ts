import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { ProviderLoginResult, ProviderLoginStart } from '../types/provider-login';
import type { BillingContext } from '../context';

@Resolver()
export class ProviderLoginResolver {
  @Mutation(() => ProviderLoginStart, {
    description: 'Start a brokered OAuth login with a billing provider (authorization code + PKCE). redirectUri must be on the allow-list.',
  })
  startProviderLogin(
    @Arg('slug', () => String) slug: string,
    @Arg('redirectUri', () => String) redirectUri: string,
    @Ctx() ctx: BillingContext,
  ): Promise<ProviderLoginStart> {
    return ctx.providerLogin.start(ctx.principal, slug, redirectUri);
  }

  @Query(() => String, { description: "The provider's authorize URL for a pending login." })
  providerLoginRedirect(
    @Arg('slug', () => String) slug: string,
    @Arg('loginSessionId', () => String) loginSessionId: string,
    @Ctx() ctx: BillingContext,
  ): Promise<string> {
    return ctx.providerLogin.redirect(slug, loginSessionId);
  }

  @Mutation(() => String, { description: "The provider's callback: exchanges the code; answers the login's status." })
  completeProviderLogin(
    @Arg('slug', () => String) slug: string,
    @Arg('state', () => String) state: string,
    @Arg('code', () => String, { nullable: true }) code: string | null,
    @Arg('error', () => String, { nullable: true }) error: string | null,
    @Arg('browserBinding', () => String, {
      description: "startProviderLogin's browserBinding, carried by the browser that started the login.",
    })
    browserBinding: string,
    @Ctx() ctx: BillingContext,
  ): Promise<string> {
    return ctx.providerLogin.complete(slug, state, code, error, browserBinding);
  }

  @Mutation(() => ProviderLoginResult, { description: "The login's status; once complete, the provider token, exactly once." })
  redeemProviderLogin(
    @Arg('slug', () => String) slug: string,
    @Arg('loginSessionId', () => String) loginSessionId: string,
    @Arg('browserBinding', () => String, {
      description: "startProviderLogin's browserBinding, carried by the browser that started the login.",
    })
    browserBinding: string,
    @Ctx() ctx: BillingContext,
  ): Promise<ProviderLoginResult> {
    return ctx.providerLogin.result(slug, loginSessionId, browserBinding);
  }
}
