// The data plane's view of supply (platform only, hidden from the public API).
import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { ContractState } from '../entities/Contract';
import { Capability } from '../entities/Listing';
import { ListingCaps, ListingDataPolicy } from './listings';

@ObjectType({ description: 'One routable listing, with what the data plane needs to call it. Platform only.' })
@Directive('@inaccessible')
export class RoutingCandidate {
  @Field(() => ID)
  listingId!: string;

  @Field(() => ID)
  sellerId!: string;

  @Field(() => ID)
  contractId!: string;

  @Field(() => String)
  provider!: string;

  @Field(() => Capability)
  capability!: Capability;

  @Field(() => String, { description: 'OpenAI-compatible base URL (ending where /chat/completions hangs off).' })
  baseUrl!: string;

  @Field(() => String)
  upstreamModel!: string;

  @Field(() => String, {
    description: 'The pool key sealed with AES-256-GCM under the platform secret; open it with `sealContext` as associated data.',
  })
  sealedApiKey!: string;

  @Field(() => String, { description: '`pool-key:<id>`.' })
  sealContext!: string;

  @Field(() => GraphQLSafeInt)
  inputPriceMicrosPerMTok!: number;

  @Field(() => GraphQLSafeInt)
  outputPriceMicrosPerMTok!: number;

  @Field(() => GraphQLSafeInt, { nullable: true })
  priceMicrosPerMChars!: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Cached prompt tokens, at most the input price (null: the input price).' })
  cacheReadPriceMicrosPerMTok!: number | null;

  @Field(() => GraphQLSafeInt, {
    description:
      'What listings are compared by: input + output micro-USD per MTok (per MChars for speech). The data plane draws and sorts by it.',
  })
  blendedPriceMicros!: number;

  @Field(() => ListingCaps)
  caps!: ListingCaps;

  @Field(() => Int, { nullable: true })
  latencyMs!: number | null;

  @Field(() => Int, { nullable: true })
  ttftMs!: number | null;

  @Field(() => Float, { nullable: true })
  tokensPerSecond!: number | null;

  @Field(() => ContractState, { description: 'ACTIVE, or DEGRADED (ranked after every ACTIVE one).' })
  contractState!: ContractState;

  @Field(() => Boolean, {
    description: 'false only when a canonical claim failed or is pending (such a listing is left out of the table).',
  })
  verified!: boolean;

  @Field(() => String, { nullable: true, description: "The seller's handle (null: it has none); routing profiles name supply by it." })
  sellerHandle!: string | null;

  @Field(() => Int, { nullable: true, description: "Effective context length (a canonical model's when not declared); null: unknown." })
  contextLength!: number | null;

  @Field(() => Int, { nullable: true })
  maxOutputTokens!: number | null;

  @Field(() => [String], {
    description:
      "Effective: a canonical model's and the declared (chat; else empty). Requests using a parameter go only to supply that lists it.",
  })
  supportedParameters!: string[];

  @Field(() => String, { nullable: true })
  quantization!: string | null;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => ListingDataPolicy)
  dataPolicy!: ListingDataPolicy;
}

@ObjectType({ description: 'Ranked supply of one model for the data plane. Platform only.' })
@Directive('@inaccessible')
export class RoutingTable {
  @Field(() => String)
  model!: string;

  @Field(() => Capability, { nullable: true, description: 'null when nothing lists the model.' })
  capability!: Capability | null;

  @Field(() => ID, { nullable: true, description: 'The profile applied (null: none given, or it no longer exists).' })
  profileId!: string | null;

  @Field(() => [RoutingCandidate], { description: 'In the order to try them.' })
  candidates!: RoutingCandidate[];

  @Field(() => Boolean)
  allowFallbacks!: boolean;

  @Field(() => [String], { description: "The profile's fallback models (empty when fallbacks are off)." })
  fallbackModels!: string[];

  @Field(() => Int, { nullable: true })
  timeoutMs!: number | null;

  @Field(() => Int, { nullable: true })
  maxRetries!: number | null;

  @Field(() => Int, { nullable: true, description: "The profile's idle timeout after the first byte (null: the platform default)." })
  streamIdleTimeoutMs!: number | null;

  @Field(() => Boolean, {
    description:
      'false when the profile orders supply itself (a sort other than PRICE, a provider or supply order): the data plane then tries the candidates in this order instead of drawing among comparable ones.',
  })
  loadBalanced!: boolean;
}
