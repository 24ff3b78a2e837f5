import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One finished request on the network (a "job"), as the live feed shows it.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'jobs' })
@Index({ properties: ['startedAt'] })
@Index({ properties: ['listingId', 'startedAt'] })
export class JobFeedEntry {
  @Field(() => ID, { description: 'The request id.' })
  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @Field(() => String, { description: 'The capability: `llm`, `embeddings` or `text-to-speech`.' })
  @Property({ type: 'string', length: 32 })
  pipeline!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 200 })
  model!: string;

  @Field(() => String, { description: '`completed` or `failed`.' })
  @Property({ type: 'string', length: 32 })
  status!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  startedAt!: Date;

  @Property({ type: 'datetime' })
  finishedAt!: Date;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'integer' })
  latencyMs!: number;

  @Property({ type: 'integer', nullable: true })
  timeToFirstTokenMs?: number | null;

  @Property({ type: 'integer', nullable: true })
  outputUnits?: number | null;

  @Property({ type: 'string', length: 36, nullable: true })
  listingId?: string | null;

  @Property({ type: 'string', length: 36, nullable: true })
  sellerId?: string | null;

  /** The data plane's failure class of a job that did not complete (reputation leaves out the buyer's own). */
  @Property({ type: 'string', length: 32, nullable: true })
  failureClass?: string | null;

  /** Listings that failed the job before it moved on, comma-separated (reputation after a restart). */
  @Property({ type: 'text', nullable: true })
  swappedFrom?: string | null;

  @Field(() => String, { nullable: true, description: 'The gateway replica that served the job.' })
  @Property({ type: 'string', length: 100, nullable: true })
  gateway?: string | null;
}
