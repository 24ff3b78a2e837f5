import { Field, InputType, Int } from 'type-graphql';
import { RoutingSort } from '../entities/RoutingProfile';

/** Settings shared by create and update; on update an absent field is unchanged and null resets it to the default. */
@InputType('RoutingProfileSettings')
class RoutingProfileSettings {
  // No GraphQL default: an enum default in SDL bypasses the enum's value mapping. The service defaults to PRICE.
  @Field(() => RoutingSort, { nullable: true, description: 'Defaults to PRICE.' })
  sort?: RoutingSort | null;

  @Field(() => [String], { nullable: true, description: 'Provider ids tried first, in this order.' })
  providerOrder?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Only these provider ids (at least one); null = any.' })
  allowProviders?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Never these provider ids.' })
  denyProviders?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'Only supply matching one of these (a seller handle, a seller id or a listing id; at least one, at most 50, each 1 to 64 characters); null = everyone.',
  })
  allowSupply?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Never supply matching one of these (seller handles, seller ids or listing ids; at most 50).',
  })
  denySupply?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Supply matching these tried first, in this order (seller handles, seller ids or listing ids; at most 50).',
  })
  supplyOrder?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'USD per million input tokens: supply priced above it is skipped. null = no ceiling.',
  })
  maxInputPricePerMTok?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'USD per million output tokens: supply priced above it is skipped. null = no ceiling.',
  })
  maxOutputPricePerMTok?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Defaults to true.' })
  allowFallbacks?: boolean | null;

  @Field(() => [String], { nullable: true, description: 'Public model ids to fall back to, in order (at most 10).' })
  fallbackModels?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Per upstream attempt, 1000 to 600000 ms; null = the platform default.' })
  timeoutMs?: number | null;

  @Field(() => Int, { nullable: true, description: 'Further candidates after a failed attempt, 0 to 10; null = the platform default.' })
  maxRetries?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'After the first byte, the longest gap between chunks, 1000 to 600000 ms; null = the platform default.',
  })
  streamIdleTimeoutMs?: number | null;
}

@InputType()
export class CreateRoutingProfileInput extends RoutingProfileSettings {
  @Field(() => String, { description: '1 to 100 characters, unique per account.' })
  name!: string;
}

@InputType()
export class UpdateRoutingProfileInput extends RoutingProfileSettings {
  @Field(() => String, { nullable: true })
  name?: string | null;
}
