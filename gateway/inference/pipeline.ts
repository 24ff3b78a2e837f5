// One inference request, start to end, as a short pipeline of named stages over one context:
// authorize → parse → route → admit → attempts → respond → meter. Every stage lives in its own
// file; this one only orders them and guarantees that a request that got a reservation is
// metered and settled exactly once, whatever happens.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventBus } from '../../subgraphs/common/bus';
import type { KeyHasher } from '../../subgraphs/common/secrets';
import type { Clock } from '../../subgraphs/common/runtime';
import { admit } from './admit';
import { attempt, type AttemptDeps } from './attempts';
import { authorize, authorizeModel } from './authorize';
import type { BudgetGuard } from './budget';
import type { KeySnapshot, KeySnapshotCache } from './key-snapshots';
import { meter, type ListingHealthReporter } from './meter';
import type { MeteringRules } from './metering';
import { chatDialect, type Dialect } from './dialects/dialect';
import { badRequest, InferenceError } from './openai-errors';
import { parse } from './parse';
import { InferenceRequest, type Capability } from './request';
import { respondBinary } from './respond/binary';
import { respondJson } from './respond/json';
import { respondStream } from './respond/stream';
import type { LoadShedder } from './load-shedding';
import type { SelectionDeps } from './provider-routing';
import { route } from './route';
import type { RoutingCache } from './routing';
import type { ReputationSource } from './reputation';
import type { UsageEmitter } from './usage-emitter';

export interface PipelineDeps extends AttemptDeps, SelectionDeps {
  snapshots: KeySnapshotCache;
  keyHasher: KeyHasher;
  routing: RoutingCache;
  /** Listings' live-traffic weights (O(1) lookups, no I/O): the load balancer's reputation factor. */
  reputation?: ReputationSource;
  budget: BudgetGuard;
  usage: UsageEmitter;
  bus: EventBus;
  clock: Clock;
  metering: MeteringRules;
  health: ListingHealthReporter;
  replica: string;
  defaultMaxOutputTokens: number;
  /** No chunk from the provider for this long after the first byte ends the answer. */
  idleTimeoutMs: number;
  /** The most an answer may take from its first byte to its end. */
  totalTimeoutMs: number;
  /** Each account's share of the requests in flight (none in hand-made pipelines). */
  shedder?: LoadShedder;
}

/**
 * A dialect's prompt count (Anthropic's count_tokens): the stages before any reservation
 * (authorize → toChat → parse → route), so the count is of the prompt the request would bill.
 */
export async function countPrompt(
  http: FastifyRequest,
  reply: FastifyReply,
  deps: PipelineDeps,
  dialect: Dialect,
  answer: (promptTokens: number) => unknown,
): Promise<void> {
  const body = http.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object');
  const snapshot = await authorize(dialect.authorization(http.headers), http.ip, deps);
  const request = new InferenceRequest(String(http.id), 'chat', dialect.toChat(body, http.headers), deps.clock.now(), http.ip);
  request.dialect = dialect;
  request.original = body;
  request.snapshot = snapshot;
  parse(request, { defaultMaxOutputTokens: deps.defaultMaxOutputTokens });
  authorizeModel(request.snapshot, request.model);
  await route(request, deps.routing, deps);
  await reply.type('application/json').send(answer(request.countedPrompt));
}

export async function runInference(
  http: FastifyRequest,
  reply: FastifyReply,
  capability: Capability,
  deps: PipelineDeps,
  dialect: Dialect = chatDialect,
): Promise<void> {
  const body = http.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object');
  const snapshot = await authorize(dialect.authorization(http.headers), http.ip, deps);
  // One account's flood is its own 429: the rest of the process's slots stay for the others.
  const share = deps.shedder?.enterAccount(snapshot.accountId);
  if (share instanceof InferenceError) throw share;
  try {
    await serve(http, reply, capability, deps, dialect, body, snapshot);
  } finally {
    share?.();
  }
}

async function serve(
  http: FastifyRequest,
  reply: FastifyReply,
  capability: Capability,
  deps: PipelineDeps,
  dialect: Dialect,
  body: Record<string, unknown>,
  snapshot: KeySnapshot,
): Promise<void> {
  // Another dialect's body becomes a chat body here; its mistakes are the caller's 400 in its own envelope.
  const request = new InferenceRequest(String(http.id), capability, dialect.toChat(body, http.headers), deps.clock.now(), http.ip);
  request.dialect = dialect;
  request.original = body;
  request.snapshot = snapshot;
  parse(request, {
    defaultMaxOutputTokens: deps.defaultMaxOutputTokens,
    tagsHeader: http.headers['x-df-tags'],
    sessionHeader: http.headers['x-df-session'],
  });
  authorizeModel(request.snapshot, request.model);
  await route(request, deps.routing, deps);
  await admit(request, deps);

  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) request.abort.abort();
  });
  try {
    await attempt(request, deps);
  } catch (error) {
    await meter(request, deps);
    throw error;
  }
  // The conversation's next turn goes back here while its prompt cache is warm.
  if (request.conversation) deps.sticky?.remember(request.conversation, request.served!.candidate.listingId);
  const raw = reply.raw;
  reply.hijack();
  const timeouts = { idleTimeoutMs: request.table.streamIdleTimeoutMs ?? deps.idleTimeoutMs, totalTimeoutMs: deps.totalTimeoutMs };
  try {
    if (request.isStreaming) await respondStream(request, raw, deps.metering, timeouts);
    else if (capability === 'speech') await respondBinary(request, raw, timeouts);
    else await respondJson(request, raw, deps.metering, timeouts);
  } catch (error) {
    // A failure of our own while answering: the provider is not blamed and the buyer not charged.
    request.outcome = {
      status: 'failed',
      failure: 'platform',
      failureMessage: String(error),
      reported: null,
      servedModel: null,
      billed: null,
      costMicros: 0,
    };
    if (!raw.headersSent) {
      const answer = dialect.error(
        new InferenceError(500, 'The gateway failed to handle the request', 'api_error', 'internal_error'),
        request.id,
      );
      raw.writeHead(answer.status, { 'content-type': 'application/json', 'x-request-id': request.id });
      raw.end(JSON.stringify(answer.body));
    } else raw.end();
  }
  // The meter stage gives the listing's slot back with the reservation.
  await meter(request, deps);
}
