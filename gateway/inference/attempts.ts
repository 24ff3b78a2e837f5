// The attempts stage: candidates are tried in order until one answers with a first byte. A
// provider-side failure before that byte moves on to the next candidate and cools the listing
// down; the caller's own error and the buyer's disconnect stop at once and count against no one.
// A listing at one of its caps (rpm, tpm, daily tokens, concurrency: held in the budget guard's
// store, so shared by every replica on Redis) is skipped, which is no failure of its seller's.
import type { Clock } from '../../subgraphs/common/runtime';
import type { BudgetGuard, Reservation } from './budget';
import { classifyUpstreamError, coolsDown, countsAgainstListing, fallsBack, type FailureClass } from './failures';
import { InferenceError, upstreamFailed, unavailable } from './openai-errors';
import { isRateRefusal, rateSpecs, type RateRefusal } from './rate-limits';
import { UPSTREAM_PATH, type InferenceRequest } from './request';
import type { Candidate, ListingLoad } from './routing';
import { callUpstream, UpstreamError } from './upstream';

export const MAX_ATTEMPTS = 4;
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface AttemptDeps {
  load: ListingLoad;
  /** Holds each listing's caps, in the same store as the buyer's budgets and rate limits. */
  budget: BudgetGuard;
  clock: Clock;
  openKey(candidate: Candidate): string;
  /** Tells market how a listing did (contract health); never awaited by the request. */
  reportOutcome(listingId: string, ok: boolean, reason: string | null): void;
}

/** Fills `request.served`, or throws the error the buyer gets (after recording every attempt). */
export async function attempt(request: InferenceRequest, deps: AttemptDeps): Promise<void> {
  const table = request.table;
  const maxAttempts = Math.min(MAX_ATTEMPTS, request.candidates.length, 1 + (table.maxRetries ?? MAX_ATTEMPTS));
  let tried = 0;
  let last: UpstreamError | null = null;
  const full: RateRefusal[] = [];
  for (const candidate of deps.load.order(request.candidates)) {
    if (tried >= maxAttempts || request.abort.signal.aborted) break;
    if (deps.load.acquire(candidate) !== 'ok') continue;
    const hold = await holdCapacity(request, candidate, deps);
    if (isRateRefusal(hold)) {
      full.push(hold);
      continue;
    }
    request.listingHold = hold;
    tried++;
    const upstreamStartedAt = performance.now();
    try {
      const response = await callUpstream({
        baseUrl: candidate.baseUrl,
        path: UPSTREAM_PATH[request.capability],
        apiKey: deps.openKey(candidate),
        body: request.upstreamBody(candidate),
        timeoutMs: table.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: request.abort.signal,
      });
      request.served = { candidate, response, upstreamStartedAt };
      deps.load.recordFirstByte(candidate.listingId, response.firstByteAt - upstreamStartedAt);
      return;
    } catch (error) {
      // Nothing was served: the listing's tokens and slot go back at once.
      if (hold) void deps.budget.settle(hold, 0, 0);
      request.listingHold = null;
      last = error instanceof UpstreamError ? error : new UpstreamError('provider call failed', 'reset');
      const failure = classifyUpstreamError(last);
      request.attempts.push({ listingId: candidate.listingId, failure, message: last.message });
      if (coolsDown(failure)) deps.load.coolDown(candidate.listingId);
      if (countsAgainstListing(failure)) deps.reportOutcome(candidate.listingId, false, last.message);
      if (!fallsBack(failure)) break;
    }
  }
  const failure: FailureClass = request.attempts.at(-1)?.failure ?? 'transient';
  request.outcome = {
    status: failure === 'buyer-abort' ? 'cancelled' : 'failed',
    failure,
    failureMessage: last?.message ?? null,
    reported: null,
    servedModel: null,
    billed: null,
    costMicros: 0,
  };
  throw errorFor(last, tried, request.attempts.at(-1)?.listingId ?? null, full);
}

/** A hold on the listing's caps, null when it has none (or the store is unreachable: a seller's cap is not worth failing the buyer's request), or the cap that is full. */
async function holdCapacity(request: InferenceRequest, candidate: Candidate, deps: AttemptDeps): Promise<Reservation | RateRefusal | null> {
  const caps = candidate.caps;
  if (!caps) return null;
  const now = deps.clock.now();
  const specs = rateSpecs(
    'listing',
    candidate.listingId,
    { rpm: caps.rpm, tpm: caps.tpm, maxParallel: caps.maxConcurrency, dailyTokens: caps.dailyTokens },
    request.reservedTokens,
    now,
  );
  if (specs.length === 0) return null;
  return deps.budget.hold(specs, now).catch(() => null);
}

function errorFor(error: UpstreamError | null, tried: number, listingId: string | null, full: RateRefusal[] = []): InferenceError {
  if (tried === 0 && full.length > 0) {
    // Every listing left was at its capacity: no supply now (503, as for cooling listings), and the
    // soonest window that frees in retry-after.
    const retry = Math.min(...full.map((r) => r.retryAfterSeconds));
    return new InferenceError(
      503,
      'Every provider for this model is at its capacity; try again shortly',
      'api_error',
      'service_unavailable',
      null,
      { 'retry-after': String(retry) },
    );
  }
  if (tried === 0) return unavailable('Every provider for this model is busy or cooling down; try again shortly');
  if (!error) return upstreamFailed('The provider failed');
  if (error.kind === 'status' && error.status === 429) {
    const retry = Number(error.retryAfter);
    return new InferenceError(
      429,
      'The providers for this model are rate limited; try again shortly',
      'rate_limit_error',
      'upstream_rate_limited',
      null,
      {
        'retry-after': String(Number.isFinite(retry) && retry > 0 ? Math.ceil(retry) : 1),
      },
    );
  }
  if (classifyUpstreamError(error) === 'caller') {
    // The provider's own words (bounded and scrubbed) tell the buyer what to fix.
    const why = error.upstreamMessage ? `: ${error.upstreamMessage}` : '';
    return new InferenceError(
      400,
      `The provider refused the request (${error.status})${why}`,
      'invalid_request_error',
      'upstream_rejected',
      null,
      {},
      { listing_id: listingId, provider_status: error.status },
    );
  }
  if (error.kind === 'timeout') return new InferenceError(504, error.message, 'api_error', 'upstream_timeout');
  return upstreamFailed(`The provider failed: ${error.message}`);
}
