import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { KeyCycle, type Cycle } from '../../common/cycles';

export enum ApiKeyStatus {
  ACTIVE = 'active',
  DISABLED = 'disabled',
  REVOKED = 'revoked',
}
registerEnumType(ApiKeyStatus, { name: 'ApiKeyStatus', description: 'revoked is final (a soft delete); disabled can be enabled again.' });

export { KeyCycle };

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

  @Property({ type: 'string', length: 36 })
  projectId!: string;

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

  /** Spend limit per cycle (or in total without a cycle), micro-USD; null = no key limit. */
  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  limitMicros?: number | null;

  @Field(() => KeyCycle, { nullable: true })
  @Property({ type: 'string', length: 8, nullable: true })
  cycle?: Cycle | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute the key may make; null = unlimited.' })
  @Property({ type: 'integer', nullable: true })
  rpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Tokens (prompt + completion) per minute; null = unlimited.' })
  @Property({ type: 'integer', nullable: true })
  tpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests in flight at once; null = unlimited.' })
  @Property({ type: 'integer', nullable: true })
  maxParallelRequests?: number | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  expiredAt?: Date | null;

  @Property({ type: 'string', length: 36, nullable: true })
  groupId?: string | null;

  @Field(() => String, { nullable: true, description: "A routing profile of the market's (its id)." })
  @Property({ type: 'string', length: 36, nullable: true })
  routingProfileId?: string | null;

  @Field(() => [String], { description: 'CIDR blocks allowed to use the key; empty = any address.' })
  @Property({ type: 'json' })
  ipAllow: string[] = [];

  @Field(() => [String], { description: 'CIDR blocks refused, even when allowed.' })
  @Property({ type: 'json' })
  ipDeny: string[] = [];

  @Field(() => [String], { nullable: true, description: 'Public model ids the key may call; null = any.' })
  @Property({ type: 'json', nullable: true })
  allowedModels?: string[] | null;

  @Property({ type: 'string', length: 36, nullable: true })
  billingProviderId?: string | null;

  /** A provider-issued key (NaaP), sealed with AES-256-GCM; never returned. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  providerKeySealed?: string | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  updatedAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
