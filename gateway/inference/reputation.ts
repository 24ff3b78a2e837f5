// Listing reputation as the data plane sees it: network's table of live-traffic figures, fetched in
// the background and held in a map, so that a request costs one map lookup and never any I/O. The
// load balancer (routing) multiplies its price weight by `weightOf(listingId)`.

/** One listing's live-traffic figures (network's `ListingReputation`). */
export interface Reputation {
  listingId: string;
  windowMinutes: number;
  requests: number;
  successRate: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  tokensPerSecond: number | null;
}

export const LISTING_REPUTATIONS_QUERY = `query ListingReputations($windowMinutes: Int) {
  listingReputations(windowMinutes: $windowMinutes) { listingId windowMinutes requests successRate ttftP50Ms ttftP95Ms latencyP50Ms latencyP95Ms tokensPerSecond }
}`;

/** The time to first token at which latency starts to cost weight (ms, median). */
export const REFERENCE_TTFT_MS = 1_000;
/** However slow, latency alone takes at most this factor. */
export const MIN_LATENCY_FACTOR = 0.25;
/** No listing's weight reaches 0: a recovered listing still gets the traffic that shows it recovered. */
export const MIN_WEIGHT = 0.01;

/**
 * A listing's weight factor from its reputation, in [0.01, 1] (pure): success rate to the 4th power
 * (99% → 0.96, 90% → 0.66, 50% → 0.06) times min(1, 1000 ms / TTFT p50), the latter at least 0.25.
 * Unknown (no table, or too few requests for figures) is 1: a new listing is not held back by it
 * (its admission probes are its evidence until traffic is).
 */
export function reputationWeight(reputation: Pick<Reputation, 'successRate' | 'ttftP50Ms' | 'latencyP50Ms'> | null | undefined): number {
  if (!reputation || reputation.successRate === null) return 1;
  const success = Math.max(0, Math.min(1, reputation.successRate)) ** 4;
  const ttft = reputation.ttftP50Ms ?? reputation.latencyP50Ms;
  const latency = ttft === null || ttft <= REFERENCE_TTFT_MS ? 1 : Math.max(MIN_LATENCY_FACTOR, REFERENCE_TTFT_MS / ttft);
  return Math.max(MIN_WEIGHT, Math.round(success * latency * 10_000) / 10_000);
}

export interface ReputationSource {
  /** The listing's figures, or null (unknown). O(1), no I/O. */
  reputationOf(listingId: string): Reputation | null;
  /** reputationWeight of the listing's figures. O(1), no I/O. */
  weightOf(listingId: string): number;
}

/**
 * Network's table, refreshed every `refreshMs` by a timer (never by a request). A failed refresh
 * keeps the last table; a table older than `maxAgeMs` is dropped (weights go back to neutral rather
 * than steering by stale figures).
 */
export class ReputationTable implements ReputationSource {
  private rows = new Map<string, Reputation>();
  private loadedAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  /** Fetches made so far (tests prove requests add none). */
  fetches = 0;

  constructor(
    private readonly load: () => Promise<Reputation[]>,
    private readonly refreshMs = 10_000,
    private readonly maxAgeMs = 120_000,
    private readonly now: () => number = Date.now,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      this.fetches++;
      try {
        const rows = await this.load();
        this.rows = new Map(rows.map((row) => [row.listingId, row]));
        this.loadedAt = this.now();
      } catch (error) {
        this.onError(error);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  reputationOf(listingId: string): Reputation | null {
    if (this.now() - this.loadedAt > this.maxAgeMs) return null;
    return this.rows.get(listingId) ?? null;
  }

  weightOf(listingId: string): number {
    return reputationWeight(this.reputationOf(listingId));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
