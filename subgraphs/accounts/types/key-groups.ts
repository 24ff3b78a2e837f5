import { Field, InputType } from 'type-graphql';

@InputType()
export class CreateKeyGroupInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'USD per calendar month (UTC) for all keys of the group.' })
  monthlyBudget?: string | null;
}

@InputType()
export class UpdateKeyGroupInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'null clears the budget.' })
  monthlyBudget?: string | null;
}
