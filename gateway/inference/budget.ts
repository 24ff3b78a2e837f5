// Spend guards: before a request is forwarded, its worst-case cost is reserved against the key's
// cycle limit, its group's monthly budget and the account's balance; afterwards the reservation
// settles to the actual cost. Reservation is atomic: one process in memory, or one Lua script in
// Redis so that the limits hold across every gateway replica.
import { Redis } from 'ioredis';
import { cycleEnd, cycleStart, utcDay } from '../../subgraphs/common/cycles';
import type { EventBus } from '../../subgraphs/common/bus';
import type { KeySnapshot } from './key-snapshots';

export type Refusal = 'key_limit' | 'group_budget' | 'balance';

export interface Reservation {
  counters: string[];
  amountMicros: number;
}

export interface BudgetGuard {
  reserve(snapshot: KeySnapshot, amountMicros: number, now: Date): Promise<Reservation | Refusal>;
  settle(reservation: Reservation, actualMicros: number): Promise<void>;
  close(): Promise<void>;
}

interface CounterSpec {
  name: string;
  /** Spend already known (from billing) when the counter is first seen. */
  seed: number;
  /** The ceiling, or -1 for none. For the balance, the seed is the ceiling and spend counts up. */
  limit: number;
  ttlMs: number;
  refusal: Refusal;
  /**
   * The balance ceiling is billing's balance when the counter starts; billing's later figure
   * already includes what this counter has spent, so it must not replace the ceiling (it would
   * count that spend twice). Top-ups reset the counter instead (balance.changed).
   */
  fixedLimit: boolean;
}

/** The three counters a request is held against; their names change when a window rolls over. */
export function countersFor(snapshot: KeySnapshot, now: Date): CounterSpec[] {
  const specs: CounterSpec[] = [];
  if (snapshot.limitMicros !== null) {
    const window = snapshot.cycle ? cycleStart(snapshot.cycle, now).getTime() : 0;
    const ttlMs = snapshot.cycle ? cycleEnd(snapshot.cycle, now).getTime() - now.getTime() + 60_000 : 7 * 86_400_000;
    specs.push({ name: `key:${snapshot.keyId}:${snapshot.cycle ?? 'total'}:${window}`, seed: snapshot.spentMicros, limit: snapshot.limitMicros, ttlMs, refusal: 'key_limit', fixedLimit: false });
  }
  if (snapshot.groupId && snapshot.groupBudgetMicros !== null) {
    const month = utcDay(now).slice(0, 7);
    specs.push({ name: `group:${snapshot.groupId}:${month}`, seed: snapshot.groupSpentMicros, limit: snapshot.groupBudgetMicros, ttlMs: cycleEnd('monthly', now).getTime() - now.getTime() + 60_000, refusal: 'group_budget', fixedLimit: false });
  }
  specs.push({ name: `balance:${snapshot.accountId}`, seed: 0, limit: Math.max(0, snapshot.balanceMicros), ttlMs: 3_600_000, refusal: 'balance', fixedLimit: true });
  return specs;
}

export class MemoryBudgetGuard implements BudgetGuard {
  private readonly counters = new Map<string, { spent: number; reserved: number; limit: number; expires: number }>();
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, private readonly now: () => number = Date.now) {
    // A top-up or credit changes the balance ceiling: start the balance counter again from billing.
    this.unsubscribe = bus.subscribe('balance.changed', (event) => this.counters.delete(`balance:${event.accountId}`));
  }

  async reserve(snapshot: KeySnapshot, amountMicros: number, at: Date): Promise<Reservation | Refusal> {
    const specs = countersFor(snapshot, at);
    const now = this.now();
    const counters = specs.map((spec) => {
      let counter = this.counters.get(spec.name);
      if (!counter || counter.expires <= now) {
        counter = { spent: spec.seed, reserved: 0, limit: spec.limit, expires: now + spec.ttlMs };
        this.counters.set(spec.name, counter);
      }
      if (!spec.fixedLimit) counter.limit = spec.limit;
      return counter;
    });
    for (let i = 0; i < specs.length; i++) {
      const c = counters[i];
      if (c.spent + c.reserved + amountMicros > c.limit) return specs[i].refusal;
    }
    for (const c of counters) c.reserved += amountMicros;
    return { counters: specs.map((s) => s.name), amountMicros };
  }

  async settle(reservation: Reservation, actualMicros: number): Promise<void> {
    for (const name of reservation.counters) {
      const counter = this.counters.get(name);
      if (!counter) continue;
      counter.reserved = Math.max(0, counter.reserved - reservation.amountMicros);
      counter.spent += actualMicros;
    }
  }

  async close(): Promise<void> {
    this.unsubscribe();
  }
}

/**
 * Each counter is a Redis hash {spent, reserved, limit}. The script seeds missing counters, checks
 * every ceiling, and reserves on all of them, or on none.
 */
const RESERVE_SCRIPT = `
local amount = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 4
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'spent', ARGV[base + 1], 'reserved', 0, 'limit', ARGV[base + 2])
    redis.call('PEXPIRE', key, ARGV[base + 3])
  elseif ARGV[base + 4] == '0' then
    redis.call('HSET', key, 'limit', ARGV[base + 2])
  end
end
for i, key in ipairs(KEYS) do
  local spent = tonumber(redis.call('HGET', key, 'spent'))
  local reserved = tonumber(redis.call('HGET', key, 'reserved'))
  local limit = tonumber(redis.call('HGET', key, 'limit'))
  if spent + reserved + amount > limit then return i end
end
for _, key in ipairs(KEYS) do redis.call('HINCRBY', key, 'reserved', amount) end
return 0
`;

const SETTLE_SCRIPT = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'reserved', -tonumber(ARGV[1]))
    redis.call('HINCRBY', key, 'spent', tonumber(ARGV[2]))
  end
end
return 0
`;

export class RedisBudgetGuard implements BudgetGuard {
  private readonly redis: Redis;
  private readonly unsubscribe: () => void;

  constructor(url: string, private readonly namespace: string, bus: EventBus) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.redis.on('error', () => {});
    this.unsubscribe = bus.subscribe('balance.changed', (event) => void this.redis.del(this.key(`balance:${event.accountId}`)).catch(() => {}));
  }

  private key(name: string): string {
    return `${this.namespace}:budget:${name}`;
  }

  async reserve(snapshot: KeySnapshot, amountMicros: number, at: Date): Promise<Reservation | Refusal> {
    const specs = countersFor(snapshot, at);
    const args = [String(amountMicros), ...specs.flatMap((s) => [String(s.seed), String(s.limit), String(s.ttlMs), s.fixedLimit ? '1' : '0'])];
    const result = Number(await this.redis.eval(RESERVE_SCRIPT, specs.length, ...specs.map((s) => this.key(s.name)), ...args));
    if (result > 0) return specs[result - 1].refusal;
    return { counters: specs.map((s) => s.name), amountMicros };
  }

  async settle(reservation: Reservation, actualMicros: number): Promise<void> {
    await this.redis.eval(SETTLE_SCRIPT, reservation.counters.length, ...reservation.counters.map((n) => this.key(n)), String(reservation.amountMicros), String(actualMicros));
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.redis.quit().catch(() => {});
  }
}
