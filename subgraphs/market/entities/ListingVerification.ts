import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum VerificationStatus {
  PENDING = 'PENDING',
  PASSED = 'PASSED',
  FAILED = 'FAILED',
  NOT_REQUIRED = 'NOT_REQUIRED',
}
registerEnumType(VerificationStatus, {
  name: 'VerificationStatus',
  description:
    'PENDING: claims not verified yet; PASSED: every check passed; FAILED: a check failed (a canonical listing is then not routable under its id); ' +
    'NOT_REQUIRED: the listing claims nothing to verify (its own namespace, no declared capabilities).',
});

@ObjectType({ description: 'One verification check: what was asked of the upstream and whether its answer held.' })
export class VerificationCheck {
  @Field(() => String, { description: 'e.g. `tokenizer`, `known-answer`, `tools`, `json_schema`, `context`.' })
  name!: string;

  @Field(() => Boolean)
  passed!: boolean;

  @Field(() => String, { nullable: true, description: 'What was seen (our words, upstream text bounded).' })
  detail!: string | null;
}

/** A listing's latest verification (one row per listing; each ProbeRun keeps the history of reasons). */
@ObjectType({
  description: "A listing's latest verification of its claims: the canonical model it lists and the capabilities it declares.",
})
@Entity({ tableName: 'listing_verifications' })
export class ListingVerification {
  @PrimaryKey({ type: 'string', length: 36 })
  listingId!: string;

  @Field(() => VerificationStatus)
  @Property({ type: 'string', length: 16 })
  status!: VerificationStatus;

  @Field(() => Date, { nullable: true, description: 'When the checks ran (null while pending).' })
  @Property({ type: 'datetime', nullable: true })
  checkedAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'The registry id the listing claims to be (null: its own namespace).' })
  @Property({ type: 'string', length: 200, nullable: true })
  canonicalModel?: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  registryVersion?: string | null;

  @Property({ type: 'string', length: 36, nullable: true })
  probeRunId?: string | null;

  /** Which claims these checks were of (verification.ts claimsKeyOf); null: stored before claims were keyed. */
  @Property({ type: 'string', length: 64, nullable: true })
  claimsKey?: string | null;

  @Field(() => [VerificationCheck])
  @Property({ type: 'json' })
  checks: VerificationCheck[] = [];
}
