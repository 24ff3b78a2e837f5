import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ContractState {
  PENDING = 'pending',
  ACTIVE = 'active',
  DEGRADED = 'degraded',
  SUSPENDED = 'suspended',
}
registerEnumType(ContractState, {
  name: 'ContractState',
  description:
    'PENDING → ACTIVE on a passing admission probe; ACTIVE → DEGRADED on a failed check; DEGRADED → ACTIVE on a passing check; ' +
    'DEGRADED → SUSPENDED after consecutive failures; SUSPENDED → ACTIVE only by unsuspendContract after a passing check. ' +
    'ACTIVE and DEGRADED (last) are routed.',
});

@ObjectType({ description: "The platform's admission of a listing and its health: a state machine fed by probes and live traffic." })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'contracts' })
@Index({ properties: ['listingId', 'createdAt'] })
@Index({ properties: ['state', 'lastCheckAt'] })
export class Contract {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  listingId!: string;

  @Property({ type: 'string', length: 36 })
  sellerId!: string;

  /** The listing's public model id (carried on contract.changed events). */
  @Property({ type: 'string', length: 200 })
  model!: string;

  @Field(() => ContractState)
  @Property({ type: 'string', length: 16 })
  state: ContractState = ContractState.PENDING;

  @Field(() => Int, { description: 'Failed checks in a row (reset by a passing one).' })
  @Property({ type: 'integer', default: 0 })
  consecutiveFailures: number = 0;

  /** LIVE failure reports in a row; a burst of them counts as failed checks. */
  @Property({ type: 'integer', default: 0 })
  liveFailureStreak: number = 0;

  @Field(() => Int, { nullable: true, description: 'Total time of the latest passing probe, ms.' })
  @Property({ type: 'integer', nullable: true })
  latencyMs?: number | null;

  @Field(() => Int, { nullable: true, description: 'Time to first token of the latest passing probe, ms (streaming capabilities).' })
  @Property({ type: 'integer', nullable: true })
  ttftMs?: number | null;

  @Field(() => Float, { nullable: true, description: 'Output tokens per second of the latest passing probe (chat).' })
  @Property({ type: 'double', runtimeType: 'number', nullable: true })
  tokensPerSecond?: number | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  lastCheckAt?: Date | null;

  @Field(() => Boolean, { nullable: true })
  @Property({ type: 'boolean', nullable: true })
  lastCheckPassed?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Why the latest check failed (null when it passed).' })
  @Property({ type: 'string', length: 500, nullable: true })
  lastReason?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the contract first became ACTIVE.' })
  @Property({ type: 'datetime', nullable: true })
  admittedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  suspendedAt?: Date | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  updatedAt!: Date;

  /** Optimistic lock: concurrent checks (probes, live reports, other replicas) never lose a transition. */
  @Property({ type: 'integer', version: true })
  version!: number;
}
