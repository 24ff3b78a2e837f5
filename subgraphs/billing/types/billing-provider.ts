import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A way to pay for inference (the catalog is public).' })
@Directive('@key(fields: "id")')
export class BillingProvider {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'URL-safe identifier.' })
  slug!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => String)
  description!: string;

  @Field(() => String)
  icon!: string;

  @Field(() => String, { description: '`oauth`, `api_key` or `none`.' })
  authType!: string;
}
