// NaaP developer API, models: /api/v1/developer/models (the catalog), /models/{id} and
// /network-models (supply per model), dashboard session only. A thin adapter over market's public
// `models` / `model(id)`: which models are listed (those with ACTIVE supply), their figures and
// catalog text are all the market's; this file picks the fields NaaP names and writes its shapes.
//
// Shapes (where NaaP's contract leaves the meaning open):
// - models: `type` is the model's pipeline as NaaP names it (`llm`, `embeddings`,
//   `text-to-speech`). `?type=` takes a pipeline or a capability (`chat`, `embeddings`, `speech`);
//   `?featured=true` / `?realtime=true` keep only featured / realtime models, `false` (or absent)
//   keeps all; any other value is a 400. `costPerMin {min, max}` is USD a minute of continuous
//   generation over the model's supply (chat only: null for models without a measured rate);
//   `latencyP50` the median probe latency (ms), `coldStart` the median time to first token or
//   audio byte (ms), `fps` the median output tokens a second; each null until measured.
//   Added to NaaP's fields: `contextLength` (the largest of the model's ACTIVE listings, null when
//   unknown), `supportedParameters` (chat: what any of them honours) and `quantizations` (declared).
// - models/{id}: ids contain a slash; send it URL-encoded (`acme%2Fsim-chat`) or as two path
//   segments (`acme/sim-chat`). A model without ACTIVE supply (or an id that is none) is a 404.
// - network-models (no envelope on success): one row per model, `WarmOrchCount` the distinct
//   sellers with ACTIVE supply, `TotalCapacity` the concurrent requests that supply takes (a
//   listing without a concurrency cap counts 1), `PriceMin/PriceMax/PriceAvg` USD over the
//   ACTIVE listings per million of the unit the pipeline is sold by, named in `PriceUnit`:
//   output tokens (llm), input tokens (embeddings), characters (text-to-speech). `limit`: default
//   50; above 200 it is clamped to 200; not a positive integer → 400. `count` is the rows
//   answered, `total` the models there are.
// Errors on every route use NaaP's envelope {success: false, error: {code, message}}.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import {
  SupplyModelDocument,
  SupplyModelsDocument,
  type SupplyModelFragment,
  type SupplyModelsQueryVariables,
} from '../../schema/generated/graphql';
import { isDomainError } from '../../subgraphs/common/errors';
import { microsToUsdNumber } from '../../subgraphs/common/money';
import type { Principal } from '../../subgraphs/common/principal';
import type { GatewayApi } from '../gateway-api';
import { managementRateLimit } from './common';
import { restErrorFrom, restErrorFromFastify } from './graphql-errors';
import * as oa from './openapi-schemas';
import { errorBody } from './envelopes';

const SURFACE = 'naap';
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

// ---- envelope (NaaP's, as naap.ts writes it) --------------------------------------------------

interface NaapError {
  status: number;
  code: string;
  message: string;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/** Thrown inside a route to answer with a NaaP error envelope. */
class NaapFailure extends Error {
  readonly error: NaapError;
  constructor(status: number, message: string) {
    super(message);
    this.error = { status, code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'), message };
  }
}

const fromGraphQL = (errors: readonly GraphQLFormattedError[]) => {
  const error = restErrorFrom(errors);
  return new NaapFailure(error.status, error.message);
};

function sendError(reply: FastifyReply, error: NaapError) {
  return reply.code(error.status).send(errorBody.naap(error.code, error.message));
}

// ---- shapes ---------------------------------------------------------------------------------

const usd = (amount: { micros: number }) => microsToUsdNumber(amount.micros);

function toNaapModel(model: SupplyModelFragment) {
  return {
    id: model.id,
    name: model.name,
    tagline: model.tagline,
    type: model.pipeline,
    featured: model.featured,
    realtime: model.realtime,
    costPerMin: model.costPerMinute ? { min: usd(model.costPerMinute.min), max: usd(model.costPerMinute.max) } : null,
    latencyP50: model.latencyP50Ms,
    coldStart: model.ttftP50Ms,
    fps: model.tokensPerSecond,
    useCases: model.useCases,
    badges: model.badges,
    // Beyond NaaP's documented fields (clients ignore what they do not know): the supply's metadata.
    contextLength: model.contextLength,
    supportedParameters: model.supportedParameters,
    quantizations: model.quantizations,
  };
}

/** The price each pipeline is sold by, and what its unit is called. */
function unitPrice(model: SupplyModelFragment): { range: SupplyModelFragment['inputPrice'] | null; unit: string } {
  switch (model.capability) {
    case 'CHAT':
      return { range: model.outputPrice, unit: 'USD per 1M output tokens' };
    case 'EMBEDDINGS':
      return { range: model.inputPrice, unit: 'USD per 1M input tokens' };
    case 'SPEECH':
      return { range: model.pricePerMChars, unit: 'USD per 1M characters' };
  }
}

function toNetworkModel(model: SupplyModelFragment) {
  const { range, unit } = unitPrice(model);
  return {
    Pipeline: model.pipeline,
    Model: model.id,
    WarmOrchCount: model.warmSupply,
    TotalCapacity: model.totalCapacity,
    PriceMin: range ? usd(range.min) : null,
    PriceMax: range ? usd(range.max) : null,
    PriceAvg: range ? usd(range.avg) : null,
    PriceUnit: unit,
  };
}

// ---- query strings --------------------------------------------------------------------------

function queryText(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new NaapFailure(400, `${name} must be given once`);
  return value;
}

/** `true` keeps only matching models; `false` or absent keeps all. */
function queryFlag(request: FastifyRequest, name: string): boolean {
  const value = queryText(request, name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new NaapFailure(400, `${name} must be true or false`);
}

/** `?limit`: absent → 50; a positive integer, clamped to 200; anything else a 400. */
function limitQuery(request: FastifyRequest): number {
  const value = queryText(request, 'limit');
  if (value === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new NaapFailure(400, 'limit must be a positive integer (at most 200 rows are answered)');
  return Math.min(Number(value), MAX_LIMIT);
}

// ---- documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('NaaP', 'NaapError', ['dashboardSession']);
const usdRange = (description: string) =>
  oa.nullable(oa.object({ min: oa.nullable(oa.num()), max: oa.nullable(oa.num()) }, [], { description }));
const naapModelShape = oa.object({
  id: oa.str('vendor/model'),
  name: oa.str(),
  tagline: oa.nullable(oa.str()),
  type: oa.str('Pipeline: llm, embeddings, text-to-speech'),
  featured: oa.bool(),
  realtime: oa.bool(),
  costPerMin: usdRange('USD a minute of continuous generation'),
  latencyP50: oa.nullable(oa.num('ms')),
  coldStart: oa.nullable(oa.num('ms to first token')),
  fps: oa.nullable(oa.num('Output tokens a second')),
  useCases: oa.array(oa.str()),
  badges: oa.array(oa.str()),
  contextLength: oa.nullable(oa.int()),
  supportedParameters: oa.array(oa.str()),
  quantizations: oa.array(oa.str()),
});

// ---- routes ---------------------------------------------------------------------------------

export async function naapModelRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const rest = restErrorFromFastify(error);
    return sendError(reply, new NaapFailure(rest.status, rest.message).error);
  });

  /**
   * The developer routes take a dashboard session only: an invalid credential is a 401, a valid
   * one of another kind (management key, buyer key) a 403. Then the per-credential rate limit.
   */
  async function sessionPrincipal(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    let principal: Principal;
    try {
      principal = await gateway.authenticator.fromAuthorization(request.headers.authorization);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      throw error.code === 'FORBIDDEN'
        ? new NaapFailure(403, 'The developer API takes a dashboard session, not a buyer key')
        : new NaapFailure(401, error.message);
    }
    if (principal.kind === 'anonymous') throw new NaapFailure(401, 'Authentication required');
    if (principal.kind !== 'user') throw new NaapFailure(403, 'The developer API takes a dashboard session, not a management key');
    const rate = await managementRateLimit(gateway, principal, SURFACE);
    if (!rate.allowed) {
      reply.header('Retry-After', String(rate.retryAfterSeconds));
      throw new NaapFailure(429, 'Too many requests; retry later');
    }
    return principal;
  }

  /** Every route: the session, then the handler; failures become NaaP's envelope. */
  function route(handler: (request: FastifyRequest, principal: Principal) => Promise<unknown>) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return reply.send(await handler(request, await sessionPrincipal(request, reply)));
      } catch (error) {
        if (error instanceof NaapFailure) return sendError(reply, error.error);
        throw error;
      }
    };
  }

  async function allModels(
    request: FastifyRequest,
    principal: Principal,
    filter: SupplyModelsQueryVariables = {},
  ): Promise<SupplyModelFragment[]> {
    const result = await gateway.run(SupplyModelsDocument, filter, principal, String(request.id));
    if (result.errors?.length || !result.data) throw fromGraphQL(result.errors ?? []);
    return result.data.models;
  }

  async function oneModel(request: FastifyRequest, principal: Principal, id: string) {
    const result = await gateway.run(SupplyModelDocument, { id }, principal, String(request.id));
    if (result.errors?.length || !result.data) throw fromGraphQL(result.errors ?? []);
    if (!result.data.model) throw new NaapFailure(404, `Model ${id.slice(0, 200)} not found`);
    return { success: true, data: { model: toNaapModel(result.data.model) } };
  }

  app.get(
    '/api/v1/developer/models',
    {
      schema: documented({
        operationId: 'naapListModels',
        summary: 'List AI models',
        query: {
          type: oa.str('Model type: a pipeline (llm, embeddings, text-to-speech) or capability (chat, embeddings, speech)'),
          featured: oa.bool('Only featured models (true)'),
          realtime: oa.bool('Only realtime-capable models (true)'),
        },
        ok: oa.object({ success: { const: true }, data: oa.object({ models: oa.array(naapModelShape), total: oa.int() }) }),
      }),
    },
    route(async (request, principal) => {
      const type = queryText(request, 'type');
      const featured = queryFlag(request, 'featured');
      const realtime = queryFlag(request, 'realtime');
      // NaaP: `true` keeps only featured / realtime models; `false` or absent filters nothing.
      const models = await allModels(request, principal, { type, featured: featured || null, realtime: realtime || null });
      return { success: true, data: { models: models.map(toNaapModel), total: models.length } };
    }),
  );

  // Model ids contain a slash: a wildcard takes `acme%2Fsim-chat` (decoded) and `acme/sim-chat`
  // alike, at any length (a `:id` parameter would also cap the id at the router's 100 characters).
  app.get(
    '/api/v1/developer/models/*',
    {
      schema: documented({
        operationId: 'naapGetModel',
        summary: 'Get an AI model',
        description: 'Model ids contain a slash: send it URL-encoded (acme%2Fsim-chat) or as two segments (acme/sim-chat).',
        params: { id: oa.str('The model id') },
        ok: oa.object({ success: { const: true }, data: oa.object({ model: naapModelShape }) }),
      }),
    },
    route((request, principal) => oneModel(request, principal, (request.params as { '*': string })['*'])),
  );

  app.get(
    '/api/v1/developer/network-models',
    {
      schema: documented({
        operationId: 'naapNetworkModels',
        summary: 'Models on the network, with pricing and availability',
        description: 'No envelope on success.',
        query: { limit: oa.int('Rows at most', { default: 50, minimum: 1, maximum: 200 }) },
        ok: oa.object({
          models: oa.array(
            oa.object({
              Pipeline: oa.str(),
              Model: oa.str(),
              WarmOrchCount: oa.int(),
              TotalCapacity: oa.int(),
              PriceMin: oa.nullable(oa.num()),
              PriceMax: oa.nullable(oa.num()),
              PriceAvg: oa.nullable(oa.num()),
              PriceUnit: oa.str(),
            }),
          ),
          count: oa.int(),
          total: oa.int(),
        }),
      }),
    },
    route(async (request, principal) => {
      const limit = limitQuery(request);
      const models = await allModels(request, principal);
      const rows = models.slice(0, limit).map(toNetworkModel);
      return { models: rows, count: rows.length, total: models.length };
    }),
  );
}
