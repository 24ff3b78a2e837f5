import { Field, InputType } from 'type-graphql';

@InputType()
export class CreateProjectInput {
  @Field(() => String, { description: '1 to 100 characters, unique per account.' })
  name!: string;
}
