// Where a model's requests go: the market's routing table for (model, routing profile), cached and
// dropped on listing/contract changes; plus this replica's view of each listing's health
// (cooldown after a failure, time to first byte). A listing's caps (rpm, tpm, daily tokens,
// concurrency) are held in the budget guard's store instead (attempts.ts), shared across replicas.
import type { EventBus } from '../../subgraphs/common/bus';

export interface Candidate {
  listingId: string;
  sellerId: string;
  provider: string;
  baseUrl: string;
  upstreamModel: string;
  sealedApiKey: string;
  sealContext: string;
  inputPriceMicrosPerMTok: number;
  outputPriceMicrosPerMTok: number;
  priceMicrosPerMChars: number | null;
  /** Market's comparison price (input + output per MTok; per MChars for speech): what routing draws and sorts by. */
  blendedPriceMicros: number;
  /** Cached prompt tokens (at most the input price; null: the input price). */
  cacheReadPriceMicrosPerMTok?: number | null;
  /** The admission probes' figures: the prior for time to first byte until live traffic gives one. */
  latencyMs?: number | null;
  ttftMs?: number | null;
  caps: { rpm: number | null; tpm: number | null; maxConcurrency: number | null; dailyTokens: number | null } | null;
  /** ACTIVE, or DEGRADED (after every ACTIVE one; never in the balanced pool). */
  contractState?: 'ACTIVE' | 'DEGRADED';
  tokensPerSecond?: number | null;
  /** The listing's metadata (null: not declared). */
  sellerHandle?: string | null;
  contextLength?: number | null;
  maxOutputTokens?: number | null;
  supportedParameters?: string[];
  quantization?: string | null;
  region?: string | null;
  dataPolicy?: { retainsPrompts: boolean; trainsOnPrompts: boolean; zeroRetention: boolean } | null;
}

export interface RoutingTable {
  model: string;
  /** Null when no listing serves the model. */
  capability: 'CHAT' | 'EMBEDDINGS' | 'SPEECH' | null;
  candidates: Candidate[];
  fallbackModels: string[];
  timeoutMs: number | null;
  maxRetries: number | null;
  /** The profile's idle timeout after the first byte (null: the platform default). */
  streamIdleTimeoutMs?: number | null;
  allowFallbacks: boolean;
  /** false when the profile orders supply itself (a sort other than price, or an order): no weighted draw then. */
  loadBalanced?: boolean;
}

export const ROUTING_TABLE_QUERY = `query RoutingTable($model: String!, $profileId: ID) {
  routingTable(model: $model, profileId: $profileId) {
    model capability fallbackModels timeoutMs maxRetries streamIdleTimeoutMs allowFallbacks loadBalanced
    candidates {
      listingId sellerId sellerHandle provider baseUrl upstreamModel sealedApiKey sealContext
      inputPriceMicrosPerMTok outputPriceMicrosPerMTok priceMicrosPerMChars blendedPriceMicros cacheReadPriceMicrosPerMTok latencyMs ttftMs tokensPerSecond contractState
      contextLength maxOutputTokens supportedParameters quantization region dataPolicy { retainsPrompts trainsOnPrompts zeroRetention }
      caps { rpm tpm maxConcurrency dailyTokens }
    }
  }
}`;

export class RoutingCache {
  private readonly tables = new Map<string, { table: RoutingTable | null; expires: number }>();
  private readonly loading = new Map<string, Promise<RoutingTable | null>>();
  private readonly unsubscribe: (() => void)[];
  private generation = 0;

  constructor(
    private readonly load: (model: string, profileId: string | null) => Promise<RoutingTable | null>,
    bus: EventBus,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    const drop = (model: string) => {
      this.generation++;
      for (const key of this.tables.keys()) if (key.startsWith(`${model}\n`)) this.tables.delete(key);
      // A fallback model's table lists its own model only; a changed model can appear as a fallback
      // of any table, so tables that name it as a fallback go too.
      for (const [key, entry] of this.tables) if (entry.table?.fallbackModels.includes(model)) this.tables.delete(key);
    };
    // A profile edit must reach the very next request: every model's table for that profile goes.
    const dropProfile = (profileId: string) => {
      this.generation++;
      for (const key of this.tables.keys()) if (key.endsWith(`\n${profileId}`)) this.tables.delete(key);
    };
    const dropAll = () => {
      this.generation++;
      this.tables.clear();
    };
    this.unsubscribe = [
      // Listing, contract and profile changes missed while the bus was down: start again.
      bus.onGap(dropAll),
      bus.subscribe('listing.changed', (e) => drop(e.model)),
      bus.subscribe('contract.changed', (e) => drop(e.model)),
      bus.subscribe('routing-profile.changed', (e) => dropProfile(e.profileId)),
    ];
  }

  async get(model: string, profileId: string | null): Promise<RoutingTable | null> {
    const key = `${model}\n${profileId ?? ''}`;
    const entry = this.tables.get(key);
    if (entry && entry.expires > this.now()) return entry.table;
    let pending = this.loading.get(key);
    if (!pending) {
      const startedAt = this.generation;
      pending = this.load(model, profileId).finally(() => this.loading.delete(key));
      pending.then(
        (table) => {
          if (startedAt === this.generation) this.tables.set(key, { table, expires: this.now() + this.ttlMs });
        },
        () => {},
      );
      this.loading.set(key, pending);
    }
    return pending;
  }

  close(): void {
    for (const off of this.unsubscribe) off();
  }
}

/** A listing this many times slower to its first byte than the fastest comparable one is tried after the others. */
const SLOW_FACTOR = 3;
/** Below this time to first byte nobody counts as slow. */
const SLOW_FLOOR_MS = 250;
/** One in this many requests still tries a demoted listing first, so its figure can recover. */
const EXPLORE_EVERY = 20;
const EWMA_WEIGHT = 0.2;

/** This replica's live view of each listing: cooldown and time to first byte. */
export class ListingLoad {
  private readonly cooldownUntil = new Map<string, number>();
  /** Time to first byte from live traffic (moving average, ms). */
  private readonly ttft = new Map<string, number>();
  private orders = 0;

  constructor(
    private readonly cooldownMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the listing may be tried now (its caps are held by the budget guard, not here). */
  acquire(candidate: Candidate): 'ok' | 'cooling' {
    return (this.cooldownUntil.get(candidate.listingId) ?? 0) > this.now() ? 'cooling' : 'ok';
  }

  /** O(1) per request: the time this listing took to its first byte. */
  recordFirstByte(listingId: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const before = this.ttft.get(listingId);
    this.ttft.set(listingId, before === undefined ? ms : before + EWMA_WEIGHT * (ms - before));
  }

  firstByteMs(listingId: string): number | undefined {
    return this.ttft.get(listingId);
  }

  /**
   * The candidates in the routing table's order, except that a listing consistently much slower to
   * its first byte than the fastest one with a figure goes after the others: buyers need not
   * configure anything for a slow seller to lose traffic to faster ones.
   */
  order<T extends { listingId: string; ttftMs?: number | null }>(candidates: T[]): T[] {
    if (candidates.length < 2) return candidates;
    // Live figures first; a listing without traffic yet is judged by its probes' time to first token.
    const figures = candidates.map((c) => this.ttft.get(c.listingId) ?? c.ttftMs ?? undefined);
    const known = figures.filter((f): f is number => f !== undefined);
    if (known.length < 2) return candidates;
    if (++this.orders % EXPLORE_EVERY === 0) return candidates;
    const limit = Math.max(SLOW_FLOOR_MS, SLOW_FACTOR * Math.min(...known));
    const slow = (i: number) => figures[i] !== undefined && figures[i]! > limit;
    if (!candidates.some((_, i) => slow(i))) return candidates;
    return [...candidates.filter((_, i) => !slow(i)), ...candidates.filter((_, i) => slow(i))];
  }

  coolDown(listingId: string): void {
    this.cooldownUntil.set(listingId, this.now() + this.cooldownMs);
  }
}
