import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One tag of one usage record: usage by tag and the spend log's tag filter read these (a record's
 * own `tags` column is for display). Written with the record, in the same statement batch.
 */
@Entity({ tableName: 'usage_tags' })
@Index({ properties: ['buyerId', 'tag', 'occurredAt'] })
export class UsageTag {
  @PrimaryKey({ type: 'string', length: 64 })
  requestId!: string;

  @PrimaryKey({ type: 'string', length: 64 })
  tag!: string;

  @Property({ type: 'string', length: 36 })
  buyerId!: string;

  @Property({ type: 'datetime' })
  occurredAt!: Date;
}
