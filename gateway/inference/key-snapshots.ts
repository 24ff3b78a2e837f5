// Buyer-key authentication without a GraphQL round trip per request: each key's snapshot (status,
// expiry, IP rules, models, limits, usage, balance, routing profile) is loaded once by one
// federated query and cached; `key.changed` and `balance.changed` events drop it at once.
import { cidrMatcher } from '../../subgraphs/common/cidr';
import type { EventBus } from '../../subgraphs/common/bus';
import type { Cycle } from '../../subgraphs/common/cycles';

/** Requests per minute, tokens per minute, requests in flight; null = unlimited. */
export interface RateLimits {
  rpm: number | null;
  tpm: number | null;
  maxParallel: number | null;
}

export interface KeySnapshot {
  keyId: string;
  accountId: string;
  status: 'active' | 'disabled' | 'revoked';
  expiredAt: number | null;
  allowIp: ((address: string) => boolean) | null;
  denyIp: ((address: string) => boolean) | null;
  allowedModels: Set<string> | null;
  limitMicros: number | null;
  cycle: Cycle | null;
  /** Spend in the current cycle (or in total without a cycle) when loaded. */
  spentMicros: number;
  groupId: string | null;
  groupBudgetMicros: number | null;
  groupSpentMicros: number;
  balanceMicros: number;
  routingProfileId: string | null;
  /** The key's own rate limits, and its group's (shared by every key of the group). */
  rateLimits?: RateLimits;
  groupRateLimits?: RateLimits | null;
  /**
   * performance.now() when its load started: a snapshot whose load began before a bus gap may hold
   * a balance from before a lost change, so it never rebases a balance counter (budget.ts).
   */
  loadStartedAt?: number;
  /** For GET /v1/key: the key's name and everything it has spent. */
  name?: string;
  totalSpentMicros?: number;
}

interface RateLimitRow {
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
}

function rateLimits(row: Partial<RateLimitRow>): RateLimits {
  return { rpm: row.rpmLimit ?? null, tpm: row.tpmLimit ?? null, maxParallel: row.maxParallelRequests ?? null };
}

/** What the federated snapshot query returns (GraphQL enum names, Money objects). */
export interface KeySnapshotRow extends Partial<RateLimitRow> {
  id: string;
  accountId: string;
  status: 'ACTIVE' | 'DISABLED' | 'REVOKED';
  expiredAt: string | null;
  ipAllow: string[];
  ipDeny: string[];
  allowedModels: string[] | null;
  limit: { micros: number } | null;
  cycle: 'DAILY' | 'WEEKLY' | 'MONTHLY' | null;
  groupId: string | null;
  group: ({ monthlyBudget: { micros: number } | null; usageThisMonth: { micros: number } | null } & Partial<RateLimitRow>) | null;
  routingProfileId: string | null;
  usageInCycle: { micros: number } | null;
  usageInTotal?: { micros: number } | null;
  name?: string;
  account: { balance: { micros: number } | null } | null;
}

export function toSnapshot(row: KeySnapshotRow): KeySnapshot {
  return {
    keyId: row.id,
    accountId: row.accountId,
    status: row.status.toLowerCase() as KeySnapshot['status'],
    expiredAt: row.expiredAt ? Date.parse(row.expiredAt) : null,
    allowIp: row.ipAllow.length ? cidrMatcher(row.ipAllow) : null,
    denyIp: row.ipDeny.length ? cidrMatcher(row.ipDeny) : null,
    allowedModels: row.allowedModels ? new Set(row.allowedModels) : null,
    limitMicros: row.limit?.micros ?? null,
    cycle: row.cycle ? (row.cycle.toLowerCase() as Cycle) : null,
    spentMicros: row.usageInCycle?.micros ?? 0,
    groupId: row.groupId,
    groupBudgetMicros: row.group?.monthlyBudget?.micros ?? null,
    groupSpentMicros: row.group?.usageThisMonth?.micros ?? 0,
    balanceMicros: row.account?.balance?.micros ?? 0,
    routingProfileId: row.routingProfileId,
    rateLimits: rateLimits(row),
    groupRateLimits: row.groupId && row.group ? rateLimits(row.group) : null,
    name: row.name,
    totalSpentMicros: row.usageInTotal?.micros ?? 0,
  };
}

interface Entry {
  snapshot: KeySnapshot | null;
  expires: number;
}

export class KeySnapshotCache {
  private readonly entries = new Map<string, Entry>();
  private readonly hashByKey = new Map<string, string>();
  private readonly hashesByAccount = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<KeySnapshot | null>>();
  /** Bumped on every drop: a load that started before a change must not cache what it read. */
  private generation = 0;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly load: (keyHash: string) => Promise<KeySnapshot | null>,
    bus: EventBus,
    private readonly ttlMs = 60_000,
    /** Unknown keys are remembered briefly, so a flood of bad keys cannot flood accounts. */
    private readonly negativeTtlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = [
      bus.subscribe('key.changed', (event) => {
        if (event.kind === 'api-key') this.dropKey(event.keyId);
      }),
      bus.subscribe('balance.changed', (event) => this.dropAccount(event.accountId)),
      // A key revoked while the bus was down must not keep working for the rest of its TTL.
      bus.onGap(() => this.dropAll()),
    ];
  }

  /** Loads the key again, whatever is cached (a buyer asking for its key's figures wants them current). */
  async refresh(keyHash: string): Promise<KeySnapshot | null> {
    const startedAt = this.generation;
    const loadStartedAt = performance.now();
    const snapshot = await this.load(keyHash);
    if (snapshot) snapshot.loadStartedAt = loadStartedAt;
    if (startedAt === this.generation) this.remember(keyHash, snapshot);
    return snapshot;
  }

  async get(keyHash: string): Promise<KeySnapshot | null> {
    const entry = this.entries.get(keyHash);
    if (entry && entry.expires > this.now()) return entry.snapshot;
    // One load per key however many requests arrive together (no stampede on accounts).
    let pending = this.loading.get(keyHash);
    if (!pending) {
      const startedAt = this.generation;
      const loadStartedAt = performance.now();
      pending = this.load(keyHash).then(
        (snapshot) => {
          if (snapshot) snapshot.loadStartedAt = loadStartedAt;
          this.loading.delete(keyHash);
          if (startedAt === this.generation) this.remember(keyHash, snapshot);
          return snapshot;
        },
        (error) => {
          this.loading.delete(keyHash);
          throw error;
        },
      );
      this.loading.set(keyHash, pending);
    }
    return pending;
  }

  private remember(keyHash: string, snapshot: KeySnapshot | null): void {
    this.entries.set(keyHash, { snapshot, expires: this.now() + (snapshot ? this.ttlMs : this.negativeTtlMs) });
    if (!snapshot) return;
    this.hashByKey.set(snapshot.keyId, keyHash);
    let hashes = this.hashesByAccount.get(snapshot.accountId);
    if (!hashes) this.hashesByAccount.set(snapshot.accountId, (hashes = new Set()));
    hashes.add(keyHash);
  }

  dropKey(keyId: string): void {
    this.generation++;
    const hash = this.hashByKey.get(keyId);
    if (hash) {
      this.entries.delete(hash);
      this.loading.delete(hash);
    }
  }

  dropAll(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
    this.hashByKey.clear();
    this.hashesByAccount.clear();
  }

  dropAccount(accountId: string): void {
    this.generation++;
    for (const hash of this.hashesByAccount.get(accountId) ?? []) this.entries.delete(hash);
    this.hashesByAccount.delete(accountId);
  }

  close(): void {
    for (const off of this.unsubscribe) off();
  }
}
