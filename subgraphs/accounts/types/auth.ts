import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Account } from '../entities/Account';

@InputType()
export class SignupInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;
}

@ObjectType({ description: 'A dashboard session: a JWT for the Authorization header, and its account.' })
export class AuthPayload {
  @Field(() => String)
  token!: string;

  @Field(() => Account)
  account!: Account;
}

@ObjectType({ description: 'For the gateway only: the session generation and the signed-out tokens of an account.' })
@Directive('@inaccessible')
export class SessionStatePayload {
  @Field(() => ID)
  accountId!: string;

  @Field(() => Int)
  generation!: number;

  @Field(() => [String])
  revokedSessionIds!: string[];
}
