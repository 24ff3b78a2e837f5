// Value types that several subgraphs return. They are @shareable: the same shape in every subgraph.
import { Directive, Field, ObjectType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { microsToUsd } from './money';

@ObjectType({ description: 'An amount of US dollars, exact: integer micro-units and the same as a decimal string.' })
@Directive('@shareable')
export class Money {
  @Field(() => GraphQLSafeInt, { description: 'Micro-USD (1 USD = 1,000,000).' })
  micros!: number;

  @Field(() => String, { description: 'Decimal USD with 6 decimals, e.g. "12.340000".' })
  usd!: string;

  static of(micros: number): Money {
    const money = new Money();
    money.micros = micros;
    money.usd = microsToUsd(micros);
    return money;
  }
}
