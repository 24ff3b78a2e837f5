// Rate limits held in the same atomic step as the spend guards (budget.ts): requests per minute,
// tokens per minute and requests in flight, for a key, its group and a listing. Windows are fixed
// (one per minute, or one per UTC day for a listing's daily tokens), named by the window's start
// on the injected clock, so the counters of every replica agree on what "this minute" is.
import type { KeySnapshot, RateLimits } from './key-snapshots';

export type RateScope = 'key' | 'group' | 'listing';
export type RateLimitName = 'rpm' | 'tpm' | 'parallel' | 'daily_tokens';

/**
 * One counter a request is held against:
 * - `count`: a window of requests (taken, never given back),
 * - `tokens`: a window of tokens (the worst case taken, corrected to the billed tokens at settlement),
 * - `slots`: requests in flight (taken, given back at settlement; a lease bounds a slot whose
 *   gateway died, so it cannot be lost for good).
 */
export interface RateSpec {
  name: string;
  kind: 'count' | 'tokens' | 'slots';
  limit: number;
  amount: number;
  /** count/tokens: how long the window's counter lives; slots: the lease. */
  ttlMs: number;
  /** When the window frees (count/tokens), ms since the epoch; null for slots. */
  resetsAt: number | null;
  scope: RateScope;
  limitName: RateLimitName;
}

/** What a settlement gives back or corrects. */
export interface RateHold {
  name: string;
  kind: RateSpec['kind'];
  amount: number;
}

export interface RateRefusal {
  kind: 'rate';
  scope: RateScope;
  limit: RateLimitName;
  /** The limit's value (requests, tokens or slots). */
  value: number;
  /** Seconds until the window frees (at least 1; slots: 1, as a slot frees when any request ends). */
  retryAfterSeconds: number;
}

export function isRateRefusal(value: unknown): value is RateRefusal {
  return typeof value === 'object' && value !== null && (value as RateRefusal).kind === 'rate';
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** A window's counter outlives its window a little, so a late settlement still finds it. */
const WINDOW_GRACE_MS = 5 * MINUTE_MS;
/** A slot's lease: longer than any request can run (the longest stream is bounded by STREAM_TOTAL_TIMEOUT_MS). */
export const DEFAULT_SLOT_LEASE_MS = 30 * MINUTE_MS;

function windowOf(at: number, lengthMs: number): { start: number; end: number } {
  const start = at - (at % lengthMs);
  return { start, end: start + lengthMs };
}

/** The specs of one owner's rate limits (a key's, a group's or a listing's). */
export function rateSpecs(
  scope: RateScope,
  id: string,
  limits: Partial<RateLimits> & { dailyTokens?: number | null },
  tokens: number,
  at: Date,
  leaseMs = DEFAULT_SLOT_LEASE_MS,
): RateSpec[] {
  const now = at.getTime();
  const minute = windowOf(now, MINUTE_MS);
  const specs: RateSpec[] = [];
  const window = (limitName: RateLimitName, kind: 'count' | 'tokens', limit: number, amount: number, w: { start: number; end: number }) =>
    specs.push({
      name: `${limitName}:${scope}:${id}:${w.start}`,
      kind,
      limit,
      amount,
      ttlMs: w.end - now + WINDOW_GRACE_MS,
      resetsAt: w.end,
      scope,
      limitName,
    });
  if (limits.rpm) window('rpm', 'count', limits.rpm, 1, minute);
  if (limits.tpm) window('tpm', 'tokens', limits.tpm, tokens, minute);
  if (limits.dailyTokens) window('daily_tokens', 'tokens', limits.dailyTokens, tokens, windowOf(now, DAY_MS));
  if (limits.maxParallel)
    specs.push({
      name: `parallel:${scope}:${id}`,
      kind: 'slots',
      limit: limits.maxParallel,
      amount: 1,
      ttlMs: leaseMs,
      resetsAt: null,
      scope,
      limitName: 'parallel',
    });
  return specs;
}

/** A buyer key's own limits and its group's (one group counter, whichever of its keys is used). */
export function keyRateSpecs(snapshot: KeySnapshot, tokens: number, at: Date, leaseMs?: number): RateSpec[] {
  const specs = snapshot.rateLimits ? rateSpecs('key', snapshot.keyId, snapshot.rateLimits, tokens, at, leaseMs) : [];
  if (snapshot.groupId && snapshot.groupRateLimits)
    specs.push(...rateSpecs('group', snapshot.groupId, snapshot.groupRateLimits, tokens, at, leaseMs));
  return specs;
}

/** The refusal a spec gives at `at`. */
export function refusalFor(spec: RateSpec, at: Date): RateRefusal {
  const retryAfterSeconds = spec.resetsAt === null ? 1 : Math.max(1, Math.ceil((spec.resetsAt - at.getTime()) / 1000));
  return { kind: 'rate', scope: spec.scope, limit: spec.limitName, value: spec.limit, retryAfterSeconds };
}

/**
 * A settlement corrects a token window to the billed tokens, never above what it took (billing
 * never bills beyond the reservation either); without a figure the window keeps it all.
 */
export function tokenCorrection(hold: RateHold, actualTokens: number | undefined): number {
  if (actualTokens === undefined) return 0;
  const actual = Number.isFinite(actualTokens) ? Math.max(0, Math.trunc(actualTokens)) : 0;
  return Math.min(hold.amount, actual) - hold.amount;
}

export function holdsOf(specs: RateSpec[]): RateHold[] {
  return specs.filter((s) => s.kind !== 'count').map((s) => ({ name: s.name, kind: s.kind, amount: s.amount }));
}

/** One process's rate counters (the memory guard's): windows by name, slots by name → reservation id → lease end. */
export class MemoryRateCounters {
  private readonly windows = new Map<string, { used: number; expires: number }>();
  private readonly slots = new Map<string, Map<string, number>>();
  private sweeps = 0;

  /** The first spec that cannot take its amount at `now`, or -1 when every one can. */
  check(specs: RateSpec[], now: number): number {
    if (++this.sweeps % 1_000 === 0) this.sweep(now);
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i];
      if (spec.kind === 'slots') {
        const held = this.slots.get(spec.name);
        if (held) for (const [id, until] of held) if (until <= now) held.delete(id);
        if ((held?.size ?? 0) + 1 > spec.limit) return i;
      } else {
        const window = this.windows.get(spec.name);
        const used = window && window.expires > now ? window.used : 0;
        if (used + spec.amount > spec.limit) return i;
      }
    }
    return -1;
  }

  /** Takes every spec's amount (after a passing check, in the same synchronous step). */
  take(specs: RateSpec[], reservationId: string, now: number): void {
    for (const spec of specs) {
      if (spec.kind === 'slots') {
        let held = this.slots.get(spec.name);
        if (!held) this.slots.set(spec.name, (held = new Map()));
        held.set(reservationId, now + spec.ttlMs);
      } else {
        const window = this.windows.get(spec.name);
        if (window && window.expires > now) window.used += spec.amount;
        else this.windows.set(spec.name, { used: spec.amount, expires: now + spec.ttlMs });
      }
    }
  }

  give(holds: RateHold[], reservationId: string, actualTokens: number | undefined): void {
    for (const hold of holds) {
      if (hold.kind === 'slots') {
        this.slots.get(hold.name)?.delete(reservationId);
      } else if (hold.kind === 'tokens') {
        const window = this.windows.get(hold.name);
        if (window) window.used = Math.max(0, window.used + tokenCorrection(hold, actualTokens));
      }
    }
  }

  private sweep(now: number): void {
    for (const [name, window] of this.windows) if (window.expires <= now) this.windows.delete(name);
    for (const [name, held] of this.slots) {
      for (const [id, until] of held) if (until <= now) held.delete(id);
      if (held.size === 0) this.slots.delete(name);
    }
  }
}

/**
 * The Redis side, spliced into the reserve script after the money checks. KEYS[n + j] is rate spec
 * j; its ARGV are kind, limit, amount, ttl from `rbase`. A window is a string counter; slots are a
 * sorted set of reservation ids scored by lease end (expired leases are pruned first).
 */
export const REDIS_RATE_CHECK = `
for j = 1, m do
  local key = KEYS[n + j]
  local b = rbase + (j - 1) * 4
  local kind = ARGV[b + 1]
  local limit = tonumber(ARGV[b + 2])
  local amt = tonumber(ARGV[b + 3])
  if kind == 'slots' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    if redis.call('ZCARD', key) + 1 > limit then return n + j end
  else
    local used = tonumber(redis.call('GET', key) or '0')
    if used + amt > limit then return n + j end
  end
end
`;

export const REDIS_RATE_TAKE = `
for j = 1, m do
  local key = KEYS[n + j]
  local b = rbase + (j - 1) * 4
  local ttl = tonumber(ARGV[b + 4])
  if ARGV[b + 1] == 'slots' then
    redis.call('ZADD', key, now + ttl, id)
    redis.call('PEXPIRE', key, ttl)
  else
    redis.call('INCRBY', key, ARGV[b + 3])
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ttl) end
  end
end
`;

export function redisRateArgs(specs: RateSpec[]): string[] {
  return specs.flatMap((s) => [s.kind, String(s.limit), String(s.amount), String(s.ttlMs)]);
}
