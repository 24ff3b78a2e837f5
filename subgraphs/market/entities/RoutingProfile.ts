import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum RoutingSort {
  PRICE = 'price',
  LATENCY = 'latency',
  THROUGHPUT = 'throughput',
}
registerEnumType(RoutingSort, {
  name: 'RoutingSort',
  description:
    'PRICE: cheapest first (input + output price per MTok; per MChars for speech); LATENCY: lowest probe latency first; THROUGHPUT: most tokens per second first.',
});

@ObjectType({
  description: "A buyer's routing policy, bound to buyer keys by id: ordering, provider and supply filters, price ceilings and fallbacks.",
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'routing_profiles' })
@Unique({ properties: ['accountId', 'name'] })
@Index({ properties: ['accountId', 'createdAt'] })
export class RoutingProfile {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => RoutingSort, { description: 'Defaults to PRICE.' })
  @Property({ type: 'string', length: 16 })
  sort: RoutingSort = RoutingSort.PRICE;

  @Field(() => [String], { description: 'Providers tried first, in this order (before the sort applies to the rest).' })
  @Property({ type: 'json' })
  providerOrder: string[] = [];

  @Field(() => [String], { nullable: true, description: 'Only these providers; null = any.' })
  @Property({ type: 'json', nullable: true })
  allowProviders?: string[] | null;

  @Field(() => [String], { description: 'Never these providers.' })
  @Property({ type: 'json' })
  denyProviders: string[] = [];

  // Supply by seller or listing: each entry is a seller handle, a seller id or a listing id.
  // Nullable columns (added to existing stores); null reads as the default.

  @Field(() => [String], {
    nullable: true,
    description: 'Only supply matching these entries (seller handles, seller ids or listing ids); null = everyone.',
  })
  @Property({ type: 'json', nullable: true })
  allowSupply?: string[] | null;

  /** Never supply matching these entries (RoutingProfile.denySupply; null = none). */
  @Property({ type: 'json', nullable: true })
  denySupply?: string[] | null;

  /** Supply tried first, in this order (RoutingProfile.supplyOrder; null = none). */
  @Property({ type: 'json', nullable: true })
  supplyOrder?: string[] | null;

  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  maxInputPriceMicrosPerMTok?: number | null;

  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  maxOutputPriceMicrosPerMTok?: number | null;

  @Field(() => Boolean, {
    description: 'Whether the data plane may try fallbackModels when the model has no eligible supply or every candidate failed.',
  })
  @Property({ type: 'boolean' })
  allowFallbacks: boolean = true;

  @Field(() => [String], { description: 'Public model ids tried in order after the requested one.' })
  @Property({ type: 'json' })
  fallbackModels: string[] = [];

  @Field(() => Int, { nullable: true, description: 'Per upstream attempt, ms; null = the platform default.' })
  @Property({ type: 'integer', nullable: true })
  timeoutMs?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'After the first byte, the longest gap between chunks before the answer is ended, ms; null = the platform default.',
  })
  @Property({ type: 'integer', nullable: true })
  streamIdleTimeoutMs?: number | null;

  @Field(() => Int, { nullable: true, description: 'Further candidates tried after a failed attempt; null = the platform default.' })
  @Property({ type: 'integer', nullable: true })
  maxRetries?: number | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
