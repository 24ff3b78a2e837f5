import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import type { ModelView, MoneyStats } from '../services/models';
import { Model, MoneyRange } from '../types/models';
import type { MarketContext } from '../context';

export function toModel(view: ModelView): Model {
  return {
    ...view,
    inputPrice: range(view.inputPrice),
    outputPrice: range(view.outputPrice),
    pricePerMChars: view.pricePerMChars && range(view.pricePerMChars),
    costPerMinute: view.costPerMinute && range(view.costPerMinute),
  };
}

function range(stats: MoneyStats): MoneyRange {
  return { min: Money.of(stats.min), max: Money.of(stats.max), avg: Money.of(stats.avg) };
}

@Resolver(() => Model)
export class ModelResolver {
  @Query(() => [Model], { description: 'Public: models with at least one ACTIVE contract, by id; each given argument filters.' })
  async models(
    @Ctx() ctx: MarketContext,
    @Arg('type', () => String, {
      nullable: true,
      description: 'A pipeline (`llm`, `embeddings`, `text-to-speech`) or a capability (`chat`, `embeddings`, `speech`), any case.',
    })
    type?: string | null,
    @Arg('featured', () => Boolean, { nullable: true }) featured?: boolean | null,
    @Arg('realtime', () => Boolean, { nullable: true }) realtime?: boolean | null,
  ): Promise<Model[]> {
    return (await ctx.models.list({ type, featured, realtime })).map(toModel);
  }

  @Query(() => Model, { nullable: true, description: 'Public: one model, or null when it has no ACTIVE supply.' })
  async model(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<Model | null> {
    const view = await ctx.models.get(id);
    return view && toModel(view);
  }
}
