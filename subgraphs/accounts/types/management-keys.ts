import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ManagementKey, ManagementScope } from '../entities/ManagementKey';

@InputType()
export class CreateManagementKeyInput {
  @Field(() => String)
  name!: string;

  @Field(() => ManagementScope, { nullable: true, description: 'Defaults to FULL.' })
  scope?: ManagementScope | null;
}

@ObjectType({ description: 'A new management key. `rawKey` is shown here once and never again.' })
export class CreatedManagementKey {
  @Field(() => ManagementKey)
  managementKey!: ManagementKey;

  @Field(() => String)
  rawKey!: string;
}

@ObjectType()
export class ManagementKeyPage {
  @Field(() => [ManagementKey])
  items!: ManagementKey[];

  @Field(() => Int)
  total!: number;

  @Field(() => Int)
  page!: number;

  @Field(() => Int)
  pageSize!: number;
}

@ObjectType({ description: 'For the gateway only: what a management key may do.' })
@Directive('@inaccessible')
export class ManagementCredential {
  @Field(() => ID)
  keyId!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => ManagementScope)
  scope!: ManagementScope;

  @Field(() => Boolean)
  enabled!: boolean;
}
