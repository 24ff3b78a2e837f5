// The meter stage: what the request costs (checked usage, clamped to its reservation), one usage
// event to billing and one job event to the network, the reservation settled, and the listing's
// health told to market: provider failures and metering violations against it, successes for it
// (coalesced), and nothing at all for what the buyer did.
import type { EventBus } from '../../subgraphs/common/bus';
import type { JobFinishedEvent, UsageEvent } from '../../subgraphs/common/events';
import type { Clock } from '../../subgraphs/common/runtime';
import type { BudgetGuard } from './budget';
import { countsAgainstListing } from './failures';
import { billUsage, describeFlags, type MeteringRules } from './metering';
import { characterCost, tokenCost } from './pricing';
import { PIPELINE, type InferenceRequest } from './request';
import type { UsageEmitter } from './usage-emitter';

export interface MeterDeps {
  usage: UsageEmitter;
  bus: EventBus;
  budget: BudgetGuard;
  clock: Clock;
  metering: MeteringRules;
  replica: string;
  health: ListingHealthReporter;
}

/**
 * What the request costs, from its outcome so far (the stream stage asks before the usage chunk
 * goes out; the meter stage asks again at the end). Never more than its reservation.
 */
export function price(request: InferenceRequest, rules: MeteringRules): number {
  const outcome = request.outcome!;
  const candidate = request.served?.candidate;
  if (!candidate || outcome.status === 'failed') {
    outcome.billed = null;
    outcome.costMicros = 0;
    return 0;
  }
  let cost: number;
  if (request.capability === 'speech') {
    // Audio cut off by the buyer cannot be measured: nothing is charged for it.
    cost = outcome.status === 'completed' ? characterCost(candidate, request.characters) : 0;
  } else {
    const chat = request.capability === 'chat';
    outcome.billed = billUsage(
      {
        reported: outcome.reported,
        countedPrompt: request.countedPrompt,
        countedCompletion: chat ? request.delivered.tokens() : 0,
        maxCompletion: chat ? request.maxCompletion : null,
        cancelled: outcome.status === 'cancelled',
      },
      rules,
    );
    cost = tokenCost(candidate, outcome.billed.inputTokens, outcome.billed.outputTokens, outcome.billed.cachedInputTokens);
  }
  outcome.costMicros = Math.min(cost, request.reservation?.amountMicros ?? 0);
  return outcome.costMicros;
}

export async function meter(request: InferenceRequest, deps: MeterDeps): Promise<void> {
  const outcome = request.outcome!;
  const candidate = request.served?.candidate ?? null;
  price(request, deps.metering);
  const billed = outcome.billed;
  const latencyMs = Math.round(performance.now() - request.receivedAt);
  const ttftMs = request.served ? Math.round(request.served.response.firstByteAt - request.receivedAt) : null;
  const usage: UsageEvent = {
    requestId: request.id,
    keyId: request.snapshot.keyId,
    buyerId: request.snapshot.accountId,
    groupId: request.snapshot.groupId,
    listingId: candidate?.listingId ?? null,
    sellerId: candidate?.sellerId ?? null,
    model: request.model,
    capability: request.capability,
    inputTokens: billed?.inputTokens ?? 0,
    outputTokens: billed?.outputTokens ?? 0,
    characters: outcome.status === 'completed' && request.capability === 'speech' ? request.characters : 0,
    costMicros: outcome.costMicros,
    latencyMs,
    ttftMs,
    status: outcome.status,
    occurredAt: request.startedAt.toISOString(),
    reportedInputTokens: billed?.reportedInputTokens ?? null,
    reportedOutputTokens: billed?.reportedOutputTokens ?? null,
    countedInputTokens: billed ? billed.countedInputTokens : null,
    countedOutputTokens: billed ? billed.countedOutputTokens : null,
    cachedInputTokens: billed?.cachedInputTokens ?? null,
    reasoningTokens: billed?.reasoningTokens ?? null,
    servedModel: outcome.servedModel,
    meteringFlags: billed?.flags.length ? billed.flags.join(',') : null,
    endUser: request.attribution.user,
    tags: request.attribution.tags.length > 0 ? request.attribution.tags : null,
    metadata: request.attribution.metadata,
  };
  // Usage first: the answer is already sent, so its usage event must be emitted whatever happens
  // to the budget store (Redis dying here used to lose the event of a request the client saw succeed).
  deps.usage.emit(usage);
  publishJob(request, usage, deps);
  if (candidate) reportHealth(request, deps);
  // Rate limits count what was billed: token windows drop to the billed tokens, slots are given back.
  const tokens = (billed?.inputTokens ?? 0) + (billed?.outputTokens ?? 0);
  if (request.listingHold) await deps.budget.settle(request.listingHold, 0, tokens);
  request.listingHold = null;
  if (request.reservation) await deps.budget.settle(request.reservation, outcome.costMicros, tokens);
}

function publishJob(request: InferenceRequest, usage: UsageEvent, deps: MeterDeps): void {
  const swappedFrom = request.swappedFrom;
  const job: JobFinishedEvent = {
    id: request.id,
    pipeline: PIPELINE[request.capability],
    model: request.model,
    status: usage.status,
    startedAt: usage.occurredAt,
    finishedAt: deps.clock.now().toISOString(),
    latencyMs: usage.latencyMs,
    timeToFirstTokenMs: usage.ttftMs,
    outputUnits:
      request.capability === 'speech' ? usage.characters : usage.status === 'failed' ? null : usage.outputTokens || usage.inputTokens,
    listingId: usage.listingId,
    sellerId: usage.sellerId,
    gateway: deps.replica,
    costMicros: usage.costMicros,
    ...(swappedFrom.length > 0 ? { swappedFrom } : {}),
    // The class tells network's reputation a buyer's fault from the listing's.
    ...(request.outcome?.failure ? { failure: request.outcome.failure } : {}),
  };
  void deps.bus.publish('job.finished', job).catch(() => {});
}

function reportHealth(request: InferenceRequest, deps: MeterDeps): void {
  const outcome = request.outcome!;
  const candidate = request.served!.candidate;
  if (outcome.status === 'failed' && outcome.failure && countsAgainstListing(outcome.failure)) {
    deps.health.failure(candidate.listingId, outcome.failureMessage ?? 'the provider failed after the first byte');
    return;
  }
  const reasons: string[] = [];
  // Missing usage is billed from the count and recorded; only claims beyond the count are violations.
  if (outcome.billed?.flags.some((flag) => flag !== 'usage_missing')) reasons.push(describeFlags(outcome.billed, request.maxCompletion)!);
  const model = describeModel(outcome.servedModel, candidate.upstreamModel);
  if (model) reasons.push(model);
  // Usage beyond the gateway's count, or another model's name: live evidence against the listing's claims.
  if (reasons.length > 0) deps.health.failure(candidate.listingId, reasons.join('; '), true);
  else if (outcome.status !== 'failed') deps.health.success(candidate.listingId);
}

/** A provider may answer with a dated or prefixed name of the model it lists; anything else is another model. */
export function describeModel(served: string | null, listed: string): string | null {
  if (!served) return null;
  const norm = (id: string) => id.toLowerCase().replace(/^[^/]*\//, '');
  const a = norm(served);
  const b = norm(listed);
  if (a === b || a.startsWith(b) || b.startsWith(a)) return null;
  return `answered as model ${JSON.stringify(served.slice(0, 100))}, listed as ${JSON.stringify(listed)}`;
}

/**
 * Successes are told to market too (a failure streak must mean failures in a row, not failures
 * since the last probe), but at most one per listing per interval: O(1) work per request.
 */
export class ListingHealthReporter {
  private readonly lastSuccess = new Map<string, number>();
  /** Listings whose last report was a failure: their next success is reported at once. */
  private readonly failing = new Set<string>();

  constructor(
    private readonly report: (listingId: string, ok: boolean, reason: string | null, contradictsClaims?: boolean) => void,
    private readonly intervalMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** `contradictsClaims`: the answer itself is evidence against what the listing claims (market verifies it again). */
  failure(listingId: string, reason: string, contradictsClaims = false): void {
    this.failing.add(listingId);
    this.report(listingId, false, reason, contradictsClaims);
  }

  success(listingId: string): void {
    const now = this.now();
    if (!this.failing.delete(listingId) && now - (this.lastSuccess.get(listingId) ?? -Infinity) < this.intervalMs) return;
    this.lastSuccess.set(listingId, now);
    this.report(listingId, true, null);
  }
}
