// NaaP network overview: /api/v1/dashboard/* — public (no auth), bare JSON (no envelope). A thin
// adapter: each route runs one typed operation through the gateway (the rules, clamps and defaults
// live in subgraphs/network/services/dashboard.ts; GPU figures and gpuCount come from market's
// declared hardware, totalStakedLPT from billing's reserve, joined by federation) through a small
// in-process cache.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
import type { GatewayApi } from '../app';
import { restErrorFrom, restErrorFromFastify } from './graphql-errors';

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
  constructor(private readonly maxEntries = 500, private readonly now: () => number = Date.now) {}

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
  constructor(readonly status: number, readonly code: string, message: string) {
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
  for (const [name, value] of Object.entries(raw ?? {})) out[name] = Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
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
  return reply.code(error.status).header('Cache-Control', 'no-store').send({ error: { code: error.code, message: error.message } });
}

// ---- routes -----------------------------------------------------------------------------------

export async function naapDashboardRoutes(app: FastifyInstance, gateway: GatewayApi, cache = new ResponseCache()): Promise<void> {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const rest = restErrorFromFastify(error);
    return sendError(reply, rest.status === 500 ? new RouteError(503, 'SERVICE_UNAVAILABLE', 'Network metrics are unavailable right now') : new RouteError(rest.status, 'BAD_REQUEST', rest.message));
  });

  /** One dashboard route: variables from the query string, one operation, a shape, the cache. */
  function route<V extends Record<string, unknown>, D, Out>(
    path: string,
    variables: (q: Record<string, string | undefined>) => V | RouteError,
    run: (variables: V, requestId: string) => Promise<FormattedExecutionResult<D>>,
    shape: (data: D) => Out,
  ) {
    app.get(`/api/v1/dashboard/${path}`, async (request, reply) => {
      const q = query(request);
      const vars = variables(q);
      if (vars instanceof RouteError) return sendError(reply, vars);
      const bypass = q.refresh === '1' || q.nocache === '1';
      try {
        const body = await cache.get(cacheKey(path, vars), DASHBOARD_TTL_SECONDS * 1000, async () => {
          const result = await run(vars, String(request.id));
          if (result.errors?.length || !result.data) throw fromGraphQL(result);
          return shape(result.data);
        }, bypass);
        return reply.header('Cache-Control', `public, max-age=${DASHBOARD_TTL_SECONDS}, stale-while-revalidate=${DASHBOARD_TTL_SECONDS * 2}`).send(body);
      } catch (error) {
        return sendError(reply, error instanceof RouteError ? error : new RouteError(503, 'SERVICE_UNAVAILABLE', 'Network metrics are unavailable right now'));
      }
    });
  }

  route(
    'kpi',
    (q) => ({ timeframe: present(q.timeframe), pipeline: present(q.pipeline), modelId: present(q.model_id) }),
    (v, id) => gateway.run(DashboardKpiDocument, v, ANONYMOUS, id),
    (data) => data.kpi,
  );
  route(
    'pipelines',
    (q) => ({ timeframe: present(q.timeframe), limit: intOrNull(q.limit) }),
    (v, id) => gateway.run(DashboardPipelinesDocument, v, ANONYMOUS, id),
    (data) => data.pipelines,
  );
  route('pipeline-catalog', () => ({}), (_v, id) => gateway.run(DashboardPipelineCatalogDocument, {}, ANONYMOUS, id), (data) => data.pipelineCatalog);
  route(
    'orchestrators',
    (q) => ({ period: present(q.period) }),
    (v, id) => gateway.run(DashboardOrchestratorsDocument, v, ANONYMOUS, id),
    (data) => data.orchestrators,
  );
  route('protocol', () => ({}), (_v, id) => gateway.run(DashboardProtocolDocument, {}, ANONYMOUS, id), (data) => data.protocol);
  route(
    'gpu-capacity',
    (q) => ({ timeframe: present(q.timeframe) }),
    (v, id) => gateway.run(DashboardGpuCapacityDocument, v, ANONYMOUS, id),
    (data) => data.gpuCapacity,
  );
  route('pricing', () => ({}), (_v, id) => gateway.run(DashboardPricingDocument, {}, ANONYMOUS, id), (data) => data.pricing);
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
  );

  // The live job list: never an error status; a failing store is `streams: [], queryFailed: true`.
  app.get('/api/v1/dashboard/job-feed', async (request, reply) => {
    const q = query(request);
    const pollMs = intOrNull(q.pollMs);
    const maxAge = Math.min(MAX_JOB_FEED_AGE_SECONDS, Math.max(1, Math.round((pollMs !== null && pollMs > 0 ? pollMs : DEFAULT_POLL_MS) / 1000)));
    const bypass = q.refresh === '1' || q.nocache === '1';
    reply.header('Cache-Control', `public, max-age=${maxAge}`);
    try {
      const streams = await cache.get(`job-feed?maxAge=${maxAge}`, maxAge * 1000, async () => {
        const result = await gateway.run(DashboardJobFeedDocument, { limit: JOB_FEED_LIMIT }, ANONYMOUS, String(request.id));
        if (result.errors?.length || !result.data) throw fromGraphQL(result);
        return result.data.jobFeed;
      }, bypass);
      return reply.send({ streams, clickhouseConfigured: false, queryFailed: false });
    } catch {
      return reply.send({ streams: [], clickhouseConfigured: false, queryFailed: true });
    }
  });
}
