import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum ApiKeyStatus {
  ACTIVE = 'active',
  DISABLED = 'disabled',
  REVOKED = 'revoked',
}
registerEnumType(ApiKeyStatus, { name: 'ApiKeyStatus' });

@ObjectType({ description: 'A buyer key (`sk-df-…`): calls models on /v1. Only a keyed hash of it is stored.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'api_keys' })
@Index({ properties: ['accountId', 'createdAt'] })
export class ApiKey {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  /** HMAC-SHA256 of the raw key under a platform-derived key: lookups by key, no way back. */
  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  keyHash!: string;

  @Field(() => String, { description: 'The first characters of the key, to recognise it.' })
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Field(() => String, { description: 'The key masked, e.g. `sk-df-Ab3…x9Qz`.' })
  @Property({ type: 'string', length: 32 })
  preview!: string;

  @Field(() => ApiKeyStatus)
  @Property({ type: 'string', length: 16 })
  status: ApiKeyStatus = ApiKeyStatus.ACTIVE;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;
}
