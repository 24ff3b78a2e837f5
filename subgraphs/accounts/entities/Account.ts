import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Marks an Account loaded for the person who just proved to own it (signup, login). */
export const SIGNED_IN = Symbol('signed-in');

@ObjectType({ description: 'A person or organisation on the marketplace: buys, sells, or both.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'accounts' })
export class Account {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  /** Exposed by a field resolver that shows it to its owner only. */
  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  /** Public (shown beside listings and in the job feed); exposed by a field resolver. */
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 200, hidden: true, lazy: true })
  passwordHash!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  /** Bumped by "sign out everywhere": dashboard tokens carrying an older one are refused. */
  @Property({ type: 'integer', default: 0 })
  sessionGeneration: Opt<number> = 0;

  [SIGNED_IN]?: boolean;
}
