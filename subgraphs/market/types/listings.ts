import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { Capability } from '../entities/Listing';
import { Money } from '../../common/graphql-types';

@InputType({ description: 'Limits the data plane keeps for a listing; each null = no limit.' })
export class ListingCapsInput {
  @Field(() => Int, { nullable: true, description: 'Requests a minute, 1 to 1,000,000.' })
  rpm?: number | null;

  @Field(() => Int, { nullable: true, description: 'Tokens a minute, 1 to 1,000,000,000.' })
  tpm?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests in flight at once, 1 to 100,000.' })
  maxConcurrency?: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Tokens a UTC day, 1 to 10^12.' })
  dailyTokens?: number | null;
}

@InputType({ description: 'What the supply runs on, as the seller declares it (shown on the network overview).' })
export class HardwareInput {
  @Field(() => String, { nullable: true, description: 'e.g. `H100 80GB`, 1 to 100 characters.' })
  gpuModel?: string | null;

  @Field(() => Int, { nullable: true, description: '1 to 100,000.' })
  gpuCount?: number | null;
}

@InputType({ description: 'What happens to prompts at the provider; each absent field stays (false on create), null sets false.' })
export class ListingDataPolicyInput {
  @Field(() => Boolean, { nullable: true, description: 'The provider keeps prompts after answering.' })
  retainsPrompts?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'The provider trains models on prompts.' })
  trainsOnPrompts?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Nothing is kept after answering; cannot be true with retainsPrompts or trainsOnPrompts.',
  })
  zeroRetention?: boolean | null;
}

@ObjectType({ description: 'What happens to prompts at the provider, as the seller declares it.' })
export class ListingDataPolicy {
  @Field(() => Boolean)
  retainsPrompts!: boolean;

  @Field(() => Boolean)
  trainsOnPrompts!: boolean;

  @Field(() => Boolean)
  zeroRetention!: boolean;
}

/** Settings shared by create and update; on update an absent field is unchanged and null clears it. */
@InputType('ListingSettings')
class ListingSettings {
  @Field(() => String, {
    nullable: true,
    description: 'USD per million input tokens (decimal string, at most 6 decimals, 0 to 10000). Required for CHAT and EMBEDDINGS.',
  })
  inputPricePerMTok?: string | null;

  @Field(() => String, { nullable: true, description: 'USD per million output tokens. Required for CHAT; EMBEDDINGS default to 0.' })
  outputPricePerMTok?: string | null;

  @Field(() => String, { nullable: true, description: 'SPEECH only (and required there): USD per million input characters.' })
  pricePerMChars?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'CHAT only: USD per million prompt tokens the upstream reports as cached (prompt_tokens_details.cached_tokens); never charged above the input price. null clears it (cached tokens then cost the input price).',
  })
  cacheReadPricePerMTok?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'USD: the lowest blended price (input + output per MTok; per MChars for speech) this listing may be set to. null clears it.',
  })
  priceFloor?: string | null;

  @Field(() => ListingCapsInput, {
    nullable: true,
    description: 'On update each given cap is set (null clears it); caps: null clears all.',
  })
  caps?: ListingCapsInput | null;

  @Field(() => HardwareInput, { nullable: true })
  hardware?: HardwareInput | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Tokens of context the supply takes, 1 to 10,000,000 (CHAT, EMBEDDINGS); at most a canonical model's. null: unknown (a canonical model's own then).",
  })
  contextLength?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "CHAT: the longest completion in tokens, 1 to the context length; at most a canonical model's. null: unknown (a canonical model's own then).",
  })
  maxOutputTokens?: number | null;

  @Field(() => [String], {
    nullable: true,
    description:
      "CHAT: request parameters the supply honours beyond a canonical model's own (tools, tool_choice, json_schema, json_object, vision, logprobs, reasoning, stop, seed); duplicates dropped. Declared tools, json_schema and a context length are verified. null: none.",
  })
  supportedParameters?: string[] | null;

  @Field(() => String, { nullable: true, description: 'int4, int8, fp4, fp6, fp8, fp16, bf16, fp32 or unknown; null: not declared.' })
  quantization?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Where the supply runs: 2 to 32 lowercase letters, digits and `-` (e.g. `us`, `eu-west`); null: not declared.',
  })
  region?: string | null;

  @Field(() => ListingDataPolicyInput, {
    nullable: true,
    description: 'On update each given field is set; dataPolicy: null sets all false.',
  })
  dataPolicy?: ListingDataPolicyInput | null;
}

@InputType()
export class CreateListingInput extends ListingSettings {
  @Field(() => ID, {
    nullable: true,
    description:
      'Your pool key the listing calls the upstream with; its provider must serve the capability. Without one the listing is a draft: stored, never probed or routed until updateListing gives it one.',
  })
  poolKeyId?: string | null;

  @Field(() => String, {
    description:
      'Public model id: `vendor/name`, lowercase letters, digits, `.`, `-`, `_`. One model id has one capability across the market.',
  })
  model!: string;

  @Field(() => String, { nullable: true, description: 'The model name at the provider; defaults to `model`.' })
  upstreamModel?: string | null;

  // No GraphQL default: an enum default in SDL bypasses the enum's value mapping. The service defaults to chat.
  @Field(() => Capability, { nullable: true, description: 'Defaults to CHAT.' })
  capability?: Capability;
}

@InputType({
  description:
    'Absent fields stay, null clears. A price increase above the review threshold waits for confirmListingPrice; a decrease applies at once.',
})
export class UpdateListingInput extends ListingSettings {
  @Field(() => ID, {
    nullable: true,
    description: 'Move the listing to another of your pool keys: the contract goes back to PENDING and a new admission probe runs.',
  })
  poolKeyId?: string | null;
}

@ObjectType({ description: 'A listing’s limits; null = no limit.' })
export class ListingCaps {
  @Field(() => Int, { nullable: true })
  rpm!: number | null;

  @Field(() => Int, { nullable: true })
  tpm!: number | null;

  @Field(() => Int, { nullable: true })
  maxConcurrency!: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true })
  dailyTokens!: number | null;
}

@ObjectType({ description: 'Declared hardware behind a listing.' })
export class Hardware {
  @Field(() => String, { nullable: true })
  gpuModel!: string | null;

  @Field(() => Int, { nullable: true })
  gpuCount!: number | null;
}

@ObjectType({ description: 'A set of listing prices; in a proposal, null = this price does not change.' })
export class ListingPrices {
  @Field(() => Money, { nullable: true, description: 'USD per million input tokens.' })
  inputPricePerMTok!: Money | null;

  @Field(() => Money, { nullable: true, description: 'USD per million output tokens.' })
  outputPricePerMTok!: Money | null;

  @Field(() => Money, { nullable: true, description: 'USD per million characters (speech).' })
  pricePerMChars!: Money | null;
}
