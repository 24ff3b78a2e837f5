import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { Capability } from '../entities/Listing';

@ObjectType({ description: 'Lowest, highest and mean (rounded to the micro-USD) of a price over supply.' })
export class MoneyRange {
  @Field(() => Money)
  min!: Money;

  @Field(() => Money)
  max!: Money;

  @Field(() => Money)
  avg!: Money;
}

@ObjectType({ description: 'A public model with ACTIVE supply: live figures over its ACTIVE listings, and catalog text.' })
@Directive('@key(fields: "id")')
export class Model {
  @Field(() => ID, { description: 'The public model id, e.g. `deepseek/deepseek-chat`.' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  tagline!: string;

  @Field(() => Capability)
  capability!: Capability;

  @Field(() => String, { description: 'The network pipeline: `llm`, `embeddings` or `text-to-speech`.' })
  pipeline!: string;

  @Field(() => Boolean)
  featured!: boolean;

  @Field(() => Boolean, { description: 'Answers as a stream (chat, speech).' })
  realtime!: boolean;

  @Field(() => [String])
  useCases!: string[];

  @Field(() => [String], { description: 'Computed: `streaming`, `multi-seller`, `low-latency`.' })
  badges!: string[];

  @Field(() => Int, { description: 'Listings with an ACTIVE contract.' })
  activeListings!: number;

  @Field(() => Int, { description: 'Distinct sellers with an ACTIVE listing (warm supply).' })
  warmSupply!: number;

  @Field(() => Int, { description: 'Sum of maxConcurrency over ACTIVE listings (a listing without that cap counts as 1).' })
  totalCapacity!: number;

  @Field(() => Int, { description: 'GPUs declared on ACTIVE listings.' })
  gpuCount!: number;

  @Field(() => MoneyRange, { description: 'USD per million input tokens.' })
  inputPrice!: MoneyRange;

  @Field(() => MoneyRange, { description: 'USD per million output tokens.' })
  outputPrice!: MoneyRange;

  @Field(() => MoneyRange, { nullable: true, description: 'Speech: USD per million characters.' })
  pricePerMChars!: MoneyRange | null;

  @Field(() => MoneyRange, {
    nullable: true,
    description: 'Chat: USD a minute of continuous generation (output price × tokens/s × 60) over listings with a measured rate.',
  })
  costPerMinute!: MoneyRange | null;

  @Field(() => Int, { nullable: true, description: 'Median latency of the latest passing probes, ms.' })
  latencyP50Ms!: number | null;

  @Field(() => Int, { nullable: true, description: 'Median time to first token (chat) or first audio byte (speech), ms.' })
  ttftP50Ms!: number | null;

  @Field(() => Float, { nullable: true, description: 'Median output tokens per second (chat).' })
  tokensPerSecond!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: "The largest context length of its ACTIVE listings (a canonical model's when a listing declares none); null: unknown.",
  })
  contextLength!: number | null;

  @Field(() => [String], { description: 'Chat: every request parameter some ACTIVE listing honours (Listing.supportedParameters).' })
  supportedParameters!: string[];

  @Field(() => [String], { description: 'The quantizations its ACTIVE listings declare (distinct, sorted).' })
  quantizations!: string[];
}
