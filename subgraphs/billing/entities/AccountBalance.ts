import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** An account's spendable balance in micro-USD. */
@Entity({ tableName: 'account_balances' })
export class AccountBalance {
  @PrimaryKey({ type: 'string', length: 36 })
  accountId!: string;

  @Property({ type: 'bigint', runtimeType: 'number' })
  balanceMicros: number = 0;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
