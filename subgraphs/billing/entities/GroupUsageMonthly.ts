import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Spend per key group per calendar month (UTC): the group budget's counter. */
@Entity({ tableName: 'group_usage_monthly' })
export class GroupUsageMonthly {
  @PrimaryKey({ type: 'string', length: 36 })
  groupId!: string;

  /** `YYYY-MM` (UTC). */
  @PrimaryKey({ type: 'string', length: 7 })
  month!: string;

  @Property({ type: 'bigint', runtimeType: 'number' })
  micros: number = 0;
}
