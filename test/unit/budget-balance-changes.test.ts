// The balance counter across top-ups and credits: balance.changed adds its delta to the ceiling and
// keeps the reservations held by requests in flight (it used to drop the counter, so a top-up
// mid-flight forgot them and let twice as many requests through), applies each posting once, and a
// settlement never charges more than was reserved. Both guards; Redis when TEST_REDIS_URL is set.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryBudgetGuard, RedisBudgetGuard, type BudgetGuard, type Reservation } from '../../gateway/inference/budget';
import type { KeySnapshot } from '../../gateway/inference/key-snapshots';
import { InMemoryBus, type EventBus, type Handler } from '../../subgraphs/common/bus';
import type { BalanceChangedEvent, BusTopics, Topic } from '../../subgraphs/common/events';
import { TEST_REDIS_URL } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { startTcpProxy, targetOf } from '../helpers/tcp-proxy';

/** A bus the test drives: `deliver` runs every subscriber at once, as a replica receiving the event. */
class FakeBus implements EventBus {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();
  private readonly gapHandlers = new Set<() => void>();

  deliver<T extends Topic>(topic: T, payload: BusTopics[T]): void {
    for (const handler of this.handlers.get(topic) ?? []) handler(payload);
  }

  /** The connection came back after a cut: events may have been lost. */
  gap(): void {
    for (const handler of this.gapHandlers) handler();
  }

  async publish<T extends Topic>(topic: T, payload: BusTopics[T]): Promise<void> {
    this.deliver(topic, payload);
  }

  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => void this.gapHandlers.delete(handler);
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    const h = handler as (payload: unknown) => void;
    set.add(h);
    return () => void set.delete(h);
  }

  subscribers(topic: Topic): number {
    return this.handlers.get(topic)?.size ?? 0;
  }

  async ready(): Promise<void> {}
  async close(): Promise<void> {
    this.handlers.clear();
  }
}

const hex = () => randomBytes(4).toString('hex');

function snapshot(overrides: Partial<KeySnapshot> = {}): KeySnapshot {
  return {
    keyId: `k-${hex()}`,
    accountId: `a-${hex()}`,
    status: 'active',
    expiredAt: null,
    allowIp: null,
    denyIp: null,
    allowedModels: null,
    limitMicros: null,
    cycle: null,
    spentMicros: 0,
    groupId: null,
    groupBudgetMicros: null,
    groupSpentMicros: 0,
    balanceMicros: 100_000,
    routingProfileId: null,
    ...overrides,
  };
}

const change = (accountId: string, deltaMicros: number, postingId = `p-${hex()}`): BalanceChangedEvent => ({
  accountId,
  deltaMicros,
  postingId,
});
const granted = (results: (Reservation | string)[]) => results.filter((r): r is Reservation => typeof r !== 'string');

type Make = (bus: EventBus, namespace: string) => BudgetGuard;
const kinds: [string, Make][] = [['memory', (bus) => new MemoryBudgetGuard(bus)]];
const redisUrl = TEST_REDIS_URL;
if (redisUrl) kinds.push(['redis', (bus, namespace) => new RedisBudgetGuard(redisUrl, namespace, bus)]);
else console.warn('SKIPPED: Redis budget guard balance changes (set TEST_REDIS_URL to run it)');

// Why no waiting after deliver(): the memory guard applies the change inline, and the Redis guard
// sends its script on the same connection as the next reserve, which Redis runs in order.
describe.each(kinds)('%s budget guard: balance changes', (_name, make) => {
  const open: BudgetGuard[] = [];
  let bus: FakeBus;
  const guard = (namespace = `t${randomBytes(6).toString('hex')}`) => {
    const g = make(bus, namespace);
    open.push(g);
    return g;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((g) => g.close()));
  });
  const fresh = () => {
    bus = new FakeBus();
    return guard();
  };

  it('a $0.01 top-up mid-flight keeps the held reservations: 4 of $0.025 on $0.10, then exactly $0.01 more room', async () => {
    const g = fresh();
    const s = snapshot({ balanceMicros: 100_000 });
    const now = new Date();
    const held = granted(await Promise.all(Array.from({ length: 12 }, () => g.reserve(s, 25_000, now))));
    expect(held).toHaveLength(4);
    expect(await g.reserve(s, 1, now)).toBe('balance');

    bus.deliver('balance.changed', change(s.accountId, 10_000));
    // The reloaded snapshot shows billing's new figure; the counter's ceiling is what counts.
    const after = { ...s, balanceMicros: 110_000 };
    const more = await Promise.all(Array.from({ length: 12 }, () => g.reserve(after, 25_000, now)));
    expect(granted(more)).toHaveLength(0);
    const topUpRoom = (await g.reserve(after, 10_000, now)) as Reservation;
    expect(typeof topUpRoom).toBe('object');
    expect(await g.reserve(after, 1, now)).toBe('balance');

    // Everything settles at its full cost: $0.11 spent, the balance plus the top-up, no more.
    for (const r of [...held, topUpRoom]) await g.settle(r, r.amountMicros);
    expect(await g.reserve(after, 1, now)).toBe('balance');
  });

  it('applies a replayed event (the same posting id) once', async () => {
    const g = fresh();
    const s = snapshot({ balanceMicros: 1_000 });
    const now = new Date();
    const first = (await g.reserve(s, 1_000, now)) as Reservation;
    expect(typeof first).toBe('object');
    const topUp = change(s.accountId, 500);
    bus.deliver('balance.changed', topUp);
    bus.deliver('balance.changed', topUp);
    bus.deliver('balance.changed', { ...topUp });
    expect(typeof (await g.reserve(s, 500, now))).toBe('object');
    expect(await g.reserve(s, 1, now)).toBe('balance');
    // A different posting of the same amount is another change.
    bus.deliver('balance.changed', change(s.accountId, 500));
    expect(typeof (await g.reserve(s, 500, now))).toBe('object');
    expect(await g.reserve(s, 1, now)).toBe('balance');
  });

  it('lowers the ceiling on a negative change, floored at zero, keeping what is spent', async () => {
    const g = fresh();
    const s = snapshot({ balanceMicros: 1_000 });
    const now = new Date();
    const r = (await g.reserve(s, 600, now)) as Reservation;
    bus.deliver('balance.changed', change(s.accountId, -5_000));
    expect(await g.reserve(s, 1, now)).toBe('balance');
    await g.settle(r, 0);
    expect(await g.reserve(s, 1, now)).toBe('balance');
    // Floored at 0, not at -4000: a later credit of 300 gives exactly 300 of room.
    bus.deliver('balance.changed', change(s.accountId, 300));
    expect(typeof (await g.reserve(s, 300, now))).toBe('object');
    expect(await g.reserve(s, 1, now)).toBe('balance');
  });

  it('leaves a missing counter alone (it is seeded from the snapshot), and still remembers the posting', async () => {
    const g = fresh();
    const s = snapshot({ balanceMicros: 1_000 });
    const now = new Date();
    const topUp = change(s.accountId, 5_000);
    bus.deliver('balance.changed', topUp);
    // The snapshot loaded after the top-up already includes it.
    const seeded = { ...s, balanceMicros: 6_000 };
    expect(typeof (await g.reserve(seeded, 6_000, now))).toBe('object');
    expect(await g.reserve(seeded, 1, now)).toBe('balance');
    bus.deliver('balance.changed', topUp);
    expect(await g.reserve(seeded, 1, now)).toBe('balance');
  });

  it('ignores a malformed event (no delta or posting id, as billing published before) and keeps the counter', async () => {
    const g = fresh();
    const s = snapshot({ balanceMicros: 1_000 });
    const now = new Date();
    const r = (await g.reserve(s, 1_000, now)) as Reservation;
    for (const bad of [
      { accountId: s.accountId },
      { accountId: s.accountId, deltaMicros: 500 },
      { accountId: s.accountId, postingId: 'p', deltaMicros: 0.5 },
      { accountId: s.accountId, postingId: 'p', deltaMicros: Number.NaN },
    ]) {
      bus.deliver('balance.changed', bad as unknown as BalanceChangedEvent);
    }
    // Still held (a dropped counter would be seeded again from the snapshot's 1000 and allow it).
    expect(await g.reserve(s, 1, now)).toBe('balance');
    await g.settle(r, 400);
    expect(typeof (await g.reserve(s, 600, now))).toBe('object');
    expect(await g.reserve(s, 1, now)).toBe('balance');
  });

  it('settles at most what was reserved; a negative actual counts as 0, a fraction is truncated', async () => {
    const g = fresh();
    const now = new Date();
    const charged = async (actual: number, expected: number) => {
      const s = snapshot({ balanceMicros: 1_000 });
      const r = (await g.reserve(s, 500, now)) as Reservation;
      await g.settle(r, actual);
      expect(typeof (await g.reserve(s, 1_000 - expected, now))).toBe('object');
      expect(await g.reserve(s, 1, now)).toBe('balance');
    };
    await charged(10_000, 500);
    await charged(-300, 0);
    await charged(100.9, 100);
    await charged(Number.NaN, 0);
    // The key limit and group budget are clamped the same way.
    const s = snapshot({ balanceMicros: 1_000_000, limitMicros: 1_000, groupId: `g-${hex()}`, groupBudgetMicros: 1_000 });
    const r = (await g.reserve(s, 500, now)) as Reservation;
    await g.settle(r, 900);
    expect(typeof (await g.reserve(s, 500, now))).toBe('object');
    expect(await g.reserve(s, 1, now)).toBe('key_limit');
  });

  it('unsubscribes on close', async () => {
    bus = new FakeBus();
    const g = make(bus, `t${randomBytes(6).toString('hex')}`);
    expect(bus.subscribers('balance.changed')).toBe(1);
    await g.close();
    expect(bus.subscribers('balance.changed')).toBe(0);
  });
});

describe('memory budget guard on the in-memory bus', () => {
  it('applies a published top-up to the counter held by requests in flight', async () => {
    const bus = new InMemoryBus();
    const g = new MemoryBudgetGuard(bus);
    const s = snapshot({ balanceMicros: 100_000 });
    const now = new Date();
    const held = granted(await Promise.all(Array.from({ length: 8 }, () => g.reserve(s, 25_000, now))));
    expect(held).toHaveLength(4);
    await bus.publish('balance.changed', change(s.accountId, 25_000));
    const fifth = await eventually(async () => {
      const r = await g.reserve(s, 25_000, now);
      expect(typeof r).toBe('object');
      return r as Reservation;
    });
    expect(fifth.amountMicros).toBe(25_000);
    expect(await g.reserve(s, 1, now)).toBe('balance');
    await g.close();
    await bus.close();
  });

  it('remembers a bounded number of posting ids, the newest ones', async () => {
    const bus = new FakeBus();
    const g = new MemoryBudgetGuard(bus);
    const s = snapshot({ balanceMicros: 0 });
    const now = new Date();
    expect(await g.reserve(s, 1, now)).toBe('balance');
    bus.deliver('balance.changed', change(s.accountId, 1, 'p-first'));
    for (let i = 0; i < 9_999; i++) bus.deliver('balance.changed', change(`other-${i}`, 1, `p-${i}`));
    // 10 000 remembered: the first is still among them.
    bus.deliver('balance.changed', change(s.accountId, 1, 'p-first'));
    expect(typeof (await g.reserve(s, 1, now))).toBe('object');
    expect(await g.reserve(s, 1, now)).toBe('balance');
    // One more pushes the oldest out: the memory stays bounded.
    bus.deliver('balance.changed', change('other-last', 1, 'p-last'));
    bus.deliver('balance.changed', change(s.accountId, 1, 'p-first'));
    expect(typeof (await g.reserve(s, 1, now))).toBe('object');
    await g.close();
  });
});

// A top-up whose balance.changed was lost while the bus was cut (pub/sub does not replay).
describe.each(kinds)('%s budget guard: a bus gap', (_name, make) => {
  const open: BudgetGuard[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((g) => g.close()));
  });

  it('rebases each balance counter once on the fresh snapshot: the missed top-up is spendable, reservations held stay held', async () => {
    const bus = new FakeBus();
    const g = make(bus, `t${randomBytes(6).toString('hex')}`);
    open.push(g);
    const s = snapshot({ balanceMicros: 100_000 });
    const now = new Date();
    const held = (await g.reserve(s, 60_000, now)) as Reservation;
    const done = (await g.reserve(s, 30_000, now)) as Reservation;
    await g.settle(done, 30_000);
    expect(await g.reserve(s, 10_001, now)).toBe('balance'); // 60 000 held + 30 000 spent of 100 000

    // A $1 top-up posted while the bus was cut: billing's figure is 1 070 000, no event arrived.
    const loadedBefore = { ...s, balanceMicros: 1_070_000, loadStartedAt: performance.now() };
    expect(await g.reserve(loadedBefore, 10_001, now)).toBe('balance'); // the counter's ceiling is what counts
    bus.gap();
    // A request that already held a snapshot loaded before the gap does not rebase (its balance may
    // predate a lost change), nor use up the rebase: the next fresh snapshot still does.
    const stale = { ...s, balanceMicros: 100_000, loadStartedAt: loadedBefore.loadStartedAt };
    expect(await g.reserve(stale, 10_001, now)).toBe('balance');
    const reloaded = { ...s, balanceMicros: 1_070_000, loadStartedAt: performance.now() + 1 }; // +1: even if the clock did not tick
    // Ceiling 1 070 000, spend counted afresh, the 60 000 held still held: room 1 010 000 exactly.
    const after = await g.reserve(reloaded, 1_010_000, now);
    expect(typeof after).toBe('object');
    expect(await g.reserve(reloaded, 1, now)).toBe('balance');
    // Once: a later snapshot does not move the ceiling again (billing's figure includes this spend).
    expect(await g.reserve({ ...s, balanceMicros: 9_000_000 }, 1, now)).toBe('balance');
    await g.settle(held, 60_000);
    await g.settle(after as Reservation, 1_010_000);
    expect(await g.reserve(reloaded, 1, now)).toBe('balance');
  });

  it('leaves a counter alone when there was no gap, and the key-limit counters whatever happens', async () => {
    const bus = new FakeBus();
    const g = make(bus, `t${randomBytes(6).toString('hex')}`);
    open.push(g);
    const s = snapshot({ balanceMicros: 100_000, limitMicros: 50_000 });
    const now = new Date();
    const first = (await g.reserve(s, 40_000, now)) as Reservation;
    await g.settle(first, 40_000);
    bus.gap();
    // The key's limit counter keeps its spend (the snapshot's seed is not re-read): 10 000 left.
    expect(await g.reserve({ ...s, spentMicros: 0 }, 10_001, now)).toBe('key_limit');
    expect(typeof (await g.reserve({ ...s, spentMicros: 0 }, 10_000, now))).toBe('object');
  });
});

describe.skipIf(!redisUrl)('redis budget guard: replicas on one Redis', () => {
  let redis: Redis;
  const open: BudgetGuard[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((g) => g.close()));
    await redis?.quit();
  });
  const setup = () => {
    redis = new Redis(redisUrl!);
    const namespace = `t${randomBytes(6).toString('hex')}`;
    const bus = new FakeBus();
    const a = new RedisBudgetGuard(redisUrl!, namespace, bus);
    const b = new RedisBudgetGuard(redisUrl!, namespace, bus);
    open.push(a, b);
    return { namespace, bus, a, b };
  };

  it('applies an event both replicas receive once, keeping the reservations held on either', async () => {
    const { namespace, bus, a, b } = setup();
    const s = snapshot({ balanceMicros: 100_000 });
    const now = new Date();
    const held = granted(await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).reserve(s, 25_000, now))));
    expect(held).toHaveLength(4);
    expect(await a.reserve(s, 1, now)).toBe('balance');
    expect(await b.reserve(s, 1, now)).toBe('balance');

    const topUp = change(s.accountId, 30_000);
    bus.deliver('balance.changed', topUp);
    bus.deliver('balance.changed', topUp); // redelivered too
    // Each reserve runs after its guard's scripts; once applied, the room is 30 000 (not 60 000 or more).
    expect(typeof (await a.reserve(s, 25_000, now))).toBe('object');
    expect(await b.reserve(s, 25_000, now)).toBe('balance');
    expect(typeof (await b.reserve(s, 5_000, now))).toBe('object');
    expect(await a.reserve(s, 1, now)).toBe('balance');

    const counter = `${namespace}:budget:balance:${s.accountId}`;
    expect(await redis.hgetall(counter)).toEqual({ spent: '0', reserved: '130000', limit: '130000' });
    const marker = `${namespace}:budget:posting:${topUp.postingId}`;
    const ttl = await redis.pttl(marker);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    for (const key of await redis.keys(`${namespace}:*`)) expect(key.startsWith(`${namespace}:budget:`)).toBe(true);
  });

  it('on a real bus delivery each replica applies its copy, and the change lands once', async () => {
    redis = new Redis(redisUrl!);
    const namespace = `t${randomBytes(6).toString('hex')}`;
    const bus = new InMemoryBus();
    const a = new RedisBudgetGuard(redisUrl!, namespace, bus);
    const b = new RedisBudgetGuard(redisUrl!, namespace, bus);
    open.push(a, b);
    const s = snapshot({ balanceMicros: 100_000 });
    const now = new Date();
    const held = granted(await Promise.all([a, b, a, b, a].map((g) => g.reserve(s, 25_000, now))));
    expect(held).toHaveLength(4);
    const topUp = change(s.accountId, 10_000);
    await bus.publish('balance.changed', topUp);
    await bus.publish('balance.changed', topUp);
    const counter = `${namespace}:budget:balance:${s.accountId}`;
    await eventually(async () => expect(await redis.exists(`${namespace}:budget:posting:${topUp.postingId}`)).toBe(1));
    // Both guards' scripts have run once these reserves (queued after them) answer.
    expect(await a.reserve(s, 10_001, now)).toBe('balance');
    expect(await b.reserve(s, 10_001, now)).toBe('balance');
    expect(await redis.hgetall(counter)).toEqual({ spent: '0', reserved: '100000', limit: '110000' });
    for (const r of held) await (r === held[0] ? a : b).settle(r, r.amountMicros);
    expect(await redis.hgetall(counter)).toEqual({ spent: '100000', reserved: '0', limit: '110000' });
  });
});

describe.skipIf(!redisUrl)('redis budget guard: a balance change while Redis is unreachable', () => {
  it('is retried until Redis is back, and still applied once', async () => {
    const proxy = await startTcpProxy(targetOf(redisUrl!));
    const redis = new Redis(redisUrl!);
    const namespace = `t${randomBytes(6).toString('hex')}`;
    const cut = new FakeBus();
    const direct = new FakeBus();
    const behindProxy = new RedisBudgetGuard(proxy.rewrite(redisUrl!), namespace, cut);
    const other = new RedisBudgetGuard(redisUrl!, namespace, direct);
    try {
      const s = snapshot({ balanceMicros: 1_000 });
      const now = new Date();
      expect(typeof (await behindProxy.reserve(s, 1_000, now))).toBe('object');
      const counter = `${namespace}:budget:balance:${s.accountId}`;
      await proxy.stop();
      const topUp = change(s.accountId, 500);
      cut.deliver('balance.changed', topUp);
      const second = change(s.accountId, 250);
      cut.deliver('balance.changed', second);
      // The other replica got the first event too and applies it; the second only the cut-off one saw.
      direct.deliver('balance.changed', topUp);
      expect(await other.reserve(s, 501, now)).toBe('balance');
      expect(await redis.hget(counter, 'limit')).toBe('1500');
      // Both scripts failed (not merely queued for the reconnect): they wait for the retry.
      await eventually(() => expect(behindProxy.pendingBalanceChanges).toBe(2));
      await proxy.start();
      await eventually(() => expect(behindProxy.pendingBalanceChanges).toBe(0), { timeoutMs: 15_000 });
      // Both retried changes have landed; the first was not applied a second time.
      expect(await redis.hgetall(counter)).toEqual({ spent: '0', reserved: '1000', limit: '1750' });
    } finally {
      await behindProxy.close();
      await other.close();
      await redis.quit();
      await proxy.close();
    }
  }, 30_000);
});
