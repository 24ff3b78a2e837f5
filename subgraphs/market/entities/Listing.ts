import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum Capability {
  CHAT = 'chat',
  EMBEDDINGS = 'embeddings',
  SPEECH = 'speech',
}
registerEnumType(Capability, {
  name: 'Capability',
  description: 'What a listing serves: chat completions, embeddings, or speech (text to speech).',
});

export enum ListingStatus {
  PENDING = 'pending',
  ACTIVE = 'active',
  SUSPENDED = 'suspended',
  PAUSED = 'paused',
  DELETED = 'deleted',
}
registerEnumType(ListingStatus, {
  name: 'ListingStatus',
  description:
    'PENDING: not admitted yet (no passing admission probe); ACTIVE: admitted and routable (its contract is ACTIVE or DEGRADED); ' +
    'SUSPENDED: its contract is suspended; PAUSED: the seller paused it; DELETED: deleted by the seller (final).',
});

@ObjectType({ description: "A seller's offer of one model at a price through one of its pool keys, routed to once admitted." })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'listings' })
@Index({ properties: ['sellerId', 'createdAt'] })
@Index({ properties: ['model', 'status'] })
@Index({ properties: ['poolKeyId'] })
export class Listing {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  sellerId!: string;

  /** The seller's pool key this listing calls the upstream with; null = a draft (never admitted). */
  @Property({ type: 'string', length: 36, nullable: true })
  poolKeyId?: string | null;

  /** The listing's current contract (one per listing, created with it). */
  @Property({ type: 'string', length: 36, nullable: true })
  contractId?: string | null;

  @Field(() => String, { description: 'The public model id buyers call, e.g. `acme/sim-chat`.' })
  @Property({ type: 'string', length: 200 })
  model!: string;

  @Property({ type: 'string', length: 200 })
  upstreamModel!: string;

  @Field(() => Capability)
  @Property({ type: 'string', length: 16 })
  capability!: Capability;

  /** Live prices (what routing charges), micro-USD per million tokens. */
  @Property({ type: 'bigint', runtimeType: 'number' })
  inputPriceMicrosPerMTok!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  outputPriceMicrosPerMTok!: number;

  /**
   * Chat: micro-USD per million prompt tokens the upstream reports as read from its prompt cache
   * (null: cached tokens cost the input price). Never charged above the input price.
   */
  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  cacheReadPriceMicrosPerMTok?: number | null;

  /** Speech: micro-USD per million input characters. */
  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  priceMicrosPerMChars?: number | null;

  /** The lowest blended price (input + output per MTok; per MChars for speech) the listing may be set to. */
  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  priceFloorMicros?: number | null;

  @Property({ type: 'integer', nullable: true })
  capRpm?: number | null;

  @Property({ type: 'integer', nullable: true })
  capTpm?: number | null;

  @Property({ type: 'integer', nullable: true })
  capMaxConcurrency?: number | null;

  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  capDailyTokens?: number | null;

  @Property({ type: 'string', length: 100, nullable: true })
  gpuModel?: string | null;

  @Property({ type: 'integer', nullable: true })
  gpuCount?: number | null;

  // Declared metadata (services/listing-metadata.ts has the rules and the effective values a
  // canonical model fills in). Nullable or defaulted: the columns are added to existing stores.

  /** Declared context length in tokens (null: unknown, or the canonical model's). */
  @Property({ type: 'integer', nullable: true })
  contextLength?: number | null;

  /** Declared largest completion in tokens (null: unknown, or the canonical model's). */
  @Property({ type: 'integer', nullable: true })
  maxOutputTokens?: number | null;

  /** Declared parameters (registry SUPPORTED_PARAMETERS, in that order); null = none declared. */
  @Property({ type: 'json', nullable: true })
  supportedParameters?: string[] | null;

  @Property({ type: 'string', length: 16, nullable: true })
  quantization?: string | null;

  @Property({ type: 'string', length: 32, nullable: true })
  region?: string | null;

  @Property({ type: 'boolean', default: false })
  dataRetainsPrompts: boolean = false;

  @Property({ type: 'boolean', default: false })
  dataTrainsOnPrompts: boolean = false;

  @Property({ type: 'boolean', default: false })
  dataZeroRetention: boolean = false;

  @Field(() => ListingStatus)
  @Property({ type: 'string', length: 16 })
  status: ListingStatus = ListingStatus.PENDING;

  @Property({ type: 'boolean', default: false })
  paused: boolean = false;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  updatedAt?: Date | null;

  /** Soft delete: the row stays (traffic history refers to it); it is never routed again. */
  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;
}
