import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import type { ModelView, MoneyStats } from '../services/models';
import { Model, MoneyRange } from '../types/models';
import type { MarketContext } from '../context';

export function toModel(view: ModelView): Model {
  return { ...view, inputPrice: range(view.inputPrice), outputPrice: range(view.outputPrice), pricePerMChars: view.pricePerMChars && range(view.pricePerMChars), costPerMinute: view.costPerMinute && range(view.costPerMinute) };
}

function range(stats: MoneyStats): MoneyRange {
  return { min: Money.of(stats.min), max: Money.of(stats.max), avg: Money.of(stats.avg) };
}

@Resolver(() => Model)
export class ModelResolver {
  @Query(() => [Model], { description: 'Public: models with at least one ACTIVE contract, by id.' })
  async models(@Ctx() ctx: MarketContext): Promise<Model[]> {
    return (await ctx.models.list()).map(toModel);
  }

  @Query(() => Model, { nullable: true, description: 'Public: one model, or null when it has no ACTIVE supply.' })
  async model(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<Model | null> {
    const view = await ctx.models.get(id);
    return view && toModel(view);
  }
}
