import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum ManagementScope {
  BUYER = 'buyer',
  SELLER = 'seller',
  FULL = 'full',
}
registerEnumType(ManagementScope, {
  name: 'ManagementScope',
  description: 'buyer: buyer keys and routing; seller: listings and earnings; full: both.',
});

@ObjectType({ description: 'A scoped key (`mk-…`) for automation. It manages; it never calls a model.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'management_keys' })
@Index({ properties: ['accountId', 'createdAt'] })
export class ManagementKey {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => ManagementScope)
  @Property({ type: 'string', length: 8 })
  scope!: ManagementScope;

  @Field(() => Boolean)
  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  keyHash!: string;

  @Field(() => String, { description: 'The key masked, e.g. `mk-A1b2…x9Qz`.' })
  @Property({ type: 'string', length: 40 })
  keyPreview!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  /** Soft delete: the row stays for audit; the key never authenticates again. */
  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;
}
