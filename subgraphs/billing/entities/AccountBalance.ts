import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An account's money, by bucket, in micro-USD. Each bucket always equals the sum of the
 * account's ledger entries for it (the ledger is the truth; this row is its running total).
 * The platform's fees accrue to the account id `platform`.
 */
@Entity({ tableName: 'account_balances' })
export class AccountBalance {
  @PrimaryKey({ type: 'string', length: 36 })
  accountId!: string;

  /** Spendable by the buyer: money it paid. */
  @Property({ type: 'bigint', runtimeType: 'number' })
  balanceMicros: number = 0;

  /** Spendable by the buyer: credit the platform gave (trial, sandbox top-ups), spent first. */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  promoMicros: number = 0;

  /** Seller earnings still cooling. */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  earningsPendingMicros: number = 0;

  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  earningsAvailableMicros: number = 0;

  /** Held in reserve until released. */
  @Property({ type: 'bigint', runtimeType: 'number', default: 0 })
  earningsReservedMicros: number = 0;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
