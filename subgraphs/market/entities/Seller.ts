import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/**
 * A seller's public namespace: listings outside the canonical registry are `<handle>/<name>`.
 * Chosen once (claimSellerHandle) or taken from the first own-namespace listing; unique.
 */
@ObjectType({ description: "A seller's public identity on the market." })
@Entity({ tableName: 'sellers' })
export class Seller {
  /** The seller's account id. */
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: "The namespace of the seller's own model ids (`<handle>/<name>`); null until chosen or taken from the first listing.",
  })
  @Unique()
  @Property({ type: 'string', length: 39, nullable: true })
  handle?: string | null;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}
