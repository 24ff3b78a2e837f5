import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

export type DisputeStatus = 'open' | 'resolved_buyer' | 'resolved_seller';
/** Why it was resolved: the record's evidence, the seller's acceptance, the seller's silence, or the seller's contest. */
export type DisputeResolution = 'auto' | 'seller_accepted' | 'window_expired' | 'contested';

/**
 * A buyer's dispute of one charged request (one per request). Resolved for the buyer, it refunds
 * the charge; the figures below say where the refund came from (services/disputes.ts).
 */
@Entity({ tableName: 'disputes' })
@Index({ properties: ['buyerId', 'openedAt'] })
@Index({ properties: ['sellerId', 'openedAt'] })
@Index({ properties: ['status', 'respondBy'] })
@Index({ properties: ['listingId', 'status'] })
export class Dispute {
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 64, unique: true })
  requestId!: string;

  @Property({ type: 'string', length: 36 })
  buyerId!: string;

  @Property({ type: 'string', length: 36, nullable: true })
  sellerId?: string | null;

  @Property({ type: 'string', length: 36, nullable: true })
  listingId?: string | null;

  @Property({ type: 'string', length: 200 })
  model!: string;

  /** What the buyer was charged for the request (the most a refund gives back). */
  @Property({ type: 'bigint', runtimeType: 'number' })
  chargedMicros!: number;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'string', length: 16 })
  status: DisputeStatus = 'open';

  @Property({ type: 'string', length: 24, nullable: true })
  resolution?: DisputeResolution | null;

  /** The findings of the record that decided it (comma-separated), if any. */
  @Property({ type: 'string', length: 200, nullable: true })
  evidence?: string | null;

  /** The seller's reason, when it contested. */
  @Property({ type: 'text', nullable: true })
  sellerResponse?: string | null;

  @Property({ type: 'datetime', nullable: true })
  contestedAt?: Date | null;

  @Property({ type: 'datetime' })
  openedAt!: Date;

  /** Until when the seller may accept or contest; then the platform's rule decides. */
  @Property({ type: 'datetime' })
  respondBy!: Date;

  @Property({ type: 'datetime', nullable: true })
  resolvedAt?: Date | null;

  /** Given back to the buyer (promo part to promo, paid part to balance). */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  refundMicros: number = 0;

  /** Taken back from the seller's earnings (reserve first, then pending, then available). */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  sellerDebitMicros: number = 0;

  /** The seller's share its earnings could not cover, paid by the platform. */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  platformCoverMicros: number = 0;

  /** How much of the seller's credit-only (promo-funded) earnings the debit took back. */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  sellerPromoReversedMicros: number = 0;
}
