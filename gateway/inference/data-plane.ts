// The OpenAI-compatible data plane: /v1/chat/completions (plain and streaming), /v1/embeddings,
// /v1/audio/speech, /v1/models, /v1/generation. No GraphQL per request: keys come from cached
// snapshots, supply from cached routing tables; usage goes to billing in batches afterwards.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { EventBus } from '../../subgraphs/common/bus';
import type { JobFinishedEvent, UsageEvent } from '../../subgraphs/common/events';
import type { KeyHasher } from '../../subgraphs/common/secrets';
import type { SecretSealer } from '../../subgraphs/common/sealing';
import type { Clock } from '../../subgraphs/common/runtime';
import type { BudgetGuard, Reservation } from './budget';
import type { KeySnapshot, KeySnapshotCache } from './key-snapshots';
import { ListingLoad, type Candidate, type RoutingCache, type RoutingTable } from './routing';
import { callUpstream, readRest, UpstreamError, type UpstreamResponse } from './upstream';
import { DEFAULT_MAX_OUTPUT_TOKENS, characterCost, estimatePromptTokens, tokenCost } from './pricing';
import { SseSplitter, isUsageOnly, usageOf } from './sse';
import type { UsageEmitter } from './usage-emitter';
import {
  InferenceError,
  badRequest,
  budgetExceeded,
  forbidden,
  modelNotFound,
  quotaExceeded,
  sendInferenceError,
  unauthorized,
  unavailable,
  upstreamFailed,
} from './openai-errors';

type Capability = 'chat' | 'embeddings' | 'speech';
const PIPELINE: Record<Capability, string> = { chat: 'llm', embeddings: 'embeddings', speech: 'text-to-speech' };
const PATHS: Record<Capability, string> = { chat: '/chat/completions', embeddings: '/embeddings', speech: '/audio/speech' };
const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_ATTEMPTS = 4;

export interface DataPlaneDeps {
  snapshots: KeySnapshotCache;
  routing: RoutingCache;
  budget: BudgetGuard;
  usage: UsageEmitter;
  bus: EventBus;
  keyHasher: KeyHasher;
  sealer: SecretSealer;
  clock: Clock;
  /** The public models with active supply (for /v1/models). */
  listModels(): Promise<{ id: string; created: number; ownedBy: string }[]>;
  /** One request's record, as its buyer key sees it (for /v1/generation). */
  generation(snapshot: KeySnapshot, id: string): Promise<Record<string, unknown> | null>;
  /** Tells the market how a listing did (contract health); fire-and-forget. */
  reportOutcome(listingId: string, ok: boolean, reason: string | null): void;
  replica: string;
  listingCooldownMs: number;
}

interface Attempt {
  candidate: Candidate;
  response: UpstreamResponse;
  upstreamStartedAt: number;
}

export function registerDataPlane(app: FastifyInstance, deps: DataPlaneDeps): { load: ListingLoad } {
  const load = new ListingLoad(deps.listingCooldownMs);

  app.register(async (scope) => {
    // Bodies of the OpenAI routes may be large (long prompts); errors keep OpenAI's shape.
    scope.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
      if (error instanceof InferenceError) return sendInferenceError(reply, error);
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 413) return sendInferenceError(reply, new InferenceError(413, 'Request body is too large', 'invalid_request_error', 'request_too_large'));
      if (status === 415) return sendInferenceError(reply, new InferenceError(415, 'Content-Type must be application/json', 'invalid_request_error', 'unsupported_media_type'));
      if (status < 500) return sendInferenceError(reply, badRequest(/JSON/i.test(error.message) ? 'We could not parse the JSON body of your request' : error.message));
      process.stderr.write(`data plane error: ${error.name}: ${error.message.split('\n')[0].slice(0, 200)}\n`);
      return sendInferenceError(reply, new InferenceError(500, 'The gateway failed to handle the request', 'api_error', 'internal_error'));
    });

    // Every answer names its request, errors included (the id of /v1/generation).
    scope.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', String(request.id));
    });

    scope.post('/v1/chat/completions', { bodyLimit: 16 * 1024 * 1024 }, (request, reply) => handle(request, reply, 'chat'));
    scope.post('/v1/embeddings', { bodyLimit: 16 * 1024 * 1024 }, (request, reply) => handle(request, reply, 'embeddings'));
    scope.post('/v1/audio/speech', { bodyLimit: 1024 * 1024 }, (request, reply) => handle(request, reply, 'speech'));

    scope.get('/v1/models', async (request, reply) => {
      await authenticate(request);
      const models = await deps.listModels();
      return reply.send({ object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: m.ownedBy })) });
    });

    scope.get('/v1/generation', async (request, reply) => {
      const snapshot = await authenticate(request);
      const id = (request.query as Record<string, unknown>).id;
      if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw badRequest('id is required: the x-request-id of a request', 'id');
      const record = await deps.generation(snapshot, id);
      if (!record) throw new InferenceError(404, `No request ${id} for this key`, 'invalid_request_error', 'not_found', 'id');
      return reply.send({ data: record });
    });
  });

  /** Pool keys are opened once per cached routing table entry, not per request. */
  const opened = new WeakMap<Candidate, string>();
  function openKey(candidate: Candidate): string {
    let key = opened.get(candidate);
    if (!key) opened.set(candidate, (key = deps.sealer.open(candidate.sealedApiKey, candidate.sealContext)));
    return key;
  }

  async function authenticate(request: FastifyRequest): Promise<KeySnapshot> {
    const header = request.headers.authorization;
    // The scheme is case-insensitive (RFC 9110), as on every other route.
    const token = header ? (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null) : null;
    if (!token) throw unauthorized('You did not provide an API key. Use "Authorization: Bearer sk-df-…"');
    if (token.startsWith('mk-')) throw forbidden('A management key cannot call models; use a buyer key (sk-df-…)', 'management_key_not_allowed');
    if (!token.startsWith('sk-df-') || token.length > 100) throw unauthorized('Incorrect API key provided');
    let snapshot: KeySnapshot | null;
    try {
      snapshot = await deps.snapshots.get(deps.keyHasher.hash(token));
    } catch {
      throw unavailable('Key verification is unavailable; try again shortly');
    }
    if (!snapshot || snapshot.status === 'revoked') throw unauthorized('Incorrect API key provided');
    if (snapshot.status === 'disabled') throw unauthorized('This API key is disabled');
    if (snapshot.expiredAt !== null && snapshot.expiredAt <= deps.clock.now().getTime()) throw unauthorized('This API key has expired');
    const ip = request.ip;
    if (snapshot.denyIp?.(ip)) throw forbidden(`Requests from ${ip} are not allowed for this key`, 'ip_not_allowed');
    if (snapshot.allowIp && !snapshot.allowIp(ip)) throw forbidden(`Requests from ${ip} are not allowed for this key`, 'ip_not_allowed');
    return snapshot;
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, capability: Capability): Promise<void> {
    const receivedAt = performance.now();
    const startedAt = deps.clock.now();
    const requestId = String(request.id);
    const body = request.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object');
    const snapshot = await authenticate(request);
    const model = validate(body, capability);
    if (snapshot.allowedModels && !snapshot.allowedModels.has(model)) throw forbidden(`This key may not call \`${model}\``, 'model_not_allowed');

    // The model's table, then its fallbacks (when the profile allows them).
    let table: RoutingTable | null;
    try {
      table = await deps.routing.get(model, snapshot.routingProfileId);
    } catch {
      throw unavailable('Routing is unavailable; try again shortly');
    }
    if (!table || !table.capability) throw modelNotFound(model);
    if (table.capability.toLowerCase() !== capability) throw badRequest(`\`${model}\` serves ${table.capability.toLowerCase()}, not ${capability}`, 'model', 'model_capability_mismatch');
    const tables = [table];
    if (table.allowFallbacks) {
      for (const fallback of table.fallbackModels) {
        const next = await deps.routing.get(fallback, snapshot.routingProfileId).catch(() => null);
        if (next && next.capability === table.capability) tables.push(next);
      }
    }
    const candidates = tables.flatMap((t) => t.candidates);
    if (candidates.length === 0) throw unavailable(`\`${model}\` has no available supply right now`);

    // Reserve the worst case at the dearest candidate that may serve it.
    const worstCase = Math.max(...candidates.map((c) => worstCaseCost(capability, body, c)));
    const reservation = await reserve(snapshot, worstCase);

    const stream = capability === 'chat' && body.stream === true;
    const clientWantsUsage = stream && (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });

    let attempt: Attempt | null = null;
    let lastError: UpstreamError | null = null;
    const maxAttempts = Math.min(MAX_ATTEMPTS, candidates.length, 1 + (table.maxRetries ?? MAX_ATTEMPTS));
    let tried = 0;
    const swappedFrom: string[] = [];
    for (const candidate of candidates) {
      if (tried >= maxAttempts || abort.signal.aborted) break;
      const slot = load.acquire(candidate);
      if (slot !== 'ok') continue;
      tried++;
      const upstreamStartedAt = performance.now();
      try {
        const response = await callUpstream({
          baseUrl: candidate.baseUrl,
          path: PATHS[capability],
          apiKey: openKey(candidate),
          body: JSON.stringify(upstreamBody(body, candidate, stream)),
          timeoutMs: table.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          signal: abort.signal,
        });
        attempt = { candidate, response, upstreamStartedAt };
        break;
      } catch (error) {
        load.release(candidate.listingId);
        lastError = error instanceof UpstreamError ? error : new UpstreamError('provider call failed', 'reset');
        if (lastError.kind === 'aborted') break;
        // A 4xx other than 429 is the request's fault, not the listing's: no cooldown, no fallback.
        if (lastError.kind === 'status' && lastError.status !== 429 && lastError.status! < 500) break;
        load.coolDown(candidate.listingId);
        deps.reportOutcome(candidate.listingId, false, lastError.message);
        swappedFrom.push(candidate.listingId);
      }
    }

    if (!attempt) {
      const failed = failure(lastError, tried);
      meter({ snapshot, capability, model, requestId, startedAt, candidate: null, status: 'failed', usage: null, characters: 0, latencyMs: performance.now() - receivedAt, ttftMs: null, swappedFrom });
      await deps.budget.settle(reservation, 0);
      throw failed;
    }

    const overheadMs = attempt.upstreamStartedAt - receivedAt;
    const raw = reply.raw;
    reply.hijack();
    const { candidate, response } = attempt;
    let outcome: { usage: Usage | null; ok: boolean };
    try {
      if (stream) outcome = await pipeStream(raw, response, requestId, overheadMs, clientWantsUsage, candidate, model, abort.signal);
      else if (capability === 'speech') outcome = await pipeBinary(raw, response, requestId, overheadMs);
      else outcome = await sendJson(raw, response, requestId, receivedAt, attempt.upstreamStartedAt, candidate, model);
    } finally {
      load.release(candidate.listingId);
    }
    if (!outcome.ok) deps.reportOutcome(candidate.listingId, false, 'stream broke after the first byte');
    const characters = capability === 'speech' ? [...String(body.input)].length : 0;
    const cost = outcome.ok ? costOf(capability, candidate, outcome.usage, characters) : 0;
    // Usage first: the answer is already sent, so its usage event must be emitted whatever happens
    // to the budget store (Redis dying here used to lose the event of a request the client saw succeed).
    meter({
      snapshot,
      capability,
      model,
      requestId,
      startedAt,
      candidate,
      status: outcome.ok ? 'completed' : 'failed',
      usage: outcome.ok ? outcome.usage : null,
      characters: outcome.ok ? characters : 0,
      latencyMs: performance.now() - receivedAt,
      ttftMs: response.firstByteAt - receivedAt,
      cost,
      swappedFrom,
    });
    await deps.budget.settle(reservation, cost);
  }

  async function reserve(snapshot: KeySnapshot, amount: number): Promise<Reservation> {
    let result: Reservation | string;
    try {
      result = await deps.budget.reserve(snapshot, amount, deps.clock.now());
    } catch {
      throw unavailable('Budget checks are unavailable; try again shortly');
    }
    if (result === 'key_limit') throw budgetExceeded("This request could exceed the key's spend limit for its current cycle", 'key_limit_exceeded');
    if (result === 'group_budget') throw budgetExceeded("This request could exceed the key group's monthly budget", 'group_budget_exceeded');
    if (result === 'balance') throw quotaExceeded('Your balance is too low for this request; top up to continue', 'insufficient_balance');
    return result as Reservation;
  }

  function meter(m: {
    snapshot: KeySnapshot;
    capability: Capability;
    model: string;
    requestId: string;
    startedAt: Date;
    candidate: Candidate | null;
    status: 'completed' | 'failed';
    usage: Usage | null;
    characters: number;
    latencyMs: number;
    ttftMs: number | null;
    cost?: number;
    swappedFrom: string[];
  }): void {
    const finishedAt = deps.clock.now();
    const event: UsageEvent = {
      requestId: m.requestId,
      keyId: m.snapshot.keyId,
      buyerId: m.snapshot.accountId,
      groupId: m.snapshot.groupId,
      listingId: m.candidate?.listingId ?? null,
      sellerId: m.candidate?.sellerId ?? null,
      model: m.model,
      capability: m.capability,
      inputTokens: m.usage?.prompt_tokens ?? 0,
      outputTokens: m.usage?.completion_tokens ?? 0,
      characters: m.characters,
      costMicros: m.status === 'completed' ? (m.cost ?? 0) : 0,
      latencyMs: Math.round(m.latencyMs),
      ttftMs: m.ttftMs === null ? null : Math.round(m.ttftMs),
      status: m.status,
      occurredAt: m.startedAt.toISOString(),
    };
    deps.usage.emit(event);
    const job: JobFinishedEvent = {
      id: m.requestId,
      pipeline: PIPELINE[m.capability],
      model: m.model,
      status: m.status,
      startedAt: m.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      latencyMs: Math.round(m.latencyMs),
      timeToFirstTokenMs: event.ttftMs,
      outputUnits: m.capability === 'speech' ? m.characters : (m.usage?.completion_tokens ?? m.usage?.prompt_tokens ?? null),
      listingId: m.candidate?.listingId ?? null,
      sellerId: m.candidate?.sellerId ?? null,
      gateway: deps.replica,
      costMicros: event.costMicros,
      ...(m.swappedFrom.length > 0 ? { swappedFrom: [...m.swappedFrom] } : {}),
    };
    void deps.bus.publish('job.finished', job).catch(() => {});
  }

  return { load };
}

type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens?: number };

function validate(body: Record<string, unknown>, capability: Capability): string {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw badRequest('`model` is required (a model id such as acme/sim-chat)', 'model');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(model)) throw badRequest('`model` must not contain control characters', 'model');
  if (capability === 'chat') {
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw badRequest('`messages` must be a non-empty array', 'messages');
    if (body.stream !== undefined && typeof body.stream !== 'boolean') throw badRequest('`stream` must be a boolean', 'stream');
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (maxTokens !== undefined && maxTokens !== null && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > 1_000_000)) throw badRequest('`max_tokens` must be a positive integer', 'max_tokens');
  } else if (capability === 'embeddings') {
    const input = body.input;
    const ok = typeof input === 'string' ? input.length > 0 : Array.isArray(input) && input.length > 0 && input.length <= 2048;
    if (!ok) throw badRequest('`input` must be a non-empty string or array', 'input');
  } else {
    if (typeof body.input !== 'string' || body.input.length === 0) throw badRequest('`input` must be a non-empty string', 'input');
    if (body.input.length > 4096) throw badRequest('`input` is at most 4096 characters', 'input');
  }
  return model;
}

function upstreamBody(body: Record<string, unknown>, candidate: Candidate, stream: boolean): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...body, model: candidate.upstreamModel };
  // Usage must always be known to meter the request; the client sees it only if it asked.
  if (stream) copy.stream_options = { ...((body.stream_options as object) ?? {}), include_usage: true };
  return copy;
}

function worstCaseCost(capability: Capability, body: Record<string, unknown>, candidate: Candidate): number {
  if (capability === 'speech') return characterCost(candidate, [...String(body.input ?? '')].length);
  const prompt = estimatePromptTokens(body as { messages?: unknown; input?: unknown });
  if (capability === 'embeddings') return tokenCost(candidate, prompt, 0);
  const maxTokens = (body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS) as number;
  return tokenCost(candidate, prompt, maxTokens);
}

function costOf(capability: Capability, candidate: Candidate, usage: Usage | null, characters: number): number {
  if (capability === 'speech') return characterCost(candidate, characters);
  if (!usage) return 0;
  return tokenCost(candidate, usage.prompt_tokens ?? 0, capability === 'chat' ? (usage.completion_tokens ?? 0) : 0);
}

function failure(error: UpstreamError | null, tried: number): InferenceError {
  if (tried === 0) return unavailable('Every provider for this model is busy or cooling down; try again shortly');
  if (!error) return upstreamFailed('The provider failed');
  if (error.kind === 'status' && error.status === 429) {
    const retry = Number(error.retryAfter);
    return new InferenceError(429, 'The providers for this model are rate limited; try again shortly', 'rate_limit_error', 'upstream_rate_limited', null, { 'retry-after': String(Number.isFinite(retry) && retry > 0 ? Math.ceil(retry) : 1) });
  }
  if (error.kind === 'status' && error.status! < 500) return new InferenceError(400, `The provider refused the request (${error.status})`, 'invalid_request_error', 'upstream_rejected');
  if (error.kind === 'timeout') return new InferenceError(504, error.message, 'api_error', 'upstream_timeout');
  return upstreamFailed(`The provider failed: ${error.message}`);
}

function costUsd(micros: number): number {
  return micros / 1_000_000;
}

function writeHead(raw: ServerResponse, status: number, headers: Record<string, string | number>): void {
  raw.writeHead(status, headers);
  raw.socket?.setNoDelay(true);
}

async function pipeStream(
  raw: ServerResponse,
  response: UpstreamResponse,
  requestId: string,
  overheadMs: number,
  clientWantsUsage: boolean,
  candidate: Candidate,
  publicModel: string,
  signal: AbortSignal,
): Promise<{ usage: Usage | null; ok: boolean }> {
  // Buyers see the model they called, never the seller's upstream name: the one field is swapped
  // in each event's text, every other byte passes through as sent.
  const upstreamField = `"model":${JSON.stringify(candidate.upstreamModel)}`;
  const publicField = `"model":${JSON.stringify(publicModel)}`;
  writeHead(raw, 200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
    'server-timing': `gateway;dur=${overheadMs.toFixed(3)}`,
  });
  const splitter = new SseSplitter();
  let usage: Usage | null = null;
  let sawDone = false;
  const forward = (chunk: Buffer) => {
    for (const event of splitter.push(chunk.toString('utf8'))) {
      if (event.startsWith('data: [DONE]')) sawDone = true;
      const found = usageOf(event);
      if (found) {
        usage = found.usage as Usage;
        if (isUsageOnly(found.payload)) {
          if (!clientWantsUsage) continue;
          const cost = tokenCost(candidate, usage.prompt_tokens, usage.completion_tokens);
          raw.write(`data: ${JSON.stringify({ ...found.payload, model: publicModel, usage: { ...found.usage, cost_usd: costUsd(cost) } })}\n\n`);
          continue;
        }
      }
      raw.write(event.replace(upstreamField, publicField));
    }
  };
  forward(response.first);
  // A stream that ends without [DONE] or usage was cut off by the provider.
  const ok = (await readRest(response, forward, signal)) && (sawDone || usage !== null);
  const rest = splitter.rest();
  if (rest) raw.write(rest);
  if (!ok && !signal.aborted) {
    raw.write(`data: ${JSON.stringify({ error: { message: 'The provider stream broke off', type: 'api_error', code: 'upstream_error', param: null } })}\n\n`);
  }
  raw.end();
  return { usage, ok: ok && !signal.aborted };
}

async function pipeBinary(raw: ServerResponse, response: UpstreamResponse, requestId: string, overheadMs: number): Promise<{ usage: null; ok: boolean }> {
  const headers: Record<string, string> = { 'x-request-id': requestId, 'server-timing': `gateway;dur=${overheadMs.toFixed(3)}` };
  const type = response.headers['content-type'];
  if (type) headers['content-type'] = String(type);
  writeHead(raw, response.status, headers);
  raw.write(response.first);
  const ok = await readRest(response, (chunk) => raw.write(chunk));
  raw.end();
  return { usage: null, ok };
}

async function sendJson(raw: ServerResponse, response: UpstreamResponse, requestId: string, receivedAt: number, upstreamStartedAt: number, candidate: Candidate, publicModel: string): Promise<{ usage: Usage | null; ok: boolean }> {
  const chunks = [response.first];
  const complete = await readRest(response, (chunk) => chunks.push(chunk));
  const upstreamMs = performance.now() - upstreamStartedAt;
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = complete ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : null;
  } catch {
    parsed = null;
  }
  if (!parsed) {
    const error = upstreamFailed('The provider sent an incomplete or malformed answer');
    writeHead(raw, error.status, { 'content-type': 'application/json', 'x-request-id': requestId });
    raw.end(JSON.stringify(error.body()));
    return { usage: null, ok: false };
  }
  if ('model' in parsed) parsed.model = publicModel;
  const usage = (parsed.usage as Usage | undefined) ?? null;
  if (usage) {
    const cost = tokenCost(candidate, usage.prompt_tokens ?? 0, usage.completion_tokens ?? 0);
    parsed.usage = { ...usage, cost_usd: costUsd(cost) };
  }
  const text = JSON.stringify(parsed);
  const overheadMs = performance.now() - receivedAt - upstreamMs;
  writeHead(raw, 200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
    'server-timing': `gateway;dur=${overheadMs.toFixed(3)}, upstream;dur=${upstreamMs.toFixed(3)}`,
  });
  raw.end(text);
  return { usage, ok: true };
}
