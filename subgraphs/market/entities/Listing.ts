import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum Capability {
  CHAT = 'chat',
  EMBEDDINGS = 'embeddings',
  SPEECH = 'speech',
}
registerEnumType(Capability, { name: 'Capability', description: 'What a listing serves.' });

export enum ListingStatus {
  PENDING = 'pending',
  ACTIVE = 'active',
  PAUSED = 'paused',
}
registerEnumType(ListingStatus, { name: 'ListingStatus' });

@ObjectType({ description: "A seller's offer of one model at a price, routed to once admitted." })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'listings' })
@Index({ properties: ['sellerId', 'createdAt'] })
@Index({ properties: ['model', 'status'] })
export class Listing {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  sellerId!: string;

  @Field(() => String, { description: 'The public model id buyers call, e.g. `acme/sim-chat`.' })
  @Property({ type: 'string', length: 200 })
  model!: string;

  @Property({ type: 'string', length: 200 })
  upstreamModel!: string;

  @Field(() => Capability)
  @Property({ type: 'string', length: 16 })
  capability!: Capability;

  @Property({ type: 'bigint', runtimeType: 'number' })
  inputPriceMicrosPerMTok!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  outputPriceMicrosPerMTok!: number;

  @Field(() => ListingStatus)
  @Property({ type: 'string', length: 16 })
  status: ListingStatus = ListingStatus.PENDING;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;
}
