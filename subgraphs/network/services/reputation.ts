// Reputation from live traffic: per listing, minute buckets over the last hour of the data plane's
// own outcomes (the job events), read as rolling windows (15 and 60 minutes). Percentiles come from
// fixed log-scale histograms, so a bucket is a few hundred bytes whatever the traffic and adding a
// job is O(1). Every network replica hears every job event, so each holds the whole picture; the
// job feed (stored with the failure class and swaps) warms it again after a restart.
import type { EntityManager } from '@mikro-orm/knex';
import type { JobFinishedEvent } from '../../common/events';
import { badInput } from '../../common/errors';
import { JobFeedEntry } from '../entities/JobFeedEntry';

export const MINUTE_MS = 60_000;
/** The longest window kept (minutes): older buckets are reused. */
export const REPUTATION_HORIZON_MINUTES = 60;
export const DEFAULT_WINDOW_MINUTES = 15;
/** Below this many counted requests in the window, the figures are null (too few to mean anything). */
export const MIN_SAMPLES = 5;
/** Listings held at most (those idle longest go first): bounds memory whatever the supply. */
export const MAX_LISTINGS = 5_000;
/** Job ids remembered so that a redelivered event is counted once (the newest this many). */
export const SEEN_JOB_IDS = 50_000;

/**
 * Failure classes that are the listing's doing. A caller error, a buyer abort and the gateway's own
 * error never count against it (neither as a failure nor as a success).
 */
const LISTING_FAULTS = new Set(['rate-limited', 'transient', 'protocol-violation']);

// Histogram bounds: 1 ms, then ×1.2 up to ~10 minutes (74 buckets; within 10% of the true value).
const RATIO = 1.2;
const BOUNDS: number[] = (() => {
  const bounds: number[] = [];
  for (let upper = 1; upper < 600_000; upper *= RATIO) bounds.push(upper);
  return bounds;
})();
const BUCKETS = BOUNDS.length + 1;
const LOG_RATIO = Math.log(RATIO);

function bucketOf(ms: number): number {
  if (ms <= 1) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms) / LOG_RATIO - 1e-9));
}

/** The value at quantile q of a histogram, interpolated inside its bucket; null when empty. */
export function percentile(histogram: ArrayLike<number>, count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    const inBucket = histogram[i];
    if (inBucket === 0) continue;
    if (seen + inBucket >= rank) {
      const lower = i === 0 ? 0 : BOUNDS[i - 1];
      const upper = i < BOUNDS.length ? BOUNDS[i] : BOUNDS[BOUNDS.length - 1] * RATIO;
      return Math.round(lower + ((upper - lower) * (rank - seen)) / inBucket);
    }
    seen += inBucket;
  }
  return null;
}

/** One listing's minute. */
class MinuteBucket {
  minute = -1;
  successes = 0;
  failures = 0;
  latencyCount = 0;
  ttftCount = 0;
  /** Chat output tokens and the milliseconds they took (tokens per second). */
  tokens = 0;
  tokenMs = 0;
  readonly latency = new Uint32Array(BUCKETS);
  readonly ttft = new Uint32Array(BUCKETS);

  reset(minute: number): void {
    this.minute = minute;
    this.successes = this.failures = this.latencyCount = this.ttftCount = this.tokens = this.tokenMs = 0;
    this.latency.fill(0);
    this.ttft.fill(0);
  }
}

/** A listing's figures over a window; the percentiles and rates are null below MIN_SAMPLES requests. */
export interface ReputationFigures {
  listingId: string;
  windowMinutes: number;
  /** Requests counted: successes plus the listing's own failures (buyer faults excluded). */
  requests: number;
  failures: number;
  /** 0..1, 4 decimals. */
  successRate: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** Chat output tokens per second of request time, 1 decimal. */
  tokensPerSecond: number | null;
}

/** What one job says about the listings it touched: the served one, and the ones that failed it first. */
export interface ReputationSample {
  listingId: string;
  ok: boolean;
  latencyMs: number | null;
  ttftMs: number | null;
  tokens: number | null;
}

/** The samples a job event gives (pure): none for what the buyer or the gateway did. */
export function samplesOf(
  event: Pick<
    JobFinishedEvent,
    'status' | 'listingId' | 'latencyMs' | 'timeToFirstTokenMs' | 'outputUnits' | 'pipeline' | 'swappedFrom' | 'failure'
  >,
): ReputationSample[] {
  const samples: ReputationSample[] = [];
  const served = event.listingId || null;
  const swapped = event.swappedFrom;
  if (swapped?.length)
    for (const listingId of swapped.length > 1 ? new Set(swapped) : swapped) {
      // Each listing tried before the one that answered (or before the request gave up) failed it.
      if (listingId && listingId !== served) samples.push({ listingId, ok: false, latencyMs: null, ttftMs: null, tokens: null });
    }
  if (!served || event.status === 'cancelled') return samples;
  if (event.status === 'failed') {
    // Old events carry no class: a failure after the listing answered was the listing's.
    if (event.failure == null || LISTING_FAULTS.has(event.failure))
      samples.push({ listingId: served, ok: false, latencyMs: null, ttftMs: null, tokens: null });
    return samples;
  }
  const ms = (value: number | null | undefined) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null);
  samples.push({
    listingId: served,
    ok: true,
    latencyMs: ms(event.latencyMs),
    ttftMs: ms(event.timeToFirstTokenMs),
    tokens: event.pipeline === 'llm' ? ms(event.outputUnits) : null,
  });
  return samples;
}

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;

/** One listing's ring of minute buckets. */
interface Ring {
  buckets: MinuteBucket[];
  /** The latest minute recorded (which listing is idle longest, when one must go). */
  lastMinute: number;
}

/** Every listing's last hour, in memory and bounded: MAX_LISTINGS × 60 buckets at most. */
export class ReputationWindows {
  private readonly listings = new Map<string, Ring>();
  /** Recent job ids, oldest first: the bus may deliver an event twice. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly maxListings = MAX_LISTINGS,
    private readonly maxSeen = SEEN_JOB_IDS,
  ) {}

  /** Adds one job's samples at the minute it finished. O(1) (a new listing at the cap: one scan). */
  record(event: JobFinishedEvent, now: Date): void {
    const finished = Date.parse(event.finishedAt);
    if (!Number.isFinite(finished)) return;
    const minute = Math.floor(finished / MINUTE_MS);
    const current = Math.floor(now.getTime() / MINUTE_MS);
    // Too old to be in any window, or (clock skew) further ahead than a minute: ignored.
    if (minute <= current - REPUTATION_HORIZON_MINUTES || minute > current + 1) return;
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    if (this.seen.size > this.maxSeen) this.seen.delete(this.seen.values().next().value!);
    for (const sample of samplesOf(event)) this.add(sample, minute);
  }

  private ring(listingId: string, minute: number): Ring {
    let ring = this.listings.get(listingId);
    if (!ring) {
      if (this.listings.size >= this.maxListings) {
        let idle: string | null = null;
        let oldest = Infinity;
        for (const [id, other] of this.listings) if (other.lastMinute < oldest) [idle, oldest] = [id, other.lastMinute];
        this.listings.delete(idle!);
      }
      ring = { buckets: [], lastMinute: minute };
      this.listings.set(listingId, ring);
    }
    if (minute > ring.lastMinute) ring.lastMinute = minute;
    return ring;
  }

  private add(sample: ReputationSample, minute: number): void {
    const ring = this.ring(sample.listingId, minute);
    const slot = minute % REPUTATION_HORIZON_MINUTES;
    let bucket = ring.buckets[slot];
    if (!bucket) bucket = ring.buckets[slot] = new MinuteBucket();
    if (bucket.minute !== minute) {
      if (bucket.minute > minute) return; // a late sample of a minute already reused
      bucket.reset(minute);
    }
    if (!sample.ok) {
      bucket.failures++;
      return;
    }
    bucket.successes++;
    if (sample.latencyMs !== null) {
      bucket.latency[bucketOf(sample.latencyMs)]++;
      bucket.latencyCount++;
    }
    if (sample.ttftMs !== null) {
      bucket.ttft[bucketOf(sample.ttftMs)]++;
      bucket.ttftCount++;
    }
    if (sample.tokens !== null && sample.tokens > 0 && sample.latencyMs !== null && sample.latencyMs > 0) {
      bucket.tokens += sample.tokens;
      bucket.tokenMs += sample.latencyMs;
    }
  }

  /** A listing's figures over the last `windowMinutes` minutes (the current minute included). */
  figures(listingId: string, now: Date, windowMinutes = DEFAULT_WINDOW_MINUTES): ReputationFigures {
    const window = checkWindow(windowMinutes);
    const current = Math.floor(now.getTime() / MINUTE_MS);
    const latency = new Uint32Array(BUCKETS);
    const ttft = new Uint32Array(BUCKETS);
    let successes = 0;
    let failures = 0;
    let latencyCount = 0;
    let ttftCount = 0;
    let tokens = 0;
    let tokenMs = 0;
    for (const bucket of this.listings.get(listingId)?.buckets ?? []) {
      if (!bucket || bucket.minute <= current - window || bucket.minute > current + 1) continue;
      successes += bucket.successes;
      failures += bucket.failures;
      latencyCount += bucket.latencyCount;
      ttftCount += bucket.ttftCount;
      tokens += bucket.tokens;
      tokenMs += bucket.tokenMs;
      for (let i = 0; i < BUCKETS; i++) {
        latency[i] += bucket.latency[i];
        ttft[i] += bucket.ttft[i];
      }
    }
    const requests = successes + failures;
    const enough = requests >= MIN_SAMPLES;
    return {
      listingId,
      windowMinutes: window,
      requests,
      failures,
      successRate: enough ? round(successes / requests, 4) : null,
      ttftP50Ms: enough ? percentile(ttft, ttftCount, 0.5) : null,
      ttftP95Ms: enough ? percentile(ttft, ttftCount, 0.95) : null,
      latencyP50Ms: enough ? percentile(latency, latencyCount, 0.5) : null,
      latencyP95Ms: enough ? percentile(latency, latencyCount, 0.95) : null,
      tokensPerSecond: enough && tokenMs > 0 ? round((tokens * 1000) / tokenMs, 1) : null,
    };
  }

  /** Every listing with traffic in the window. */
  table(now: Date, windowMinutes = DEFAULT_WINDOW_MINUTES): ReputationFigures[] {
    return [...this.listings.keys()].map((id) => this.figures(id, now, windowMinutes)).filter((row) => row.requests > 0);
  }

  get size(): number {
    return this.listings.size;
  }
}

export function checkWindow(windowMinutes: number): number {
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > REPUTATION_HORIZON_MINUTES) {
    throw badInput(`windowMinutes must be an integer from 1 to ${REPUTATION_HORIZON_MINUTES}`, { field: 'windowMinutes' });
  }
  return windowMinutes;
}

/** The time to first token within which a listing keeps its full SLA score (ms, p95). */
export const SLA_TARGET_TTFT_MS = 2_000;

/**
 * The NaaP orchestrators' slaScore, 0–100, over the last 60 minutes: the success rate times a
 * latency factor, min(1, 2000 ms / TTFT p95) (latency p95 when no TTFT was seen). 99% successes
 * with a p95 of 4 s scores round(100 × 0.99 × 0.5) = 50. Null with too few requests.
 */
export function slaScore(figures: Pick<ReputationFigures, 'successRate' | 'ttftP95Ms' | 'latencyP95Ms'>): number | null {
  if (figures.successRate === null) return null;
  const p95 = figures.ttftP95Ms ?? figures.latencyP95Ms;
  const latencyFactor = p95 === null || p95 <= 0 ? 1 : Math.min(1, SLA_TARGET_TTFT_MS / p95);
  return Math.round(100 * figures.successRate * latencyFactor);
}

/** Jobs read back at start at most (the newest): bounds the warm-up whatever the traffic. */
export const WARM_UP_MAX_JOBS = 200_000;

/** Fills the windows from the stored jobs of the last hour (after a restart). */
export async function warmReputation(em: EntityManager, windows: ReputationWindows, now: Date, before: Date = now): Promise<number> {
  const since = new Date(now.getTime() - REPUTATION_HORIZON_MINUTES * MINUTE_MS);
  // Jobs that finished from `before` on were heard on the bus already.
  const jobs = await em.find(
    JobFeedEntry,
    { startedAt: { $gte: since }, finishedAt: { $lt: before } },
    { orderBy: { startedAt: 'desc' }, limit: WARM_UP_MAX_JOBS, disableIdentityMap: true },
  );
  for (const job of jobs.reverse()) {
    windows.record(
      {
        id: job.id,
        pipeline: job.pipeline,
        model: job.model,
        status: job.status as JobFinishedEvent['status'],
        startedAt: new Date(job.startedAt).toISOString(),
        finishedAt: new Date(job.finishedAt).toISOString(),
        latencyMs: job.latencyMs,
        timeToFirstTokenMs: job.timeToFirstTokenMs ?? null,
        outputUnits: job.outputUnits ?? null,
        listingId: job.listingId ?? null,
        failure: job.failureClass ?? null,
        swappedFrom: job.swappedFrom ? job.swappedFrom.split(',') : null,
      },
      now,
    );
  }
  return jobs.length;
}

/** The windows read at the subgraph's clock (what resolvers and the dashboard ask). */
export class ReputationService {
  constructor(
    readonly windows: ReputationWindows,
    private readonly clock: { now(): Date },
  ) {}

  figures(listingId: string, windowMinutes = DEFAULT_WINDOW_MINUTES): ReputationFigures {
    return this.windows.figures(listingId, this.clock.now(), windowMinutes);
  }

  table(windowMinutes = DEFAULT_WINDOW_MINUTES): ReputationFigures[] {
    return this.windows.table(this.clock.now(), checkWindow(windowMinutes));
  }

  /** The orchestrator row's slaScore: over the last 60 minutes. */
  slaScore(listingId: string): number | null {
    return slaScore(this.figures(listingId, REPUTATION_HORIZON_MINUTES));
  }
}
