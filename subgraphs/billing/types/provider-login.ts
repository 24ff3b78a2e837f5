import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A brokered provider login, started: poll its result with the session id.' })
export class ProviderLoginStart {
  @Field(() => String) loginSessionId!: string;
  @Field(() => Int, { description: 'Seconds the session lives (600).' }) expiresIn!: number;
  @Field(() => Int) pollAfterMs!: number;
}

@ObjectType({ description: 'pending, processing, complete, failed, expired or redeemed; the token appears once, when complete.' })
export class ProviderLoginResult {
  @Field(() => String) status!: string;
  @Field(() => String, { nullable: true, description: 'The provider-issued token: shown once, then the session is redeemed.' }) accessToken?: string | null;
  @Field(() => String, { nullable: true }) userId?: string | null;
  @Field(() => Int, { nullable: true }) expiresIn?: number | null;
}
