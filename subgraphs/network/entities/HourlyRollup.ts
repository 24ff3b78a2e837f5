import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Traffic per (hour, pipeline, model, listing): every dashboard figure is a read of these rows.
 * Sums are exact integers (milliseconds, units, micro-USD); the key is the four parts joined, so an
 * upsert can add one job's figures atomically. `listingId` is '' for a job no listing served.
 */
@Entity({ tableName: 'job_hourly' })
@Index({ properties: ['hour'] })
@Index({ properties: ['listingId', 'hour'] })
export class HourlyRollup {
  @PrimaryKey({ type: 'string', length: 400 })
  id!: string;

  /** Start of the UTC hour the jobs started in. */
  @Property({ type: 'datetime' })
  hour!: Date;

  @Property({ type: 'string', length: 32 })
  pipeline!: string;

  @Property({ type: 'string', length: 200 })
  model!: string;

  @Property({ type: 'string', length: 36 })
  listingId!: string;

  @Property({ type: 'string', length: 36, nullable: true })
  sellerId?: string | null;

  @Property({ type: 'integer' })
  sessions!: number;

  @Property({ type: 'integer' })
  successes!: number;

  /** Sum of (finishedAt - startedAt) in milliseconds: inference time. */
  @Property({ type: 'bigint', runtimeType: 'number' })
  durationMs!: number;

  /** Output tokens (llm, embeddings) or characters (speech). */
  @Property({ type: 'bigint', runtimeType: 'number' })
  outputUnits!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  latencyMsSum!: number;

  /** What buyers paid for these jobs (micro-USD), when the job event carries it. */
  @Property({ type: 'bigint', runtimeType: 'number' })
  feesMicros!: number;

  /** Jobs sent to this listing first that it failed, so they moved on (its noSwapRatio's other half). */
  @Property({ type: 'integer', default: 0 })
  swapsAway: number = 0;

  /** The latest finish time of a job in this row. */
  @Property({ type: 'datetime' })
  lastSeenAt!: Date;
}
