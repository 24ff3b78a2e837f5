import { Field, InputType, ObjectType } from 'type-graphql';
import { ApiKey } from '../entities/ApiKey';

@InputType()
export class CreateApiKeyInput {
  @Field(() => String, { nullable: true, description: 'Up to 100 characters; defaults to "default".' })
  name?: string | null;
}

@ObjectType({ description: 'A new key. `rawKey` is shown here once and never again.' })
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String)
  rawKey!: string;
}
