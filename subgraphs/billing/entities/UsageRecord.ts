import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One metered request. The request id is the primary key: a replayed usage event inserts nothing
 * and moves no money. It also carries the seller's earning, its reserve and their schedule.
 */
@Entity({ tableName: 'usage_records' })
@Index({ properties: ['buyerId', 'occurredAt'] })
@Index({ properties: ['sellerId', 'occurredAt'] })
@Index({ properties: ['settledAt', 'availableAt'] })
@Index({ properties: ['buyerId', 'endUser', 'occurredAt'] })
// The spend log's order (newest first, the request id breaking ties): pages read in index order, no sort of the window.
@Index({ properties: ['buyerId', 'occurredAt', 'requestId'] })
export class UsageRecord {
  @PrimaryKey({ type: 'string', length: 64 })
  requestId!: string;

  @Property({ type: 'string', length: 36 })
  keyId!: string;

  @Property({ type: 'string', length: 36 })
  buyerId!: string;

  @Property({ type: 'string', length: 36, nullable: true })
  groupId?: string | null;

  @Property({ type: 'string', length: 36, nullable: true })
  listingId?: string | null;

  @Property({ type: 'string', length: 36, nullable: true })
  sellerId?: string | null;

  @Property({ type: 'string', length: 200 })
  model!: string;

  @Property({ type: 'string', length: 16 })
  capability!: string;

  @Property({ type: 'integer' })
  inputTokens: number = 0;

  @Property({ type: 'integer' })
  outputTokens: number = 0;

  @Property({ type: 'integer' })
  characters: number = 0;

  /** What the buyer was charged: the request's price, capped at the balance it had left. */
  @Property({ type: 'bigint', runtimeType: 'number' })
  costMicros!: number;

  /** The part of the price the balance could not cover (0 unless the charge was capped). */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  uncollectedMicros: number = 0;

  /** The part of the charge paid from promo credit. */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  promoMicros: number = 0;

  @Property({ type: 'bigint', runtimeType: 'number' })
  sellerMicros!: number;

  /**
   * The part of `sellerMicros` that the promo-funded part of the charge paid: never withdrawable
   * (free credit never leaves), only convertible to promo credit. Null on records from before it
   * was kept: those count wholly as promo-funded when any of their charge was (see payouts.ts).
   */
  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  sellerPromoMicros?: number | null;

  @Property({ type: 'bigint', runtimeType: 'number' })
  feeMicros!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  reserveMicros!: number;

  @Property({ type: 'integer' })
  latencyMs!: number;

  @Property({ type: 'integer', nullable: true })
  ttftMs?: number | null;

  @Property({ type: 'string', length: 16 })
  status!: string;

  /** Metering evidence: the usage the upstream reported (null: it reported none)… */
  @Property({ type: 'integer', nullable: true })
  reportedInputTokens?: number | null;

  @Property({ type: 'integer', nullable: true })
  reportedOutputTokens?: number | null;

  /** …and the gateway's own count: the prompt the request could bill, the completion the buyer received. */
  @Property({ type: 'integer', nullable: true })
  countedInputTokens?: number | null;

  @Property({ type: 'integer', nullable: true })
  countedOutputTokens?: number | null;

  @Property({ type: 'integer', nullable: true })
  cachedInputTokens?: number | null;

  @Property({ type: 'integer', nullable: true })
  reasoningTokens?: number | null;

  /** The model the upstream said it served. */
  @Property({ type: 'string', length: 200, nullable: true })
  servedModel?: string | null;

  /** What metering found (comma-separated: usage_missing, prompt_over_count, completion_over_count, completion_over_max). */
  @Property({ type: 'string', length: 200, nullable: true })
  meteringFlags?: string | null;

  /** The buyer's end user (OpenAI's `user`), as the request named it. */
  @Property({ type: 'string', length: 256, nullable: true })
  endUser?: string | null;

  /** The request's tags, comma-joined (a tag holds no comma); usage_tags has one row per tag for grouping and filters. */
  @Property({ type: 'string', length: 700, nullable: true })
  tags?: string | null;

  /** OpenAI's `metadata` of the request: a JSON array of {key, value}. */
  @Property({ type: 'text', nullable: true })
  metadata?: string | null;

  @Property({ type: 'datetime' })
  occurredAt!: Date;

  /** `YYYY-MM-DDTHH` (UTC): text buckets that group the same way on SQLite and PostgreSQL. */
  @Property({ type: 'string', length: 13 })
  occurredHour!: string;

  /** When the earning stops cooling. */
  @Property({ type: 'datetime' })
  availableAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  settledAt?: Date | null;

  @Property({ type: 'datetime' })
  reserveReleaseAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  reserveReleasedAt?: Date | null;
}
