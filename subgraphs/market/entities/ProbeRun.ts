import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { CheckKind } from './ContractCheck';
import { Capability } from './Listing';

@ObjectType({ description: 'One real call to the upstream through the pool key, and what it showed.' })
@Entity({ tableName: 'probe_runs' })
@Index({ properties: ['listingId', 'startedAt'] })
export class ProbeRun {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  listingId!: string;

  @Property({ type: 'string', length: 36 })
  contractId!: string;

  @Property({ type: 'string', length: 36 })
  sellerId!: string;

  @Field(() => CheckKind, { description: 'ADMISSION, SCHEDULED or REVERIFY.' })
  @Property({ type: 'string', length: 16 })
  kind!: CheckKind;

  @Field(() => Capability)
  @Property({ type: 'string', length: 16 })
  capability!: Capability;

  @Field(() => String, { description: 'The model name sent to the provider.' })
  @Property({ type: 'string', length: 200 })
  upstreamModel!: string;

  @Field(() => Boolean)
  @Property({ type: 'boolean' })
  passed!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it failed (null when it passed).' })
  @Property({ type: 'string', length: 500, nullable: true })
  reason?: string | null;

  @Field(() => Int, { nullable: true, description: "The upstream's HTTP status (null when it never answered)." })
  @Property({ type: 'integer', nullable: true })
  httpStatus?: number | null;

  @Field(() => Int, { nullable: true, description: 'From sending the request to the end of the answer, ms.' })
  @Property({ type: 'integer', nullable: true })
  latencyMs?: number | null;

  @Field(() => Int, { nullable: true, description: 'To the first content chunk (chat) or audio byte (speech), ms.' })
  @Property({ type: 'integer', nullable: true })
  ttftMs?: number | null;

  @Field(() => Float, { nullable: true, description: 'completion_tokens over the time from first to last content chunk (chat).' })
  @Property({ type: 'double', runtimeType: 'number', nullable: true })
  tokensPerSecond?: number | null;

  @Field(() => Int, { nullable: true, description: 'Chat: stream chunks that carried content.' })
  @Property({ type: 'integer', nullable: true })
  contentChunks?: number | null;

  @Field(() => Int, { nullable: true, description: 'Chat: ms between the first and the last content chunk (0 = not really streamed).' })
  @Property({ type: 'integer', nullable: true })
  streamSpreadMs?: number | null;

  @Field(() => Int, { nullable: true, description: 'Chat: completion_tokens the upstream reported.' })
  @Property({ type: 'integer', nullable: true })
  completionTokens?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the answer carried usage (chat: in the stream).' })
  @Property({ type: 'boolean', nullable: true })
  usageReported?: boolean | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  startedAt!: Date;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  finishedAt!: Date;
}
