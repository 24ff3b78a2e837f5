// The OpenAI-compatible routes: /v1/chat/completions (plain and streaming), /v1/embeddings,
// /v1/audio/speech run the inference pipeline; /v1/models and /v1/generation are reads. No
// GraphQL per request: keys come from cached snapshots, supply from cached routing tables.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecretSealer } from '../../subgraphs/common/sealing';
import { authorize, bearerToken } from './authorize';
import { chatDialect, type Dialect } from './dialects/dialect';
import { DIALECT_ROUTES } from './dialects';
import { keyView } from './key-view';
import type { KeySnapshot } from './key-snapshots';
import { ListingHealthReporter } from './meter';
import { badRequest, InferenceError } from './openai-errors';
import { countPrompt, runInference, type PipelineDeps } from './pipeline';
import { StickyRoutes } from './provider-routing';
import { LoadShedder } from './load-shedding';
import underPressure from '@fastify/under-pressure';
import { documentationOnly } from '../rest/openapi-schemas';
import { CHAT_COMPLETIONS, DIALECT_SCHEMAS, EMBEDDINGS, GENERATION, GET_MODEL, KEY, LIST_MODELS, SPEECH } from './openapi';
import { ListingLoad, type Candidate } from './routing';
import { openRouterEndpoints, openRouterModel, type SupplyPages } from './supply-pages';

export interface DataPlaneDeps extends Omit<PipelineDeps, 'load' | 'openKey' | 'health' | 'reportOutcome'> {
  sealer: SecretSealer;
  /** The public supply pages (/v1/models and /v1/models/{id}/endpoints). */
  supply: SupplyPages;
  /** One request's record, as its buyer key sees it (for /v1/generation). */
  generation(snapshot: KeySnapshot, id: string): Promise<Record<string, unknown> | null>;
  /** Tells the market how a listing did (contract health); fire-and-forget. */
  reportOutcome(listingId: string, ok: boolean, reason: string | null, contradictsClaims?: boolean): void;
  listingCooldownMs: number;
  /** Inference requests in flight at once; past it, 503 at once. */
  maxInFlight: number;
  /** The most one account may have in flight on this process; past it, 429. */
  maxInFlightPerAccount: number;
  /** Mean event-loop delay (ms) past which inference requests get a 503 (0: off). */
  shedEventLoopDelayMs: number;
}

/** Fastify's own errors (body too large, bad JSON, wrong content type) and ours, in a dialect's envelope. */
function errorHandler(dialect: Dialect) {
  const sendError = (reply: FastifyReply, error: InferenceError, requestId: string) => {
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    const answer = dialect.error(error, requestId);
    return reply.code(answer.status).type('application/json').send(answer.body);
  };
  return (error: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply) => {
    const send = (reply: FastifyReply, error: InferenceError) => sendError(reply, error, String(request.id));
    if (error instanceof InferenceError) return send(reply, error);
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 413)
      return send(reply, new InferenceError(413, 'Request body is too large', 'invalid_request_error', 'request_too_large'));
    if (status === 415)
      return send(
        reply,
        new InferenceError(415, 'Content-Type must be application/json', 'invalid_request_error', 'unsupported_media_type'),
      );
    if (status < 500)
      return send(reply, badRequest(/JSON/i.test(error.message) ? 'We could not parse the JSON body of your request' : error.message));
    process.stderr.write(`data plane error: ${error.name}: ${error.message.split('\n')[0].slice(0, 200)}\n`);
    return send(reply, new InferenceError(500, 'The gateway failed to handle the request', 'api_error', 'internal_error'));
  };
}

export function registerDataPlane(app: FastifyInstance, deps: DataPlaneDeps): { load: ListingLoad; shedder: LoadShedder } {
  const shedder = new LoadShedder(deps.maxInFlight, undefined, deps.maxInFlightPerAccount);
  const load = new ListingLoad(deps.listingCooldownMs);
  const health = new ListingHealthReporter(deps.reportOutcome);
  /** Pool keys are opened once per cached routing table entry, not per request. */
  const opened = new WeakMap<Candidate, string>();
  const openKey = (candidate: Candidate): string => {
    let key = opened.get(candidate);
    if (!key) opened.set(candidate, (key = deps.sealer.open(candidate.sealedApiKey, candidate.sealContext)));
    return key;
  };
  const pipeline: PipelineDeps = {
    ...deps,
    sticky: deps.sticky ?? new StickyRoutes(),
    shedder,
    load,
    openKey,
    health,
    reportOutcome: (listingId, _ok, reason) => health.failure(listingId, reason ?? 'a live request failed'),
  };
  const authenticate = (request: FastifyRequest) => authorize(request.headers.authorization, request.ip, deps);

  app.register(async (scope) => {
    // The routes' schemas document them (GET /openapi.json); the pipeline does its own checking.
    documentationOnly(scope);
    // Bodies of the OpenAI routes may be large (long prompts); errors keep OpenAI's shape.
    scope.setErrorHandler(errorHandler(chatDialect));

    // The event loop's mean delay, sampled each second; it never answers by itself (the handler
    // lets every request on): inference routes shed through `shedder`, the rest are light.
    if (deps.shedEventLoopDelayMs > 0) {
      await scope.register(underPressure, { maxEventLoopDelay: deps.shedEventLoopDelayMs, pressureHandler: () => undefined });
      shedder.watch(() => scope.isUnderPressure());
    }
    scope.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'POST') return;
      const refused = shedder.enter();
      if (refused) throw refused;
      reply.raw.once('close', () => shedder.leave());
    });

    // Every answer names its request, errors included (the id of /v1/generation).
    scope.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', String(request.id));
    });

    scope.post('/v1/chat/completions', { bodyLimit: 16 * 1024 * 1024, schema: CHAT_COMPLETIONS }, (request, reply) =>
      runInference(request, reply, 'chat', pipeline),
    );
    scope.post('/v1/embeddings', { bodyLimit: 16 * 1024 * 1024, schema: EMBEDDINGS }, (request, reply) =>
      runInference(request, reply, 'embeddings', pipeline),
    );
    scope.post('/v1/audio/speech', { bodyLimit: 1024 * 1024, schema: SPEECH }, (request, reply) =>
      runInference(request, reply, 'speech', pipeline),
    );

    // The other dialects, each in a scope of its own so that every error takes its envelope.
    for (const { path, dialect, count } of DIALECT_ROUTES) {
      scope.register(async (inner) => {
        inner.setErrorHandler(errorHandler(dialect));
        // On the raw response, so that the hijacked answers (JSON and streams) carry them too.
        if (dialect.responseHeaders) {
          const headersOf = dialect.responseHeaders.bind(dialect);
          inner.addHook('onRequest', async (request, reply) => {
            for (const [name, value] of Object.entries(headersOf(String(request.id)))) reply.raw.setHeader(name, value);
          });
        }
        inner.post(path, { bodyLimit: 16 * 1024 * 1024, schema: DIALECT_SCHEMAS[path] }, (request, reply) =>
          count ? countPrompt(request, reply, pipeline, dialect, count) : runInference(request, reply, 'chat', pipeline, dialect),
        );
      });
    }

    // OpenRouter's model list, each entry still an OpenAI Model (id, object, created, owned_by).
    scope.get('/v1/models', { schema: LIST_MODELS }, async (request, reply) => {
      await authenticate(request);
      const models = await deps.supply.models();
      return reply.send({ object: 'list', data: models.map(openRouterModel) });
    });

    // Model ids hold a slash (`vendor/model`): /v1/models/{id} (OpenAI's retrieve) and
    // /v1/models/{id}/endpoints (OpenRouter's listing of every endpoint of the model).
    scope.get('/v1/models/*', { schema: GET_MODEL }, async (request, reply) => {
      await authenticate(request);
      const path = String((request.params as Record<string, unknown>)['*'] ?? '');
      const endpoints = path.endsWith('/endpoints');
      const id = endpoints ? path.slice(0, -'/endpoints'.length) : path;
      if (id.length === 0 || id.length > 200 || /[\u0000-\u001f]/.test(id))
        throw badRequest('The model id must be 1 to 200 characters, e.g. acme/sim-chat', 'model');
      const model = await deps.supply.model(id);
      if (!model || model.endpoints.length === 0)
        throw new InferenceError(
          404,
          `The model ${JSON.stringify(id.slice(0, 200))} does not exist or has no supply`,
          'invalid_request_error',
          'model_not_found',
          'model',
        );
      return reply.send(endpoints ? openRouterEndpoints(model) : openRouterModel(model));
    });

    // The key's own figures, loaded fresh (the cached snapshot may be a minute old).
    scope.get('/v1/key', { schema: KEY }, async (request, reply) => {
      const cached = await authenticate(request);
      const fresh = await deps.snapshots.refresh(deps.keyHasher.hash(bearerToken(request.headers.authorization)!)).catch(() => null);
      return reply.send({ data: keyView(fresh ?? cached, deps.clock.now()) });
    });

    scope.get('/v1/generation', { schema: GENERATION }, async (request, reply) => {
      const snapshot = await authenticate(request);
      const id = (request.query as Record<string, unknown>).id;
      if (typeof id !== 'string' || id.length === 0 || id.length > 64)
        throw badRequest('id is required: the x-request-id of a request', 'id');
      const record = await deps.generation(snapshot, id);
      if (!record) throw new InferenceError(404, `No request ${id} for this key`, 'invalid_request_error', 'not_found', 'id');
      return reply.send({ data: record });
    });
  });

  return { load, shedder };
}
