import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    "A listing's figures from live traffic over a rolling window (minute buckets). Buyer faults (refused requests, aborts) and the gateway's own errors are left out. Rates and percentiles are null below 5 requests in the window.",
})
export class ListingReputation {
  @Field(() => ID)
  listingId!: string;

  @Field(() => Int, { description: 'The window: the last this many minutes (1–60).' })
  windowMinutes!: number;

  @Field(() => Int, { description: 'Requests counted: those it served plus those it failed.' })
  requests!: number;

  @Field(() => Float, { nullable: true, description: 'Share of counted requests it served, 0–1.' })
  successRate?: number | null;

  @Field(() => Int, { nullable: true, description: 'Time to first token (first byte), median, ms.' })
  ttftP50Ms?: number | null;

  @Field(() => Int, { nullable: true })
  ttftP95Ms?: number | null;

  @Field(() => Int, { nullable: true, description: 'Whole-request latency, median, ms.' })
  latencyP50Ms?: number | null;

  @Field(() => Int, { nullable: true })
  latencyP95Ms?: number | null;

  @Field(() => Float, { nullable: true, description: 'Chat output tokens per second of request time.' })
  tokensPerSecond?: number | null;
}
