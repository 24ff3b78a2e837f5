// Market owns Listing; network adds what the traffic says about it.
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType()
@Directive('@key(fields: "id")')
export class Listing {
  @Field(() => ID)
  id!: string;
}
