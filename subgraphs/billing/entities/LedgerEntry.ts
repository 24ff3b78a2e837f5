import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * `balance` is money the buyer paid; `promo` is money the platform gave (trial credit, sandbox
 * top-ups). Both are spendable; only promo is kept apart so that it can never become earnings of
 * the buyer's own listings.
 */
export type LedgerBucket = 'balance' | 'promo' | 'earnings_pending' | 'earnings_available' | 'earnings_reserved';
export type LedgerType =
  | 'trial_credit'
  | 'topup'
  | 'usage_debit'
  | 'seller_earning'
  | 'platform_fee'
  | 'earning_cooled'
  | 'reserve_hold'
  | 'reserve_release'
  | 'refund'
  /** Earnings paid out (earnings_available down at request time) and, on a failed payout, back. */
  | 'payout'
  | 'payout_reversal'
  /** Earnings turned into buyer credit: paid-funded into balance, promo-funded into promo. */
  | 'earnings_conversion'
  | 'adjustment';

/**
 * One posting of the append-only ledger. Usage is posted per batch and account (with the number
 * of requests it covers), not per request: the per-request detail is in usage_records.
 */
@Entity({ tableName: 'ledger_entries' })
@Index({ properties: ['accountId', 'createdAt'] })
export class LedgerEntry {
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Property({ type: 'string', length: 24 })
  bucket!: LedgerBucket;

  @Property({ type: 'string', length: 24 })
  type!: LedgerType;

  /** Signed: credits positive, debits negative. */
  @Property({ type: 'bigint', runtimeType: 'number' })
  amountMicros!: number;

  /** The bucket's value right after this posting. */
  @Property({ type: 'bigint', runtimeType: 'number' })
  balanceAfterMicros!: number;

  /** Idempotency key of the posting's cause (e.g. `trial:<account>`, `topup:<id>`); unique when set. */
  @Property({ type: 'string', length: 120, nullable: true, unique: true })
  reference?: string | null;

  @Property({ type: 'integer', default: 0 })
  requestCount: number = 0;

  @Property({ type: 'string', length: 200 })
  description!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}
