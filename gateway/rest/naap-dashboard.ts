// NaaP network overview: /api/v1/dashboard/* — public (no auth), bare JSON (no envelope). A thin
// adapter: each route runs one typed operation through the gateway (the rules, clamps and defaults
// live in subgraphs/network/services/dashboard.ts; GPU figures and gpuCount come from market's
// declared hardware, totalStakedLPT from billing's reserve, joined by federation) through a small
// in-process cache.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { FormattedExecutionResult } from 'graphql';
import {
  DashboardFeesDocument,
  DashboardGpuCapacityDocument,
  DashboardJobFeedDocument,
  DashboardKpiDocument,
  DashboardOrchestratorsDocument,
  DashboardPipelineCatalogDocument,
  DashboardPipelinesDocument,
  DashboardPricingDocument,
  DashboardProtocolDocument,
} from '../../schema/generated/graphql';
import { ANONYMOUS } from '../../subgraphs/common/principal';
import type { GatewayApi } from '../gateway-api';
import { restErrorFrom, restErrorFromFastify } from './graphql-errors';
import * as oa from './openapi-schemas';
import { errorBody } from './envelopes';

/** Seconds a dashboard answer is cached, here and by browsers/CDNs. */
export const DASHBOARD_TTL_SECONDS = 15;
const DEFAULT_POLL_MS = 15_000;
const MAX_JOB_FEED_AGE_SECONDS = 300;
const JOB_FEED_LIMIT = 50;

// ---- response cache: per route + query, single flight, TTL ---------------------------------------

interface Entry<T> {
  expiresAt: number;
  value: Promise<T>;
}

/**
 * Identical requests within the TTL share one computation (also while it is running); a failure
 * is not kept. Bounded: when full, expired entries go first, then the oldest.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry<unknown>>();
  constructor(
    private readonly maxEntries = 500,
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(key: string, ttlMs: number, compute: () => Promise<T>, bypass = false): Promise<T> {
    const existing = this.entries.get(key) as Entry<T> | undefined;
    if (!bypass && existing && existing.expiresAt > this.now()) return existing.value;
    const value = compute();
    const entry: Entry<T> = { expiresAt: this.now() + ttlMs, value };
    this.entries.delete(key);
    this.entries.set(key, entry as Entry<unknown>);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.evict();
    return value;
  }

  private evict() {
    if (this.entries.size <= this.maxEntries) return;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

// ---- helpers ----------------------------------------------------------------------------------

class RouteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function fromGraphQL(result: FormattedExecutionResult<unknown>): RouteError {
  const error = restErrorFrom(result.errors ?? []);
  if (error.status === 400) return new RouteError(400, 'BAD_REQUEST', error.message);
  return new RouteError(503, 'SERVICE_UNAVAILABLE', error.status === 503 ? error.message : 'Network metrics are unavailable right now');
}

function query(request: FastifyRequest): Record<string, string | undefined> {
  const raw = request.query as Record<string, unknown>;
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(raw ?? {}))
    out[name] = Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
  return out;
}

const present = (value: string | undefined) => (value === undefined || value === '' ? null : value);

/** A whole number, or null (absent or not an integer: the service applies its default). */
function intOrNull(value: string | undefined): number | null {
  return value !== undefined && /^-?\d{1,9}$/.test(value) ? Number(value) : null;
}

/** The canonical cache key: route + sorted query parameters that the route reads. */
function cacheKey(route: string, params: Record<string, unknown>): string {
  return `${route}?${Object.keys(params)
    .sort()
    .map((name) => `${name}=${params[name] ?? ''}`)
    .join('&')}`;
}

function sendError(reply: FastifyReply, error: RouteError) {
  return reply.code(error.status).header('Cache-Control', 'no-store').send(errorBody.dragonfly(error.code, error.message));
}

// ---- documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('NaaP', 'DashboardError', []);
const timeframe = oa.str('Window length in hours (1, 6, 12, 18, 24, 48, 72, 168); clamped to 1–168', { default: '24' });
const bare = (description: string): oa.JsonSchema => ({ type: ['object', 'array'], description });
const cacheNote = `Public, no envelope; cached ${DASHBOARD_TTL_SECONDS} s (refresh=1 or nocache=1 bypasses the cache).`;
const dashboardDoc = (operationId: string, summary: string, query: Record<string, oa.JsonSchema>, ok: oa.JsonSchema): FastifySchema =>
  documented({
    operationId,
    summary,
    description: cacheNote,
    query: { ...query, refresh: oa.enumOf(['1'], 'Bypass the cache'), nocache: oa.enumOf(['1'], 'Bypass the cache') },
    ok,
  });

// ---- routes -----------------------------------------------------------------------------------

export async function naapDashboardRoutes(app: FastifyInstance, gateway: GatewayApi, cache = new ResponseCache()): Promise<void> {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const rest = restErrorFromFastify(error);
    return sendError(
      reply,
      rest.status === 500
        ? new RouteError(503, 'SERVICE_UNAVAILABLE', 'Network metrics are unavailable right now')
        : new RouteError(rest.status, 'BAD_REQUEST', rest.message),
    );
  });

  /** One dashboard route: variables from the query string, one operation, a shape, the cache. */
  function route<V extends Record<string, unknown>, D, Out>(
    path: string,
    variables: (q: Record<string, string | undefined>) => V | RouteError,
    run: (variables: V, requestId: string) => Promise<FormattedExecutionResult<D>>,
    shape: (data: D) => Out,
    schema: FastifySchema,
  ) {
    app.get(`/api/v1/dashboard/${path}`, { schema }, async (request, reply) => {
      const q = query(request);
      const vars = variables(q);
      if (vars instanceof RouteError) return sendError(reply, vars);
      const bypass = q.refresh === '1' || q.nocache === '1';
      try {
        const body = await cache.get(
          cacheKey(path, vars),
          DASHBOARD_TTL_SECONDS * 1000,
          async () => {
            const result = await run(vars, String(request.id));
            if (result.errors?.length || !result.data) throw fromGraphQL(result);
            return shape(result.data);
          },
          bypass,
        );
        return reply
          .header('Cache-Control', `public, max-age=${DASHBOARD_TTL_SECONDS}, stale-while-revalidate=${DASHBOARD_TTL_SECONDS * 2}`)
          .send(body);
      } catch (error) {
        return sendError(
          reply,
          error instanceof RouteError ? error : new RouteError(503, 'SERVICE_UNAVAILABLE', 'Network metrics are unavailable right now'),
        );
      }
    });
  }

  route(
    'kpi',
    (q) => ({ timeframe: present(q.timeframe), pipeline: present(q.pipeline), modelId: present(q.model_id) }),
    (v, id) => gateway.run(DashboardKpiDocument, v, ANONYMOUS, id),
    (data) => data.kpi,
    dashboardDoc(
      'naapDashboardKpi',
      'KPI tiles and hourly usage',
      { timeframe, pipeline: oa.str('Only this pipeline id'), model_id: oa.str('Only this model id') },
      bare('DashboardKPI'),
    ),
  );
  route(
    'pipelines',
    (q) => ({ timeframe: present(q.timeframe), limit: intOrNull(q.limit) }),
    (v, id) => gateway.run(DashboardPipelinesDocument, v, ANONYMOUS, id),
    (data) => data.pipelines,
    dashboardDoc(
      'naapDashboardPipelines',
      'Pipeline usage',
      { timeframe, limit: oa.int('Pipelines at most', { default: 5, minimum: 1 }) },
      bare('DashboardPipelineUsage[]'),
    ),
  );
  route(
    'pipeline-catalog',
    () => ({}),
    (_v, id) => gateway.run(DashboardPipelineCatalogDocument, {}, ANONYMOUS, id),
    (data) => data.pipelineCatalog,
    dashboardDoc('naapDashboardPipelineCatalog', 'Pipeline and model catalog', {}, bare('Catalog rows')),
  );
  route(
    'orchestrators',
    (q) => ({ period: present(q.period) }),
    (v, id) => gateway.run(DashboardOrchestratorsDocument, v, ANONYMOUS, id),
    (data) => data.orchestrators,
    dashboardDoc(
      'naapDashboardOrchestrators',
      'Orchestrators',
      { period: oa.str('Period such as 12h or 24h, matching the timeframe', { default: '24h' }) },
      bare('DashboardOrchestrator[]'),
    ),
  );
  route(
    'protocol',
    () => ({}),
    (_v, id) => gateway.run(DashboardProtocolDocument, {}, ANONYMOUS, id),
    (data) => data.protocol,
    dashboardDoc('naapDashboardProtocol', 'Protocol statistics', {}, bare('Protocol stats')),
  );
  route(
    'gpu-capacity',
    (q) => ({ timeframe: present(q.timeframe) }),
    (v, id) => gateway.run(DashboardGpuCapacityDocument, v, ANONYMOUS, id),
    (data) => data.gpuCapacity,
    dashboardDoc('naapDashboardGpuCapacity', 'GPU capacity', { timeframe }, bare('GPU capacity')),
  );
  route(
    'pricing',
    () => ({}),
    (_v, id) => gateway.run(DashboardPricingDocument, {}, ANONYMOUS, id),
    (data) => data.pricing,
    dashboardDoc('naapDashboardPricing', 'Per-pipeline pricing and capacity hints', {}, bare('Pricing rows')),
  );
  route(
    'fees',
    (q) => {
      const days = present(q.days);
      if (days === null) return { days: null };
      if (!/^\d{1,9}$/.test(days)) return new RouteError(400, 'BAD_REQUEST', `Invalid days: ${days} (an integer from 7 to 365)`);
      return { days: Number(days) };
    },
    (v, id) => gateway.run(DashboardFeesDocument, v, ANONYMOUS, id),
    (data) => data.fees,
    dashboardDoc(
      'naapDashboardFees',
      'Fees and volume over time',
      { days: oa.int('History length in days', { default: 180, minimum: 7, maximum: 365 }) },
      bare('Fee and volume series'),
    ),
  );

  // The live job list: never an error status; a failing store is `streams: [], queryFailed: true`.
  app.get(
    '/api/v1/dashboard/job-feed',
    {
      schema: documented({
        operationId: 'naapDashboardJobFeed',
        summary: 'Live job feed',
        description: 'Public; never an error status: a failing store answers streams [] and queryFailed true.',
        query: {
          pollMs: oa.int("The client's poll interval, ms: sets Cache-Control max-age (1–300 s)", { default: 15000 }),
          refresh: oa.enumOf(['1'], 'Bypass the cache'),
          nocache: oa.enumOf(['1'], 'Bypass the cache'),
        },
        ok: oa.object(
          {
            streams: oa.array(oa.object({}, [], { description: 'JobFeedEntry' })),
            clickhouseConfigured: oa.bool(),
            queryFailed: oa.bool(),
          },
          ['streams', 'clickhouseConfigured', 'queryFailed'],
        ),
      }),
    },
    async (request, reply) => {
      const q = query(request);
      const pollMs = intOrNull(q.pollMs);
      const maxAge = Math.min(
        MAX_JOB_FEED_AGE_SECONDS,
        Math.max(1, Math.round((pollMs !== null && pollMs > 0 ? pollMs : DEFAULT_POLL_MS) / 1000)),
      );
      const bypass = q.refresh === '1' || q.nocache === '1';
      reply.header('Cache-Control', `public, max-age=${maxAge}`);
      try {
        const streams = await cache.get(
          `job-feed?maxAge=${maxAge}`,
          maxAge * 1000,
          async () => {
            const result = await gateway.run(DashboardJobFeedDocument, { limit: JOB_FEED_LIMIT }, ANONYMOUS, String(request.id));
            if (result.errors?.length || !result.data) throw fromGraphQL(result);
            return result.data.jobFeed;
          },
          bypass,
        );
        return reply.send({ streams, clickhouseConfigured: false, queryFailed: false });
      } catch {
        return reply.send({ streams: [], clickhouseConfigured: false, queryFailed: true });
      }
    },
  );
}
