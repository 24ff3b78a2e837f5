import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { AuthPayload, LoginInput, SignupInput } from '../types/auth';
import type { AccountsContext } from '../context';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Create an account and start a dashboard session.' })
  signup(@Arg('input', () => SignupInput) input: SignupInput, @Ctx() ctx: AccountsContext): Promise<AuthPayload> {
    return ctx.accounts.signup(input);
  }

  @Mutation(() => AuthPayload, { description: 'Start a dashboard session.' })
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: AccountsContext): Promise<AuthPayload> {
    return ctx.accounts.login(input);
  }
}
