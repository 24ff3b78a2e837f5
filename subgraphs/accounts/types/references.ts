// Entities other subgraphs own, referenced from accounts' types.
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class BillingProvider {
  @Field(() => ID)
  id!: string;
}
