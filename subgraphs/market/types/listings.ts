import { Field, InputType } from 'type-graphql';
import { Capability } from '../entities/Listing';

@InputType()
export class CreateListingInput {
  @Field(() => String, { description: 'Public model id: `vendor/name`, lowercase letters, digits, `.`, `-`, `_`.' })
  model!: string;

  @Field(() => String, { nullable: true, description: 'The model name at the provider; defaults to `model`.' })
  upstreamModel?: string | null;

  // No GraphQL default: an enum default in SDL bypasses the enum's value mapping. The service defaults to chat.
  @Field(() => Capability, { nullable: true, description: 'Defaults to CHAT.' })
  capability?: Capability;

  @Field(() => String, { description: 'USD per million input tokens, as a decimal string (at most 6 decimals).' })
  inputPricePerMTok!: string;

  @Field(() => String, { description: 'USD per million output tokens, as a decimal string (at most 6 decimals).' })
  outputPricePerMTok!: string;
}
