import { Field, InputType, ObjectType } from 'type-graphql';
import { Capability } from '../entities/Listing';

@InputType()
export class CreatePoolKeyInput {
  @Field(() => String, { description: 'A provider id from `poolProviders`, e.g. `openai`, `deepseek`, `custom`.' })
  provider!: string;

  @Field(() => String, {
    description: 'The upstream key. Checked with one call to the provider (GET /models), stored sealed, never shown again.',
  })
  apiKey!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Required for `custom` (an http(s) URL ending where `/models`, `/chat/completions` hang off, e.g. `https://host/v1`); refused for catalog providers, whose URL is fixed.',
  })
  baseUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Your name for the key, 1 to 100 characters.' })
  label?: string | null;
}

@ObjectType({ description: 'An upstream a seller can pool keys for.' })
export class Provider {
  @Field(() => String, { description: 'The id to give as `provider`.' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Its OpenAI-compatible base URL (null for `custom`: you give it).' })
  baseUrl!: string | null;

  @Field(() => [Capability], { description: 'What listings through its keys may serve.' })
  capabilities!: Capability[];

  @Field(() => Boolean, { description: 'createPoolKey needs a baseUrl.' })
  requiresBaseUrl!: boolean;

  @Field(() => Boolean, { description: 'createPoolKey takes a baseUrl.' })
  acceptsBaseUrl!: boolean;
}
