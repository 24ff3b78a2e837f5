import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum PriceReviewStatus {
  PENDING = 'pending',
  CONFIRMED = 'confirmed',
  SUPERSEDED = 'superseded',
  CANCELLED = 'cancelled',
}
registerEnumType(PriceReviewStatus, {
  name: 'PriceReviewStatus',
  description:
    'PENDING: waits for confirmListingPrice; CONFIRMED: applied; SUPERSEDED: replaced by a later price change; CANCELLED: the listing was deleted.',
});

@ObjectType({
  description:
    'A price increase above the review threshold, held until the seller confirms it. The listing keeps routing at its current price meanwhile.',
})
@Entity({ tableName: 'price_reviews' })
@Index({ properties: ['sellerId', 'status'] })
@Index({ properties: ['listingId', 'status'] })
export class PriceReview {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  listingId!: string;

  @Property({ type: 'string', length: 36 })
  sellerId!: string;

  @Field(() => PriceReviewStatus)
  @Property({ type: 'string', length: 16 })
  status: PriceReviewStatus = PriceReviewStatus.PENDING;

  /** Live prices when the review was opened (micro-USD). */
  @Property({ type: 'bigint', runtimeType: 'number' })
  currentInputMicros!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  currentOutputMicros!: number;

  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  currentPerMCharsMicros?: number | null;

  /** Proposed prices; null = this price is not part of the review. */
  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  proposedInputMicros?: number | null;

  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  proposedOutputMicros?: number | null;

  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  proposedPerMCharsMicros?: number | null;

  @Field(() => Float, {
    description: 'The largest increase among the proposed prices, in percent (a price rising from 0 counts as 100000).',
  })
  @Property({ type: 'double', runtimeType: 'number' })
  increasePercent!: number;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  resolvedAt?: Date | null;
}
