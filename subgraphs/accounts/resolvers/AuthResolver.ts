import { Arg, Ctx, Directive, ID, Mutation, Query, Resolver } from 'type-graphql';
import { AuthPayload, LoginInput, SessionStatePayload, SignupInput } from '../types/auth';
import type { AccountsContext } from '../context';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, {
    description: 'Create an account and start a dashboard session. Throttled per client address (RATE_LIMITED).',
  })
  signup(@Arg('input', () => SignupInput) input: SignupInput, @Ctx() ctx: AccountsContext): Promise<AuthPayload> {
    return ctx.accounts.signup(input, ctx.clientAddress);
  }

  @Mutation(() => AuthPayload, {
    description: 'Start a dashboard session. Throttled per email and per client address (RATE_LIMITED), even with the right password.',
  })
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: AccountsContext): Promise<AuthPayload> {
    return ctx.accounts.login(input, ctx.clientAddress);
  }

  @Mutation(() => Boolean, { description: 'Sign out the dashboard session this request is made with (its token is refused from now on).' })
  logout(@Ctx() ctx: AccountsContext): Promise<boolean> {
    return ctx.accounts.logout(ctx.principal);
  }

  @Mutation(() => Boolean, { description: "Sign out every dashboard session of the caller's account, this one included." })
  logoutEverywhere(@Ctx() ctx: AccountsContext): Promise<boolean> {
    return ctx.accounts.logoutEverywhere(ctx.principal);
  }

  @Query(() => SessionStatePayload, {
    nullable: true,
    description: 'Gateway only: what dashboard tokens of this account must match; null when the account does not exist.',
  })
  @Directive('@inaccessible')
  sessionState(@Arg('accountId', () => ID) accountId: string, @Ctx() ctx: AccountsContext): Promise<SessionStatePayload | null> {
    return ctx.accounts.sessionState(ctx.principal, accountId);
  }
}
