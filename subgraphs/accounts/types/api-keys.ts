import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ApiKey, KeyCycle } from '../entities/ApiKey';

/** Fields a key's owner can set; on update, an absent field is unchanged and null clears it. */
@InputType('ApiKeySettings')
class ApiKeySettings {
  @Field(() => String, { nullable: true, description: '1 to 100 characters.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Spend limit in USD (decimal string, at most 6 decimals), per cycle or in total.' })
  limit?: string | null;

  @Field(() => KeyCycle, { nullable: true })
  cycle?: KeyCycle | null;

  @Field(() => String, { nullable: true, description: 'Shorthand: limit = monthlyBudget, cycle = MONTHLY.' })
  monthlyBudget?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the key stops working (UTC, in the future).' })
  expiredAt?: Date | null;

  @Field(() => ID, { nullable: true })
  groupId?: string | null;

  @Field(() => [String], { nullable: true, description: 'CIDR blocks (IPv4 or IPv6) allowed; empty = any.' })
  ipAllow?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'CIDR blocks refused.' })
  ipDeny?: string[] | null;

  @Field(() => ID, { nullable: true })
  routingProfileId?: string | null;

  @Field(() => [String], { nullable: true, description: 'Public model ids the key may call; null = any.' })
  allowedModels?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute, 1 to 1,000,000; null = unlimited.' })
  rpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Tokens per minute, 1 to 1,000,000,000; null = unlimited.' })
  tpmLimit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests in flight at once, 1 to 10,000; null = unlimited.' })
  maxParallelRequests?: number | null;
}

@InputType()
export class CreateApiKeyInput extends ApiKeySettings {
  @Field(() => String, { nullable: true, description: 'A key group by name: used if it exists, created if not.' })
  keyGroup?: string | null;

  @Field(() => ID, { nullable: true })
  projectId?: string | null;

  @Field(() => String, { nullable: true, description: 'A project by name: used if it exists, created if not.' })
  projectName?: string | null;

  @Field(() => ID, { nullable: true })
  billingProviderId?: string | null;

  @Field(() => String, { nullable: true, description: 'A key issued by the billing provider; stored encrypted, never shown again.' })
  providerApiKey?: string | null;
}

@InputType()
export class UpdateApiKeyInput extends ApiKeySettings {}

@ObjectType({ description: 'A new key. `rawKey` is shown here once and never again.' })
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String)
  rawKey!: string;
}

@ObjectType()
export class ApiKeyPage {
  @Field(() => [ApiKey])
  items!: ApiKey[];

  @Field(() => Int)
  total!: number;

  @Field(() => Int)
  page!: number;

  @Field(() => Int)
  pageSize!: number;
}

@ObjectType({ description: "The caller's buyer keys counted: all of them (revoked included), and the usable ones." })
export class ApiKeyCounts {
  @Field(() => Int, { description: 'Every key, revoked ones included.' })
  total!: number;

  @Field(() => Int, { description: 'Active and not expired: keys that can call a model now.' })
  active!: number;
}
