// The NaaP network-overview shapes, with NaaP's type and field names (the dashboard plugins send
// these queries). What each figure means on this marketplace: CONTRACT-NOTES "NaaP network overview".
// Three of them are entities that other subgraphs complete with the facts they own: Protocol
// (billing: the sellers' reserve held), OrchestratorRow (market: the listing's declared GPUs) and
// GPUCapacity (market: declared GPUs, counting as busy the listings network names for the window).
// Protocol and OrchestratorRow are only ever returned by network (`resolvable: false`: a row's
// period is not in its key); GPUCapacity is resolvable by its window, which is how the planner may
// fetch busyListingIds for market's @requires.
import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Listing } from './references';

@ObjectType({ description: 'A figure for the window and its change against the previous window of the same length.' })
export class MetricDelta {
  @Field(() => Float)
  value!: number;

  @Field(() => Float, {
    description:
      'Percent change against the previous window (1 decimal); for successRate, the change in percentage points. 0 when both are 0; 100 when only the previous is 0.',
  })
  delta!: number;
}

@ObjectType()
export class HourlyBucket {
  @Field(() => String, { description: 'Start of the UTC hour (ISO 8601).' })
  hour!: string;

  @Field(() => Float)
  value!: number;
}

@ObjectType({ description: 'Network KPI tiles for a window of `timeframeHours` hours ending now.' })
export class KPI {
  @Field(() => MetricDelta, { description: 'Completed requests / requests, percent (1 decimal).' })
  successRate!: MetricDelta;

  @Field(() => MetricDelta, { description: 'Listings that served at least one request in the window.' })
  orchestratorsOnline!: MetricDelta;

  @Field(() => MetricDelta, { description: 'Inference minutes in the window (2 decimals).' })
  dailyUsageMins!: MetricDelta;

  @Field(() => MetricDelta, { description: 'Requests in the window.' })
  dailySessionCount!: MetricDelta;

  @Field(() => MetricDelta, { description: 'What buyers paid in the window, in ETH at the configured ETH/USD rate.' })
  dailyNetworkFeesEth!: MetricDelta;

  @Field(() => Int)
  timeframeHours!: number;

  @Field(() => [HourlyBucket], { nullable: true, description: 'Inference minutes per hour, oldest first.' })
  hourlyUsage?: HourlyBucket[] | null;

  @Field(() => [HourlyBucket], { nullable: true, description: 'Requests per hour, oldest first.' })
  hourlySessions?: HourlyBucket[] | null;
}

@ObjectType({ description: 'A round is one settlement period; blocks are its minutes.' })
@Directive('@key(fields: "currentRound", resolvable: false)')
export class Protocol {
  @Field(() => Int, { description: 'Settlement periods since the epoch (the round length is NETWORK_ROUND_MINUTES, a day by default).' })
  currentRound!: number;

  @Field(() => Int, { description: 'Minutes elapsed in the current round.' })
  blockProgress!: number;

  @Field(() => Int, { description: 'Minutes per round.' })
  totalBlocks!: number;
}

@ObjectType()
export class FeeDayData {
  @Field(() => Int, { description: 'UTC day start, unix seconds.' })
  dateS!: number;

  @Field(() => Float)
  volumeEth!: number;

  @Field(() => Float)
  volumeUsd!: number;
}

@ObjectType()
export class FeeWeeklyData {
  @Field(() => Int, { description: 'Monday 00:00 UTC of the week, unix seconds.' })
  date!: number;

  @Field(() => Float)
  weeklyVolumeUsd!: number;

  @Field(() => Float)
  weeklyVolumeEth!: number;
}

@ObjectType({ description: 'What buyers paid on the network, in USD and in ETH at the configured rate.' })
export class FeesInfo {
  @Field(() => Float)
  totalEth!: number;

  @Field(() => Float)
  totalUsd!: number;

  @Field(() => Float, { description: 'The last 24 hours.' })
  oneDayVolumeUsd!: number;

  @Field(() => Float)
  oneDayVolumeEth!: number;

  @Field(() => Float, { description: 'The last 7 days.' })
  oneWeekVolumeUsd!: number;

  @Field(() => Float)
  oneWeekVolumeEth!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Percent change of the last 24 hours against the 24 before (2 decimals); null when those were 0.',
  })
  volumeChangeUsd?: number | null;

  @Field(() => Float, { nullable: true })
  volumeChangeEth?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Percent change of the last 7 days against the 7 before (2 decimals); null when those were 0.',
  })
  weeklyVolumeChangeUsd?: number | null;

  @Field(() => Float, { nullable: true })
  weeklyVolumeChangeEth?: number | null;

  @Field(() => [FeeDayData])
  dayData!: FeeDayData[];

  @Field(() => [FeeWeeklyData])
  weeklyData!: FeeWeeklyData[];
}

@ObjectType()
export class PipelineModelMins {
  @Field(() => String)
  model!: string;

  @Field(() => Float)
  mins!: number;

  @Field(() => Int)
  sessions!: number;

  @Field(() => Float, { description: 'Output tokens (or characters) per second of inference.' })
  avgFps!: number;
}

@ObjectType()
export class PipelineUsage {
  @Field(() => String)
  name!: string;

  @Field(() => Float)
  mins!: number;

  @Field(() => Int)
  sessions!: number;

  @Field(() => Float)
  avgFps!: number;

  @Field(() => String, { nullable: true })
  color?: string | null;

  @Field(() => [PipelineModelMins], { nullable: true })
  modelMins?: PipelineModelMins[] | null;
}

@ObjectType()
export class PipelineCatalogEntry {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [String])
  models!: string[];

  @Field(() => [String])
  regions!: string[];
}

@ObjectType({
  description:
    'GPUs on the network: what sellers declare on their admitted (routable) listings, and of those the ones busy in the window ' +
    "(declared by a listing that served at least one job in it). The figures are market's (declared hardware); which listings were busy is network's.",
})
@Directive('@key(fields: "timeframeHours")')
export class GPUCapacity {
  @Field(() => Int, { description: 'The window, in hours (timeframe clamped to 1–168; default 24).' })
  timeframeHours!: number;

  /** Listings that served at least one job in the window; market counts their declared GPUs as busy. */
  @Field(() => [ID])
  @Directive('@inaccessible')
  busyListingIds!: string[];
}

@ObjectType({ description: 'The price buyers actually paid per unit over the last 7 days, per pipeline and model.' })
export class PipelinePricing {
  @Field(() => String)
  pipeline!: string;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => String, { description: '`token` (llm, embeddings) or `character` (text-to-speech).' })
  unit!: string;

  @Field(() => Float, { description: 'USD per unit.' })
  price!: number;

  @Field(() => String, { nullable: true, description: 'Wei per unit at the configured ETH/USD rate (an integer string).' })
  avgWeiPerUnit?: string | null;

  @Field(() => Float, { nullable: true })
  pixelsPerUnit?: number | null;

  @Field(() => String, { description: 'Units a dollar buys, e.g. "~14K tokens".' })
  outputPerDollar!: string;

  @Field(() => Int, { nullable: true, description: 'Listings that served it in the window.' })
  capacity?: number | null;
}

@ObjectType()
export class PipelineModelOffer {
  @Field(() => String)
  pipelineId!: string;

  @Field(() => [String])
  modelIds!: string[];
}

@ObjectType({
  description: "A listing's traffic in the period (address = the listing id); `gpuCount` is the listing's declared hardware (market).",
})
@Directive('@key(fields: "address", resolvable: false)')
export class OrchestratorRow {
  @Field(() => String)
  address!: string;

  @Field(() => [String])
  uris!: string[];

  @Field(() => String, { nullable: true, description: 'The last finish time (ISO 8601, UTC).' })
  lastSeen?: string | null;

  @Field(() => Int)
  knownSessions!: number;

  @Field(() => Int)
  successSessions!: number;

  @Field(() => Float, { description: 'Percent, 1 decimal.' })
  successRatio!: number;

  @Field(() => Float, { nullable: true })
  effectiveSuccessRate?: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Percent (1 decimal) of the requests sent to this listing first that it kept: the others failed on it and moved to another listing (or failed). Null without traffic.',
  })
  noSwapRatio?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The listing now, 0–100: round(100 × success rate × min(1, 2000 ms / TTFT p95)) over the last 60 minutes of live traffic (latency p95 without a TTFT). Null below 5 requests.',
  })
  slaScore?: number | null;

  @Field(() => [String])
  pipelines!: string[];

  @Field(() => [PipelineModelOffer])
  pipelineModels!: PipelineModelOffer[];

  @Field(() => Listing, { nullable: true, description: 'The listing (market).' })
  listing?: Listing | null;
}
