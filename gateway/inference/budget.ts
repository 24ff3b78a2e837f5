// Spend guards: before a request is forwarded, its worst-case cost is reserved against the key's
// cycle limit, its group's monthly budget and the account's balance, and in the same step its rate
// limits (rate-limits.ts: requests and tokens per minute, requests in flight) are taken; afterwards
// the reservation settles to the actual cost and tokens. Reservation is atomic: one process in
// memory, or one Lua script in Redis so that the limits hold across every gateway replica. A refusal
// of any counter leaves every counter as it was.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { cycleEnd, cycleStart, utcDay } from '../../subgraphs/common/cycles';
import type { EventBus } from '../../subgraphs/common/bus';
import type { BalanceChangedEvent } from '../../subgraphs/common/events';
import type { KeySnapshot } from './key-snapshots';
import {
  holdsOf,
  MemoryRateCounters,
  redisRateArgs,
  refusalFor,
  REDIS_RATE_CHECK,
  REDIS_RATE_TAKE,
  tokenCorrection,
  type RateHold,
  type RateRefusal,
  type RateSpec,
} from './rate-limits';

export type Refusal = 'key_limit' | 'group_budget' | 'balance';

export interface Reservation {
  /** Names this reservation: settling it twice, or settling one never made, moves nothing. */
  id: string;
  counters: string[];
  amountMicros: number;
  /** Rate counters to give back (slots) or correct (token windows) at settlement. */
  rate?: RateHold[];
}

export interface BudgetGuard {
  /** Money and rate limits together: a refusal of either takes nothing from any counter. */
  reserve(snapshot: KeySnapshot, amountMicros: number, now: Date): Promise<Reservation | Refusal>;
  reserve(snapshot: KeySnapshot, amountMicros: number, now: Date, rate: RateSpec[]): Promise<Reservation | Refusal | RateRefusal>;
  /** Rate limits alone (a listing's capacity), in the same store and with the same settlement. */
  hold(rate: RateSpec[], now: Date): Promise<Reservation | RateRefusal>;
  /**
   * Never rejects: a settlement the store cannot take now is retried in the background. Token
   * windows are corrected to `actualTokens` (at most what was taken); without it they keep it all.
   */
  settle(reservation: Reservation, actualMicros: number, actualTokens?: number): Promise<void>;
  close(): Promise<void>;
}

interface CounterSpec {
  name: string;
  /** When the snapshot the seed and limit come from began loading (performance.now(); 0: unknown). */
  seededAt: number;
  /** Spend already known (from billing) when the counter is first seen. */
  seed: number;
  /** The ceiling, or -1 for none. For the balance, the seed is the ceiling and spend counts up. */
  limit: number;
  ttlMs: number;
  refusal: Refusal;
  /**
   * The balance ceiling is billing's balance when the counter starts; billing's later figure
   * already includes what this counter has spent, so it must not replace the ceiling (it would
   * count that spend twice). A top-up or credit adds its delta to the ceiling instead
   * (balance.changed), keeping what is spent and reserved. After a bus gap (balance.changed may
   * have been lost) it is rebased once: see `rebaseAfterGap`.
   */
  fixedLimit: boolean;
}

/**
 * After a bus gap a balance change may have been missed (a top-up while Redis was cut), and the
 * ceiling would stay short until the counter expires (an hour): a paying buyer refused. So the
 * next reservation of each balance counter rebases it on the snapshot it carries (loaded again,
 * since the snapshots are dropped at the same gap): the ceiling becomes billing's balance and
 * spend starts again at 0, while what is reserved stays held. That is what a counter seeded
 * afresh does, so it is as safe: spend settled but not yet billed may be allowed once more, and
 * billing floors each debit at the balance. (A request already past authorize when the gap is
 * reported rebases with the snapshot it holds.)
 */
const REBASE_WINDOW_MS = 3_600_000;

/** The three counters a request is held against; their names change when a window rolls over. */
export function countersFor(snapshot: KeySnapshot, now: Date): CounterSpec[] {
  const specs: CounterSpec[] = [];
  if (snapshot.limitMicros !== null) {
    const window = snapshot.cycle ? cycleStart(snapshot.cycle, now).getTime() : 0;
    const ttlMs = snapshot.cycle ? cycleEnd(snapshot.cycle, now).getTime() - now.getTime() + 60_000 : 7 * 86_400_000;
    specs.push({
      name: `key:${snapshot.keyId}:${snapshot.cycle ?? 'total'}:${window}`,
      seed: snapshot.spentMicros,
      limit: snapshot.limitMicros,
      ttlMs,
      refusal: 'key_limit',
      fixedLimit: false,
      seededAt: snapshot.loadStartedAt ?? 0,
    });
  }
  if (snapshot.groupId && snapshot.groupBudgetMicros !== null) {
    const month = utcDay(now).slice(0, 7);
    specs.push({
      name: `group:${snapshot.groupId}:${month}`,
      seed: snapshot.groupSpentMicros,
      limit: snapshot.groupBudgetMicros,
      ttlMs: cycleEnd('monthly', now).getTime() - now.getTime() + 60_000,
      refusal: 'group_budget',
      fixedLimit: false,
      seededAt: snapshot.loadStartedAt ?? 0,
    });
  }
  // When this counter expires it is seeded again from the snapshot, which may not yet include
  // spend still in flight or not yet billed, so for a while it can allow a little more than the
  // balance. That is safe: billing floors each debit at the balance, so it never goes below zero.
  specs.push({
    name: balanceCounter(snapshot.accountId),
    seed: 0,
    limit: Math.max(0, snapshot.balanceMicros),
    ttlMs: 3_600_000,
    refusal: 'balance',
    fixedLimit: true,
    seededAt: snapshot.loadStartedAt ?? 0,
  });
  return specs;
}

function balanceCounter(accountId: string): string {
  return `balance:${accountId}`;
}

/** A change the counters can apply, or null for a malformed event (it moves nothing). */
function balanceChange(event: BalanceChangedEvent): BalanceChangedEvent | null {
  const { accountId, deltaMicros, postingId } = event;
  if (
    typeof accountId !== 'string' ||
    accountId === '' ||
    typeof postingId !== 'string' ||
    postingId === '' ||
    !Number.isSafeInteger(deltaMicros)
  )
    return null;
  return { accountId, deltaMicros, postingId };
}

/** The data plane settles at most what it reserved; enforced here so a counter can never be overcharged. */
function settledAmount(reservation: Reservation, actualMicros: number): number {
  const actual = Number.isFinite(actualMicros) ? Math.trunc(actualMicros) : 0;
  return Math.min(reservation.amountMicros, Math.max(0, actual));
}

/** Posting ids a memory guard remembers, to apply a redelivered balance change once. */
const SEEN_POSTINGS = 10_000;
/** How long Redis remembers an applied posting: far longer than any redelivery. */
const POSTING_TTL_MS = 3_600_000;

export class MemoryBudgetGuard implements BudgetGuard {
  /** `rebaseAfter`: a gap was heard then (performance.now()); the next snapshot loaded after it rebases the counter. */
  private readonly counters = new Map<string, { spent: number; reserved: number; limit: number; expires: number; rebaseAfter?: number }>();
  private readonly rates = new MemoryRateCounters();
  /** Insertion-ordered, so the oldest id is dropped first once it is full. */
  private readonly seenPostings = new Set<string>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    bus: EventBus,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = [
      bus.subscribe('balance.changed', (event) => this.applyBalanceChange(event)),
      // Balance changes may have been lost: each balance counter is rebased at its next reservation.
      bus.onGap(() => {
        const at = performance.now();
        for (const [name, counter] of this.counters) if (name.startsWith('balance:')) counter.rebaseAfter = at;
      }),
    ];
  }

  /**
   * Why add the delta rather than drop the counter: requests in flight hold reservations on it, and
   * a counter seeded again would forget them. A missing counter is seeded later from a snapshot that
   * already includes the change.
   */
  private applyBalanceChange(event: BalanceChangedEvent): void {
    const change = balanceChange(event);
    if (!change || this.seenPostings.has(change.postingId)) return;
    this.seenPostings.add(change.postingId);
    if (this.seenPostings.size > SEEN_POSTINGS) this.seenPostings.delete(this.seenPostings.values().next().value as string);
    const counter = this.counters.get(balanceCounter(change.accountId));
    if (!counter || counter.expires <= this.now()) return;
    counter.limit = Math.max(0, counter.limit + change.deltaMicros);
  }

  reserve(snapshot: KeySnapshot, amountMicros: number, at: Date): Promise<Reservation | Refusal>;
  reserve(snapshot: KeySnapshot, amountMicros: number, at: Date, rate: RateSpec[]): Promise<Reservation | Refusal | RateRefusal>;
  async reserve(
    snapshot: KeySnapshot,
    amountMicros: number,
    at: Date,
    rate: RateSpec[] = [],
  ): Promise<Reservation | Refusal | RateRefusal> {
    const specs = countersFor(snapshot, at);
    const now = this.now();
    const counters = specs.map((spec) => {
      let counter = this.counters.get(spec.name);
      if (!counter || counter.expires <= now) {
        counter = { spent: spec.seed, reserved: 0, limit: spec.limit, expires: now + spec.ttlMs };
        this.counters.set(spec.name, counter);
      }
      if (!spec.fixedLimit) counter.limit = spec.limit;
      // Only a snapshot loaded since the gap knows the changes the gap may have lost.
      else if (counter.rebaseAfter !== undefined && spec.seededAt > counter.rebaseAfter)
        Object.assign(counter, { spent: spec.seed, limit: spec.limit, rebaseAfter: undefined });
      return counter;
    });
    for (let i = 0; i < specs.length; i++) {
      const c = counters[i];
      if (c.spent + c.reserved + amountMicros > c.limit) return specs[i].refusal;
    }
    // Rate windows run on the injected clock (`at`), so a test can move to the next minute.
    const refused = this.rates.check(rate, at.getTime());
    if (refused >= 0) return refusalFor(rate[refused], at);
    const id = randomUUID();
    for (const c of counters) c.reserved += amountMicros;
    this.rates.take(rate, id, at.getTime());
    return { id, counters: specs.map((s) => s.name), amountMicros, rate: holdsOf(rate) };
  }

  async hold(rate: RateSpec[], at: Date): Promise<Reservation | RateRefusal> {
    const refused = this.rates.check(rate, at.getTime());
    if (refused >= 0) return refusalFor(rate[refused], at);
    const id = randomUUID();
    this.rates.take(rate, id, at.getTime());
    return { id, counters: [], amountMicros: 0, rate: holdsOf(rate) };
  }

  async settle(reservation: Reservation, actualMicros: number, actualTokens?: number): Promise<void> {
    if (reservation.rate?.length) this.rates.give(reservation.rate, reservation.id, actualTokens);
    reservation.rate = [];
    const actual = settledAmount(reservation, actualMicros);
    for (const name of reservation.counters) {
      const counter = this.counters.get(name);
      if (!counter) continue;
      counter.reserved = Math.max(0, counter.reserved - reservation.amountMicros);
      counter.spent += actual;
    }
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribe) off();
  }
}

/**
 * Each counter is a Redis hash {spent, reserved, limit}. The script seeds missing counters, checks
 * every ceiling, and reserves on all of them, or on none. The last key marks the reservation (why:
 * a command cut off by a dying connection may have run or not, and ioredis may resend it after a
 * reconnect; the marker makes a repeated reserve a no-op, and settle acts only if it deletes it).
 */
const RESERVE_SCRIPT = `
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local id = ARGV[5]
local marker = KEYS[n + m + 1]
if redis.call('EXISTS', marker) == 1 then return 0 end
for i = 1, n do
  local key = KEYS[i]
  local base = 5 + (i - 1) * 4
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'spent', ARGV[base + 1], 'reserved', 0, 'limit', ARGV[base + 2])
    redis.call('PEXPIRE', key, ARGV[base + 3])
  elseif ARGV[base + 4] == '0' then
    redis.call('HSET', key, 'limit', ARGV[base + 2])
  elseif ARGV[base + 4] == '2' then
    redis.call('HSET', key, 'spent', ARGV[base + 1], 'limit', ARGV[base + 2])
  end
end
for i = 1, n do
  local key = KEYS[i]
  local spent = tonumber(redis.call('HGET', key, 'spent'))
  local reserved = tonumber(redis.call('HGET', key, 'reserved'))
  local limit = tonumber(redis.call('HGET', key, 'limit'))
  if spent + reserved + amount > limit then return i end
end
local rbase = 5 + n * 4
${REDIS_RATE_CHECK}
for i = 1, n do redis.call('HINCRBY', KEYS[i], 'reserved', amount) end
${REDIS_RATE_TAKE}
redis.call('SET', marker, amount, 'PX', ARGV[#ARGV])
return 0
`;

/** KEYS: the money counters (ARGV[3] of them), the rate counters to settle, the marker. */
const SETTLE_SCRIPT = `
if redis.call('DEL', KEYS[#KEYS]) == 0 then return 0 end
local n = tonumber(ARGV[3])
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HINCRBY', KEYS[i], 'reserved', -tonumber(ARGV[1]))
    redis.call('HINCRBY', KEYS[i], 'spent', tonumber(ARGV[2]))
  end
end
for j = 1, #KEYS - 1 - n do
  local key = KEYS[n + j]
  local kind = ARGV[4 + (j - 1) * 2 + 1]
  local value = ARGV[4 + (j - 1) * 2 + 2]
  if kind == 'slots' then
    redis.call('ZREM', key, value)
  elseif value ~= '0' and redis.call('EXISTS', key) == 1 then
    if redis.call('INCRBY', key, value) < 0 then redis.call('SET', key, 0, 'KEEPTTL') end
  end
end
return 0
`;

/**
 * Every replica receives each balance.changed; the posting marker (set first, NX) lets only the
 * first apply it. The delta goes to an existing counter's limit, floored at 0; a missing counter
 * is left alone (it is seeded from a snapshot that already includes the change).
 */
const BALANCE_CHANGE_SCRIPT = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HINCRBY', KEYS[1], 'limit', ARGV[1]) < 0 then redis.call('HSET', KEYS[1], 'limit', 0) end
return 1
`;

export class RedisBudgetGuard implements BudgetGuard {
  private readonly redis: Redis;
  private readonly unsubscribe: (() => void)[];
  /** Since the last bus gap (null: none within the counters' lifetime): the balance counters rebased already. */
  private rebased: { since: number; names: Set<string> } | null = null;
  /** Settlements Redis could not take (it was down): retried until they land, so no reservation stays held. */
  private readonly unsettled = new Map<string, { reservation: Reservation; actualMicros: number; actualTokens?: number }>();
  /** Balance changes Redis could not take, by posting id: retried the same way (the marker keeps them once). */
  private readonly unapplied = new Map<string, BalanceChangedEvent>();
  private retryTimer: NodeJS.Timeout | null = null;
  private retrying = false;
  private retryDelayMs = 0;

  constructor(
    url: string,
    private readonly namespace: string,
    bus: EventBus,
  ) {
    // Back within a fifth of a second of Redis returning (ioredis's default backs off to 2 s).
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, retryStrategy: (times: number) => Math.min(times * 50, 200) });
    this.redis.on('error', () => {});
    this.unsubscribe = [
      bus.subscribe('balance.changed', (event) => {
        const change = balanceChange(event);
        if (change) void this.tryApplyBalanceChange(change).catch(() => this.retryBalanceChangeLater(change));
      }),
      // Each replica that saw the gap rebases a counter once (another replica's rebase of the same
      // counter is the same reseed again, as safe).
      bus.onGap(() => (this.rebased = { since: performance.now(), names: new Set() })),
    ];
  }

  /** '0': the limit follows the snapshot; '1': fixed (the balance); '2': a balance counter rebased now. */
  private limitMode(spec: CounterSpec): string {
    if (!spec.fixedLimit) return '0';
    if (this.rebased && performance.now() - this.rebased.since > REBASE_WINDOW_MS) this.rebased = null; // every counter since is a new one
    // Only a snapshot loaded since the gap knows the changes the gap may have lost.
    return this.rebased && spec.seededAt > this.rebased.since && !this.rebased.names.has(spec.name) ? '2' : '1';
  }

  private async tryApplyBalanceChange(change: BalanceChangedEvent): Promise<void> {
    const keys = [this.key(balanceCounter(change.accountId)), this.key(`posting:${change.postingId}`)];
    await this.redis.eval(BALANCE_CHANGE_SCRIPT, keys.length, ...keys, String(change.deltaMicros), String(POSTING_TTL_MS));
  }

  private retryBalanceChangeLater(change: BalanceChangedEvent): void {
    this.unapplied.set(change.postingId, change);
    this.scheduleRetry();
  }

  private key(name: string): string {
    return `${this.namespace}:budget:${name}`;
  }

  reserve(snapshot: KeySnapshot, amountMicros: number, at: Date): Promise<Reservation | Refusal>;
  reserve(snapshot: KeySnapshot, amountMicros: number, at: Date, rate: RateSpec[]): Promise<Reservation | Refusal | RateRefusal>;
  async reserve(
    snapshot: KeySnapshot,
    amountMicros: number,
    at: Date,
    rate: RateSpec[] = [],
  ): Promise<Reservation | Refusal | RateRefusal> {
    const specs = countersFor(snapshot, at);
    const result = await this.run(specs, amountMicros, rate, at);
    if (typeof result === 'number') return result < specs.length ? specs[result].refusal : refusalFor(rate[result - specs.length], at);
    return result;
  }

  async hold(rate: RateSpec[], at: Date): Promise<Reservation | RateRefusal> {
    const result = await this.run([], 0, rate, at);
    return typeof result === 'number' ? refusalFor(rate[result], at) : result;
  }

  /** The reservation, or the index of the first refusing counter (money counters first, then rates). */
  private async run(specs: CounterSpec[], amountMicros: number, rate: RateSpec[], at: Date): Promise<Reservation | number> {
    const reservation: Reservation = { id: randomUUID(), counters: specs.map((s) => s.name), amountMicros, rate: holdsOf(rate) };
    const markerTtlMs = Math.max(60_000, ...specs.map((s) => s.ttlMs), ...rate.map((s) => s.ttlMs));
    const args = [
      String(specs.length),
      String(rate.length),
      String(amountMicros),
      String(at.getTime()),
      reservation.id,
      ...specs.flatMap((s) => [String(s.seed), String(s.limit), String(s.ttlMs), this.limitMode(s)]),
      ...redisRateArgs(rate),
      String(markerTtlMs),
    ];
    const keys = [...specs.map((s) => this.key(s.name)), ...rate.map((s) => this.key(`rate:${s.name}`)), this.marker(reservation)];
    let result: number;
    try {
      result = Number(await this.redis.eval(RESERVE_SCRIPT, keys.length, ...keys, ...args));
    } catch (error) {
      // The script may have run before the connection died: release it once Redis is back (a no-op if it did not).
      this.retryLater(reservation, 0, 0);
      throw error;
    }
    // The rebase ran with the script (whether it reserved or refused).
    if (this.rebased)
      for (const spec of specs) if (spec.fixedLimit && spec.seededAt > this.rebased.since) this.rebased.names.add(spec.name);
    return result > 0 ? result - 1 : reservation;
  }

  async settle(reservation: Reservation, actualMicros: number, actualTokens?: number): Promise<void> {
    // Why never reject: the request is already answered and its usage must still be metered; a
    // failed settlement would otherwise hold the reservation against the key until its window ends.
    const actual = settledAmount(reservation, actualMicros);
    await this.trySettle(reservation, actual, actualTokens).catch(() => this.retryLater(reservation, actual, actualTokens));
  }

  private marker(reservation: Reservation): string {
    return this.key(`reservation:${reservation.id}`);
  }

  private async trySettle(reservation: Reservation, actualMicros: number, actualTokens?: number): Promise<void> {
    const rate = reservation.rate ?? [];
    const keys = [
      ...reservation.counters.map((n) => this.key(n)),
      ...rate.map((h) => this.key(`rate:${h.name}`)),
      this.marker(reservation),
    ];
    const rateArgs = rate.flatMap((h) => [h.kind, h.kind === 'slots' ? reservation.id : String(tokenCorrection(h, actualTokens))]);
    await this.redis.eval(
      SETTLE_SCRIPT,
      keys.length,
      ...keys,
      String(reservation.amountMicros),
      String(actualMicros),
      String(reservation.counters.length),
      reservation.id,
      ...rateArgs,
    );
  }

  private retryLater(reservation: Reservation, actualMicros: number, actualTokens?: number): void {
    this.unsettled.set(reservation.id, { reservation, actualMicros, actualTokens });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.retrying || this.unsettled.size + this.unapplied.size === 0) return;
    this.retryDelayMs = Math.min(5_000, Math.max(200, this.retryDelayMs * 2));
    this.retryTimer = setTimeout(() => void this.retryUnsettled(), this.retryDelayMs);
    this.retryTimer.unref();
  }

  private async retryUnsettled(): Promise<void> {
    this.retryTimer = null;
    this.retrying = true;
    try {
      for (const [id, { reservation, actualMicros, actualTokens }] of this.unsettled) {
        await this.trySettle(reservation, actualMicros, actualTokens);
        this.unsettled.delete(id);
      }
      for (const [id, change] of this.unapplied) {
        await this.tryApplyBalanceChange(change);
        this.unapplied.delete(id);
      }
      this.retryDelayMs = 0;
    } catch {
      // Still down: try again later.
    } finally {
      this.retrying = false;
    }
    this.scheduleRetry();
  }

  /** Settlements still waiting for Redis (tests, metrics). */
  get pendingSettlements(): number {
    return this.unsettled.size;
  }

  /** Balance changes still waiting for Redis (tests, metrics). */
  get pendingBalanceChanges(): number {
    return this.unapplied.size;
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribe) off();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.unsettled.size + this.unapplied.size > 0) await this.retryUnsettled();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.redis.quit().catch(() => {});
  }
}
