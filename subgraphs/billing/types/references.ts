// Entities owned by accounts (and market, network), extended here with money facts.
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { KeyCycle } from '../../common/cycles';

@ObjectType()
@Directive('@key(fields: "id")')
export class Account {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
@Directive('@key(fields: "id")')
export class ApiKey {
  @Field(() => ID)
  id!: string;

  /** Owned by accounts; billing needs it to know which window `usageInCycle` covers. */
  @Field(() => KeyCycle, { nullable: true })
  @Directive('@external')
  cycle?: KeyCycle | null;
}

@ObjectType()
@Directive('@key(fields: "id")')
export class Listing {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
@Directive('@key(fields: "id")')
export class KeyGroup {
  @Field(() => ID)
  id!: string;
}

/** Network's current settlement round; billing adds the sellers' reserve held (their stake). */
@ObjectType()
@Directive('@key(fields: "currentRound")')
export class Protocol {
  @Field(() => Int)
  currentRound!: number;
}
