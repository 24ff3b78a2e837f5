import { Arg, Ctx, Directive, ID, Query, Resolver } from 'type-graphql';
import { RoutingTable } from '../types/routing-table';
import type { MarketContext } from '../context';

@Resolver(() => RoutingTable)
export class RoutingTableResolver {
  @Query(() => RoutingTable, {
    description: 'Data plane only: the ranked routable supply of a model, ordered by the routing profile (or price, then latency).',
  })
  @Directive('@inaccessible')
  routingTable(
    @Arg('model', () => String) model: string,
    @Arg('profileId', () => ID, { nullable: true }) profileId: string | null,
    @Ctx() ctx: MarketContext,
  ): Promise<RoutingTable> {
    return ctx.routingTable.table(ctx.principal, model, profileId);
  }
}
