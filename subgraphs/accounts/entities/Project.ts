import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A folder for keys. Every account has a default project, created with it.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'projects' })
@Unique({ properties: ['accountId', 'name'] })
export class Project {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => Boolean)
  @Property({ type: 'boolean' })
  isDefault: boolean = false;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;
}
