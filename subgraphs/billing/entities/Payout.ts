import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

export type PayoutKind = 'payout' | 'conversion';
export type PayoutStatus = 'pending' | 'completed' | 'failed';

/**
 * Seller earnings leaving earnings_available: a payout through the payout provider, or a
 * conversion into the seller's own buyer credit (completed at once).
 */
@Entity({ tableName: 'payouts' })
@Index({ properties: ['accountId', 'requestedAt'] })
@Index({ properties: ['status', 'requestedAt'] })
export class Payout {
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Property({ type: 'string', length: 16 })
  kind!: PayoutKind;

  @Property({ type: 'bigint', runtimeType: 'number' })
  amountMicros!: number;

  /** A conversion: the part that was promo-funded earnings and so became promo credit. */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  promoMicros: number = 0;

  @Property({ type: 'string', length: 16 })
  status!: PayoutStatus;

  @Property({ type: 'string', length: 32, nullable: true })
  provider?: string | null;

  /** The provider's id of the transfer, once it has one. */
  @Property({ type: 'string', length: 120, nullable: true })
  providerReference?: string | null;

  @Property({ type: 'datetime' })
  requestedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  completedAt?: Date | null;
}
