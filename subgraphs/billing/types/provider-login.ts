import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A brokered provider login, started: poll its result with the session id.' })
export class ProviderLoginStart {
  @Field(() => String) loginSessionId!: string;
  @Field(() => String, {
    description:
      'Binds the login to the browser that started it: the callback and the result require it (the NaaP routes keep it in a cookie). Never share it.',
  })
  browserBinding!: string;
  @Field(() => Int, { description: 'Seconds the session lives (600).' }) expiresIn!: number;
  @Field(() => Int) pollAfterMs!: number;
}

@ObjectType({ description: 'pending, processing, complete, failed, expired or redeemed; the token appears once, when complete.' })
export class ProviderLoginResult {
  @Field(() => String) status!: string;
  @Field(() => String, { nullable: true, description: 'The provider-issued token: shown once, then the session is redeemed.' })
  accessToken?: string | null;
  @Field(() => String, { nullable: true }) userId?: string | null;
  @Field(() => Int, { nullable: true }) expiresIn?: number | null;
}
