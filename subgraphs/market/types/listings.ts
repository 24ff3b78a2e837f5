import { Field, InputType } from 'type-graphql';
import { Capability } from '../entities/Listing';

@InputType()
export class CreateListingInput {
  @Field(() => String, { description: 'Public model id: `vendor/name`, lowercase letters, digits, `.`, `-`, `_`.' })
  model!: string;

  @Field(() => String, { nullable: true, description: 'The model name at the provider; defaults to `model`.' })
  upstreamModel?: string | null;

  @Field(() => Capability, { nullable: true, defaultValue: Capability.CHAT })
  capability?: Capability;

  @Field(() => String, { description: 'USD per million input tokens, as a decimal string (at most 6 decimals).' })
  inputPricePerMTok!: string;

  @Field(() => String, { description: 'USD per million output tokens, as a decimal string (at most 6 decimals).' })
  outputPricePerMTok!: string;
}
