// The NaaP network overview as GraphQL: thin; the rules are in services/dashboard.ts.
import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import {
  FeesInfo,
  GPUCapacity,
  KPI,
  OrchestratorRow,
  PipelineCatalogEntry,
  PipelinePricing,
  PipelineUsage,
  Protocol,
} from '../types/dashboard';
import { Listing } from '../types/references';
import type { NetworkContext } from '../context';

@Resolver()
export class DashboardResolver {
  @Query(() => KPI, {
    description:
      'KPI tiles. timeframe: hours (clamped 1–168, default 24); window: the same as a period such as "24h" when timeframe is absent.',
  })
  kpi(
    @Arg('window', () => String, { nullable: true }) window: string | null,
    @Arg('timeframe', () => String, { nullable: true }) timeframe: string | null,
    @Arg('pipeline', () => String, { nullable: true }) pipeline: string | null,
    @Arg('model_id', () => String, { nullable: true }) modelId: string | null,
    @Ctx() ctx: NetworkContext,
  ): Promise<KPI> {
    return ctx.dashboard.kpi({ window, timeframe, pipeline, modelId });
  }

  @Query(() => Protocol, { description: "The current settlement round and the sellers' reserve held (billing)." })
  protocol(@Ctx() ctx: NetworkContext): Protocol {
    return ctx.dashboard.protocol();
  }

  @Query(() => FeesInfo, { description: 'Fee volume; days: an integer 7–365, default 180.' })
  fees(@Arg('days', () => Int, { nullable: true }) days: number | null, @Ctx() ctx: NetworkContext): Promise<FeesInfo> {
    return ctx.dashboard.fees({ days });
  }

  @Query(() => [PipelineUsage], { description: 'Usage per pipeline, most inference minutes first; limit default 5, at most 200.' })
  pipelines(
    @Arg('limit', () => Int, { nullable: true }) limit: number | null,
    @Arg('timeframe', () => String, { nullable: true }) timeframe: string | null,
    @Ctx() ctx: NetworkContext,
  ): Promise<PipelineUsage[]> {
    return ctx.dashboard.pipelines({ limit, timeframe });
  }

  @Query(() => [PipelineCatalogEntry])
  pipelineCatalog(@Ctx() ctx: NetworkContext): Promise<PipelineCatalogEntry[]> {
    return ctx.dashboard.pipelineCatalog();
  }

  @Query(() => GPUCapacity, {
    description: 'GPUs declared on admitted listings (market) and those busy in the window; timeframe: hours (clamped 1–168, default 24).',
  })
  gpuCapacity(
    @Arg('timeframe', () => String, { nullable: true }) timeframe: string | null,
    @Ctx() ctx: NetworkContext,
  ): Promise<GPUCapacity> {
    return ctx.dashboard.gpuCapacity({ timeframe });
  }

  @Query(() => [PipelinePricing], { description: 'Price paid per unit, highest first.' })
  pricing(@Ctx() ctx: NetworkContext): Promise<PipelinePricing[]> {
    return ctx.dashboard.pricing();
  }

  @Query(() => [OrchestratorRow], { description: 'Listings with traffic in the period (e.g. "24h"; default 24h).' })
  orchestrators(
    @Arg('period', () => String, { nullable: true }) period: string | null,
    @Ctx() ctx: NetworkContext,
  ): Promise<OrchestratorRow[]> {
    return ctx.dashboard.orchestrators({ period });
  }
}

@Resolver(() => OrchestratorRow)
export class OrchestratorRowResolver {
  @FieldResolver(() => Listing, { nullable: true, description: 'The listing (market).' })
  listing(@Root() row: OrchestratorRow): Listing {
    return { id: row.address };
  }
}
