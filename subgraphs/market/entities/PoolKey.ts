import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum PoolKeyStatus {
  ACTIVE = 'active',
  INVALID = 'invalid',
  DELETED = 'deleted',
}
registerEnumType(PoolKeyStatus, {
  name: 'PoolKeyStatus',
  description:
    'ACTIVE: the provider accepted it; INVALID: the provider refused it on a later probe (a passing probe makes it ACTIVE again); DELETED: retired (final).',
});

@ObjectType({ description: "A seller's upstream provider key. Stored sealed (AES-256-GCM); only a masked preview is ever shown." })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'pool_keys' })
@Index({ properties: ['sellerId', 'createdAt'] })
@Index({ properties: ['sellerId', 'fingerprint'] })
export class PoolKey {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  sellerId!: string;

  @Field(() => String, { description: 'A provider id of `poolProviders`, e.g. `openai`, `custom`.' })
  @Property({ type: 'string', length: 32 })
  provider!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 100, nullable: true })
  label?: string | null;

  /** The base URL given at creation (custom, or a simulator override); null = the catalog's. */
  @Property({ type: 'string', length: 500, nullable: true })
  baseUrlOverride?: string | null;

  /** `v1.<iv>.<tag>.<data>`, sealed with associated data `pool-key:<id>`; emptied on delete. */
  @Property({ type: 'text', hidden: true })
  sealedKey!: string;

  /** Keyed hash of provider + key: spots the same key submitted twice, no way back to it. */
  @Property({ type: 'string', length: 64, hidden: true })
  fingerprint!: string;

  @Field(() => String, { description: 'The key masked, e.g. `sk-p…x9Qz`.' })
  @Property({ type: 'string', length: 40 })
  keyPreview!: string;

  @Field(() => PoolKeyStatus)
  @Property({ type: 'string', length: 16 })
  status: PoolKeyStatus = PoolKeyStatus.ACTIVE;

  @Field(() => Date, { nullable: true, description: 'When the provider last accepted the key (at creation, then on each passing probe).' })
  @Property({ type: 'datetime', nullable: true })
  validatedAt?: Date | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;
}
