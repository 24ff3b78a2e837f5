import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Running totals per buyer key, kept by usage ingestion. */
@Entity({ tableName: 'key_usage' })
export class KeyUsage {
  @PrimaryKey({ type: 'string', length: 36 })
  keyId!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Property({ type: 'bigint', runtimeType: 'number' })
  totalMicros: number = 0;

  @Property({ type: 'bigint', runtimeType: 'number' })
  requestCount: number = 0;
}
