import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A named group of buyer keys, optionally with a monthly budget shared by its keys.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'key_groups' })
@Unique({ properties: ['accountId', 'name'] })
export class KeyGroup {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  /** Micro-USD per calendar month (UTC); null = no group budget. */
  @Property({ type: 'bigint', runtimeType: 'number', nullable: true })
  monthlyBudgetMicros?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute shared by all keys of the group; null = unlimited.' })
  @Property({ type: 'integer', nullable: true })
  rpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Tokens (prompt + completion) per minute shared by the group; null = unlimited.' })
  @Property({ type: 'integer', nullable: true })
  tpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests in flight at once across the group; null = unlimited.' })
  @Property({ type: 'integer', nullable: true })
  maxParallelRequests?: number | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;
}
