import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Spend per buyer key per UTC day: any cycle window (day, week from Monday, month) is a sum of these. */
@Entity({ tableName: 'key_usage_daily' })
export class KeyUsageDaily {
  @PrimaryKey({ type: 'string', length: 36 })
  keyId!: string;

  /** `YYYY-MM-DD` (UTC). */
  @PrimaryKey({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Property({ type: 'bigint', runtimeType: 'number' })
  micros: number = 0;

  @Property({ type: 'bigint', runtimeType: 'number' })
  requests: number = 0;
}
