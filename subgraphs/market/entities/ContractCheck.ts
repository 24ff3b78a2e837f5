import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ContractState } from './Contract';

export enum CheckKind {
  ADMISSION = 'admission',
  SCHEDULED = 'scheduled',
  REVERIFY = 'reverify',
  LIVE = 'live',
}
registerEnumType(CheckKind, {
  name: 'CheckKind',
  description:
    'ADMISSION: probeListing (and the probe run right after createListing); SCHEDULED: the periodic re-check; REVERIFY: reverifyContract; LIVE: a report from the data plane about real traffic.',
});

@ObjectType({ description: "One input to a contract's state machine: a probe's verdict or a live-traffic report." })
@Entity({ tableName: 'contract_checks' })
@Index({ properties: ['contractId', 'checkedAt'] })
export class ContractCheck {
  @Field(() => ID)
  @PrimaryKey({ type: 'string', length: 36 })
  id!: string;

  @Property({ type: 'string', length: 36 })
  contractId!: string;

  @Property({ type: 'string', length: 36 })
  listingId!: string;

  @Field(() => CheckKind)
  @Property({ type: 'string', length: 16 })
  kind!: CheckKind;

  @Field(() => Boolean)
  @Property({ type: 'boolean' })
  passed!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it failed (null when it passed).' })
  @Property({ type: 'string', length: 500, nullable: true })
  reason?: string | null;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'integer', nullable: true })
  latencyMs?: number | null;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'integer', nullable: true })
  ttftMs?: number | null;

  @Field(() => Float, { nullable: true })
  @Property({ type: 'double', runtimeType: 'number', nullable: true })
  tokensPerSecond?: number | null;

  @Field(() => ContractState, { description: 'The contract state before this check.' })
  @Property({ type: 'string', length: 16 })
  stateBefore!: ContractState;

  @Field(() => ContractState, { description: 'The contract state after this check.' })
  @Property({ type: 'string', length: 16 })
  stateAfter!: ContractState;

  /** The probe run behind this check (null for LIVE reports). */
  @Property({ type: 'string', length: 36, nullable: true })
  probeRunId?: string | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  checkedAt!: Date;
}
