// GraphQL shapes of billing's figures. Every amount is a Money (micro-USD + decimal string).
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { Money } from '../../common/graphql-types';
import { ApiKey } from './references';

@ObjectType({ description: 'One posting of the append-only ledger.' })
export class Transaction {
  @Field(() => ID) id!: string;
  @Field(() => String, {
    description:
      'trial_credit, topup, usage_debit, seller_earning, platform_fee, earning_cooled, reserve_hold, reserve_release, refund, adjustment',
  })
  type!: string;
  @Field(() => String, { description: 'balance, earnings_pending, earnings_available or earnings_reserved' }) bucket!: string;
  @Field(() => Money) amount!: Money;
  @Field(() => Money, { description: "The bucket's value right after this posting." }) balanceAfter!: Money;
  @Field(() => Int, { description: 'Requests a usage posting covers.' }) requestCount!: number;
  @Field(() => String) description!: string;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType()
export class TransactionPage {
  @Field(() => [Transaction]) items!: Transaction[];
  @Field(() => Int) total!: number;
  @Field(() => Int) page!: number;
  @Field(() => Int) pageSize!: number;
}

@ObjectType({ description: 'Usage totals for a window.' })
export class UsageSummary {
  @Field(() => Date) from!: Date;
  @Field(() => Date) to!: Date;
  @Field(() => Int) requests!: number;
  @Field(() => GraphQLSafeInt) inputTokens!: number;
  @Field(() => GraphQLSafeInt) outputTokens!: number;
  @Field(() => GraphQLSafeInt) characters!: number;
  @Field(() => Money) cost!: Money;
}

@ObjectType()
export class KeyUsageSummary extends UsageSummary {
  @Field(() => ID) keyId!: string;
  @Field(() => ApiKey, { description: 'The key (accounts).' }) apiKey!: ApiKey;
}

@ObjectType()
export class DailyUsage {
  @Field(() => String, { description: 'YYYY-MM-DD (UTC).' }) day!: string;
  @Field(() => Int) requests!: number;
  @Field(() => GraphQLSafeInt) inputTokens!: number;
  @Field(() => GraphQLSafeInt) outputTokens!: number;
  @Field(() => Money) cost!: Money;
}

@ObjectType({ description: 'Metering evidence of one request.' })
export class GenerationMetering {
  @Field(() => Int, { nullable: true, description: 'Prompt tokens the upstream reported (null: it reported none).' }) reportedInputTokens!:
    | number
    | null;
  @Field(() => Int, { nullable: true }) reportedOutputTokens!: number | null;
  @Field(() => Int, { nullable: true, description: 'The prompt the request could bill, by the gateway’s tokenizer (o200k_base).' })
  countedInputTokens!: number | null;
  @Field(() => Int, { nullable: true, description: 'The completion the buyer received, by the gateway’s tokenizer.' }) countedOutputTokens!:
    | number
    | null;
  @Field(() => Int, { nullable: true }) cachedInputTokens!: number | null;
  @Field(() => Int, { nullable: true }) reasoningTokens!: number | null;
  @Field(() => String, { nullable: true, description: 'The model the upstream said it served.' }) servedModel!: string | null;
  @Field(() => [String], { description: 'usage_missing, prompt_over_count, completion_over_count, completion_over_max' }) flags!: string[];
}

@ObjectType({ description: 'The record of one metered request.' })
export class Generation {
  @Field(() => ID, { description: 'The request id (x-request-id).' }) id!: string;
  @Field(() => String) model!: string;
  @Field(() => String) capability!: string;
  @Field(() => ID, { nullable: true }) listingId!: string | null;
  @Field(() => ID) keyId!: string;
  @Field(() => Int) inputTokens!: number;
  @Field(() => Int) outputTokens!: number;
  @Field(() => Int) characters!: number;
  @Field(() => Money) cost!: Money;
  @Field(() => Int) latencyMs!: number;
  @Field(() => Int, { nullable: true }) timeToFirstTokenMs!: number | null;
  @Field(() => String, { description: 'completed, failed, or cancelled (the buyer went away; billed for what was delivered).' })
  status!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => GenerationMetering, {
    description: 'What the upstream reported beside what the gateway counted; the billed tokens are the lower figure within the tolerance.',
  })
  metering!: GenerationMetering;
  @Field(() => String, {
    description:
      'The signed receipt of this record: a compact JWS (EdDSA, `typ` receipt+jwt), verifiable with the keys at /.well-known/jwks.json.',
  })
  receipt!: string;
}

@ObjectType()
export class TopUpResult {
  @Field(() => Money) amount!: Money;
  @Field(() => Money) balance!: Money;
}

@ObjectType({ description: "A seller's money by state." })
export class EarningsSummary {
  @Field(() => Money, { description: 'Still cooling.' }) pending!: Money;
  @Field(() => Money) available!: Money;
  @Field(() => Money, { description: 'Held in reserve until released.' }) reserved!: Money;
  @Field(() => Money, { description: 'Everything ever earned.' }) lifetime!: Money;
  @Field(() => Int) requests!: number;
}

@ObjectType({ description: "One request's earning for the seller." })
export class Earning {
  @Field(() => ID) requestId!: string;
  @Field(() => ID, { nullable: true }) listingId!: string | null;
  @Field(() => String) model!: string;
  @Field(() => Money, { description: 'What the buyer paid.' }) price!: Money;
  @Field(() => Money, { description: "The seller's share." }) amount!: Money;
  @Field(() => Money, { description: 'Part of the share held in reserve.' }) reserve!: Money;
  @Field(() => String, { description: 'cooling, available or reserve_released' }) state!: string;
  @Field(() => Date) earnedAt!: Date;
  @Field(() => Date) availableAt!: Date;
  @Field(() => Date) reserveReleaseAt!: Date;
}

@ObjectType()
export class EarningPage {
  @Field(() => [Earning]) items!: Earning[];
  @Field(() => Int) total!: number;
  @Field(() => Int) page!: number;
  @Field(() => Int) pageSize!: number;
}

export enum EarningsInterval {
  HOUR = 'hour',
  DAY = 'day',
}
registerEnumType(EarningsInterval, { name: 'EarningsInterval' });

@ObjectType()
export class EarningsBucket {
  @Field(() => String, { description: 'YYYY-MM-DDTHH (hour) or YYYY-MM-DD (day), UTC.' }) bucket!: string;
  @Field(() => Money) amount!: Money;
  @Field(() => Int) requests!: number;
}

@ObjectType()
export class MonthlyEarnings {
  @Field(() => String, { description: 'YYYY-MM (UTC).' }) month!: string;
  @Field(() => Money) amount!: Money;
  @Field(() => Money) fees!: Money;
  @Field(() => Int) requests!: number;
}

@ObjectType({ description: 'The held share of one earning and when it is released.' })
export class ReserveEntry {
  @Field(() => ID) requestId!: string;
  @Field(() => Money) amount!: Money;
  @Field(() => Date) releaseAt!: Date;
  @Field(() => Boolean) released!: boolean;
}

@InputType()
@Directive('@inaccessible')
export class MetadataEntryInput {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@InputType({ description: 'One finished request, as the data plane reports it.' })
@Directive('@inaccessible')
export class UsageEventInput {
  @Field(() => String) requestId!: string;
  @Field(() => ID) keyId!: string;
  @Field(() => ID) buyerId!: string;
  @Field(() => ID, { nullable: true }) groupId?: string | null;
  @Field(() => ID, { nullable: true }) listingId?: string | null;
  @Field(() => ID, { nullable: true }) sellerId?: string | null;
  @Field(() => String) model!: string;
  @Field(() => String, { description: 'chat, embeddings or speech' }) capability!: string;
  @Field(() => GraphQLSafeInt) inputTokens!: number;
  @Field(() => GraphQLSafeInt) outputTokens!: number;
  @Field(() => GraphQLSafeInt) characters!: number;
  @Field(() => GraphQLSafeInt) costMicros!: number;
  @Field(() => GraphQLSafeInt) latencyMs!: number;
  @Field(() => GraphQLSafeInt, { nullable: true }) ttftMs?: number | null;
  @Field(() => String, { description: 'completed, failed or cancelled' }) status!: string;
  @Field(() => String) occurredAt!: string;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'What the upstream reported (null: nothing).' }) reportedInputTokens?:
    | number
    | null;
  @Field(() => GraphQLSafeInt, { nullable: true }) reportedOutputTokens?: number | null;
  @Field(() => GraphQLSafeInt, { nullable: true, description: "The gateway's own count: the prompt the request could bill." })
  countedInputTokens?: number | null;
  @Field(() => GraphQLSafeInt, { nullable: true, description: "The gateway's own count: the completion the buyer received." })
  countedOutputTokens?: number | null;
  @Field(() => GraphQLSafeInt, { nullable: true }) cachedInputTokens?: number | null;
  @Field(() => GraphQLSafeInt, { nullable: true }) reasoningTokens?: number | null;
  @Field(() => String, { nullable: true }) servedModel?: string | null;
  @Field(() => String, { nullable: true }) meteringFlags?: string | null;
  @Field(() => String, { nullable: true, description: "The buyer's end user (OpenAI's `user`)." }) endUser?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
  @Field(() => [MetadataEntryInput], { nullable: true, description: "OpenAI's `metadata`, as key/value pairs." }) metadata?:
    | MetadataEntryInput[]
    | null;
}

@ObjectType()
@Directive('@inaccessible')
export class ApplyUsageResult {
  @Field(() => Int) applied!: number;
  @Field(() => Int) duplicates!: number;
}

@ObjectType()
@Directive('@inaccessible')
export class SettlementResult {
  @Field(() => Int) cooled!: number;
  @Field(() => Int) released!: number;
}

@ObjectType({ description: 'One key/value pair of a request’s `metadata`.' })
export class MetadataEntry {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@ObjectType({ description: "One request of the buyer's spend log." })
export class SpendLogEntry {
  @Field(() => ID, { description: 'The request id (x-request-id).' }) id!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => ID) keyId!: string;
  @Field(() => String) model!: string;
  @Field(() => ID, { nullable: true }) listingId!: string | null;
  @Field(() => String) capability!: string;
  @Field(() => String, { description: 'completed, failed or cancelled' }) status!: string;
  @Field(() => Int) inputTokens!: number;
  @Field(() => Int) outputTokens!: number;
  @Field(() => Int) characters!: number;
  @Field(() => Money, { description: 'What the balance was charged.' }) cost!: Money;
  @Field(() => Int) latencyMs!: number;
  @Field(() => [String], { description: 'The tags of the request (x-df-tags header and `tags`).' }) tags!: string[];
  @Field(() => String, { nullable: true, description: "The buyer's end user (OpenAI's `user`)." }) user!: string | null;
  @Field(() => [MetadataEntry], { description: "OpenAI's `metadata` of the request." }) metadata!: MetadataEntry[];
  @Field(() => String, { description: 'The signed receipt of this request (as Generation.receipt).' }) receipt!: string;
}

@ObjectType()
export class SpendLogPage {
  @Field(() => Date, { description: 'The window the log covers.' }) from!: Date;
  @Field(() => Date) to!: Date;
  @Field(() => [SpendLogEntry], { description: 'Newest first.' }) items!: SpendLogEntry[];
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null: this is the last.' }) nextCursor!:
    | string
    | null;
}

/** A breakdown row as the service computes it; the GraphQL types below name `key`. */
export interface UsageBreakdownRow {
  key: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  characters: number;
  cost: Money;
}

// The figures are declared in each type: type-graphql inherits fields only from a registered type.
@ObjectType({ description: 'Usage of one model in a window.' })
export class ModelUsage {
  @Field(() => String) model!: string;
  @Field(() => Int) requests!: number;
  @Field(() => GraphQLSafeInt) inputTokens!: number;
  @Field(() => GraphQLSafeInt) outputTokens!: number;
  @Field(() => GraphQLSafeInt) characters!: number;
  @Field(() => Money) cost!: Money;
}

@ObjectType({ description: 'Usage of one tag in a window (a request with several tags counts under each).' })
export class TagUsage {
  @Field(() => String) tag!: string;
  @Field(() => Int) requests!: number;
  @Field(() => GraphQLSafeInt) inputTokens!: number;
  @Field(() => GraphQLSafeInt) outputTokens!: number;
  @Field(() => GraphQLSafeInt) characters!: number;
  @Field(() => Money) cost!: Money;
}

@ObjectType({ description: 'Usage of one end user in a window (null: requests that named none).' })
export class EndUserUsage {
  @Field(() => String, { nullable: true }) user!: string | null;
  @Field(() => Int) requests!: number;
  @Field(() => GraphQLSafeInt) inputTokens!: number;
  @Field(() => GraphQLSafeInt) outputTokens!: number;
  @Field(() => GraphQLSafeInt) characters!: number;
  @Field(() => Money) cost!: Money;
}
