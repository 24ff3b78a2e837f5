// GraphQL shapes of disputes, payouts and earnings conversions.
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../common/graphql-types';

export enum DisputeStatusValue {
  OPEN = 'open',
  RESOLVED_BUYER = 'resolved_buyer',
  RESOLVED_SELLER = 'resolved_seller',
}
registerEnumType(DisputeStatusValue, {
  name: 'DisputeStatus',
  description: 'open, then resolved for the buyer (refunded) or for the seller (no refund).',
});

export enum DisputeResolutionValue {
  AUTO = 'auto',
  SELLER_ACCEPTED = 'seller_accepted',
  WINDOW_EXPIRED = 'window_expired',
  CONTESTED = 'contested',
}
registerEnumType(DisputeResolutionValue, {
  name: 'DisputeResolution',
  description:
    "AUTO: the request's metering evidence showed an overcharge; SELLER_ACCEPTED; WINDOW_EXPIRED: the seller did not answer in time; CONTESTED: the seller contested and the evidence did not say otherwise.",
});

@ObjectType('Dispute', { description: "A buyer's dispute of one charged request." })
export class DisputeView {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: 'The disputed request (x-request-id).' }) requestId!: string;
  @Field(() => ID, { nullable: true }) listingId!: string | null;
  @Field(() => String) model!: string;
  @Field(() => Money, { description: 'What the buyer was charged for the request.' }) charged!: Money;
  @Field(() => String) reason!: string;
  @Field(() => DisputeStatusValue) status!: DisputeStatusValue;
  @Field(() => DisputeResolutionValue, { nullable: true }) resolution!: DisputeResolutionValue | null;
  @Field(() => [String], {
    description:
      "The record's findings that showed an overcharge (prompt_over_count, completion_over_count, completion_over_max, failed_charged).",
  })
  evidence!: string[];
  @Field(() => String, { nullable: true, description: "The seller's reason, when it contested." }) sellerResponse!: string | null;
  @Field(() => Date) openedAt!: Date;
  @Field(() => Date, { description: 'Until when the seller may accept or contest; then the platform decides.' }) respondBy!: Date;
  @Field(() => Date, { nullable: true }) contestedAt!: Date | null;
  @Field(() => Date, { nullable: true }) resolvedAt!: Date | null;
  @Field(() => Money, { description: 'Given back to the buyer (zero unless resolved for the buyer).' }) refund!: Money;
}

@ObjectType()
export class DisputePage {
  @Field(() => [DisputeView]) items!: DisputeView[];
  @Field(() => Int) total!: number;
  @Field(() => Int) page!: number;
  @Field(() => Int) pageSize!: number;
}

export enum PayoutStatusValue {
  PENDING = 'pending',
  COMPLETED = 'completed',
  FAILED = 'failed',
}
registerEnumType(PayoutStatusValue, { name: 'PayoutStatus' });

export enum PayoutOutcome {
  COMPLETED = 'completed',
  FAILED = 'failed',
}
registerEnumType(PayoutOutcome, {
  name: 'PayoutOutcome',
  description: "The payout provider's answer: FAILED returns the money to available earnings.",
});

@ObjectType('Payout', { description: 'Available earnings paid out to the seller through the payout provider.' })
export class PayoutView {
  @Field(() => ID) id!: string;
  @Field(() => Money) amount!: Money;
  @Field(() => PayoutStatusValue) status!: PayoutStatusValue;
  @Field(() => String, { description: 'The payout provider (sandbox: no real money moves).' }) provider!: string;
  @Field(() => String, { nullable: true, description: "The provider's id of the transfer." }) providerReference!: string | null;
  @Field(() => Date) requestedAt!: Date;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
}

@ObjectType()
export class PayoutPage {
  @Field(() => [PayoutView]) items!: PayoutView[];
  @Field(() => Int) total!: number;
  @Field(() => Int) page!: number;
  @Field(() => Int) pageSize!: number;
}

@ObjectType({ description: "Available earnings turned into the seller's own buyer credit." })
export class EarningsConversion {
  @Field(() => ID) id!: string;
  @Field(() => Money) amount!: Money;
  @Field(() => Money, { description: 'The part that free credit had paid for: it became promo credit.' }) promoCredit!: Money;
  @Field(() => Money, { description: 'The part that paid money had paid for: it became paid balance.' }) balance!: Money;
  @Field(() => Date) convertedAt!: Date;
}
