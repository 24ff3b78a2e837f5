import { Field, InputType, Int } from 'type-graphql';

@InputType()
export class CreateKeyGroupInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'USD per calendar month (UTC) for all keys of the group.' })
  monthlyBudget?: string | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute shared by the keys, 1 to 1,000,000; null = unlimited.' })
  rpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Tokens per minute shared by the keys, 1 to 1,000,000,000; null = unlimited.' })
  tpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests in flight at once across the keys, 1 to 10,000; null = unlimited.' })
  maxParallelRequests?: number | null;
}

@InputType()
export class UpdateKeyGroupInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'null clears the budget.' })
  monthlyBudget?: string | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute shared by the keys, 1 to 1,000,000; null = unlimited.' })
  rpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Tokens per minute shared by the keys, 1 to 1,000,000,000; null = unlimited.' })
  tpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests in flight at once across the keys, 1 to 10,000; null = unlimited.' })
  maxParallelRequests?: number | null;
}
