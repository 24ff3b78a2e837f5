// The data plane's parts on their own: exact pricing, SSE splitting, budget reservations and rate
// limits (both guards), and the usage emitter's never-drop delivery.
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { characterCost, tokenCost } from '../../gateway/inference/pricing';
import { SseSplitter, dataOf } from '../../gateway/inference/sse';
import { MemoryBudgetGuard, RedisBudgetGuard, type BudgetGuard, type Reservation } from '../../gateway/inference/budget';
import { UsageEmitter } from '../../gateway/inference/usage-emitter';
import type { KeySnapshot } from '../../gateway/inference/key-snapshots';
import { InMemoryBus } from '../../subgraphs/common/bus';
import type { UsageEvent } from '../../subgraphs/common/events';
import { TEST_REDIS_URL } from '../helpers/config';
import { isRateRefusal, keyRateSpecs, rateSpecs, type RateRefusal } from '../../gateway/inference/rate-limits';

const prices = { inputPriceMicrosPerMTok: 500_000, outputPriceMicrosPerMTok: 1_500_000, priceMicrosPerMChars: 15_000_000 };

describe('pricing', () => {
  it('is exact and rounds up to the micro-unit', () => {
    expect(tokenCost(prices, 1_000_000, 0)).toBe(500_000);
    expect(tokenCost(prices, 1, 0)).toBe(1); // 0.5 micro rounds up
    expect(tokenCost(prices, 2, 0)).toBe(1);
    expect(tokenCost(prices, 3, 1)).toBe(3); // 1.5 + 1.5 = 3
    expect(tokenCost(prices, 0, 0)).toBe(0);
    expect(characterCost(prices, 1000)).toBe(15_000);
    // Beyond 2^53 in the intermediate product, still exact.
    expect(tokenCost({ ...prices, inputPriceMicrosPerMTok: 10_000_000_000 }, 2_000_000, 0)).toBe(20_000_000_000);
  });
});

describe('SSE splitting', () => {
  it('keeps events whole across chunk boundaries and finds usage', () => {
    const splitter = new SseSplitter();
    expect(splitter.push('data: {"a":1}\n\nda')).toEqual(['data: {"a":1}\n\n']);
    expect(splitter.push('ta: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}\n\ndata: [DONE]\n\n')).toHaveLength(2);
    expect(JSON.parse(dataOf('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}\n\n')!)).toEqual({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 5 },
    });
    expect(splitter.rest()).toBe('');
  });
});

function snapshot(overrides: Partial<KeySnapshot> = {}): KeySnapshot {
  return {
    keyId: `k-${randomBytes(4).toString('hex')}`,
    accountId: `a-${randomBytes(4).toString('hex')}`,
    status: 'active',
    expiredAt: null,
    allowIp: null,
    denyIp: null,
    allowedModels: null,
    limitMicros: 1000,
    cycle: 'daily',
    spentMicros: 0,
    groupId: null,
    groupBudgetMicros: null,
    groupSpentMicros: 0,
    balanceMicros: 1_000_000,
    routingProfileId: null,
    ...overrides,
  };
}

const guards: [string, () => BudgetGuard][] = [['memory', () => new MemoryBudgetGuard(new InMemoryBus())]];
const redisUrl = TEST_REDIS_URL;
if (redisUrl) guards.push(['redis', () => new RedisBudgetGuard(redisUrl, `t${randomBytes(6).toString('hex')}`, new InMemoryBus())]);
else console.warn('SKIPPED: Redis budget guard (set TEST_REDIS_URL to run it)');

describe.each(guards)('%s budget guard', (_name, make) => {
  const guard = make();
  afterAll(() => guard.close());
  const now = new Date();

  it('never lets concurrent reservations exceed the key limit', async () => {
    const s = snapshot({ limitMicros: 1000 });
    const results = await Promise.all(Array.from({ length: 50 }, () => guard.reserve(s, 100, now)));
    const granted = results.filter((r): r is Reservation => typeof r !== 'string');
    expect(granted).toHaveLength(10);
    expect(results.filter((r) => r === 'key_limit')).toHaveLength(40);
  });

  it('settles to the actual cost, freeing the rest of the reservation', async () => {
    const s = snapshot({ limitMicros: 1000 });
    const first = (await guard.reserve(s, 900, now)) as Reservation;
    expect(await guard.reserve(s, 200, now)).toBe('key_limit');
    await guard.settle(first, 300);
    expect(typeof (await guard.reserve(s, 700, now))).toBe('object');
    expect(await guard.reserve(s, 1, now)).toBe('key_limit');
  });

  it('counts spend already known from billing, and the group budget and balance', async () => {
    expect(await guard.reserve(snapshot({ limitMicros: 1000, spentMicros: 950 }), 100, now)).toBe('key_limit');
    expect(
      await guard.reserve(
        snapshot({ limitMicros: null, groupId: 'g-' + randomBytes(4).toString('hex'), groupBudgetMicros: 500, groupSpentMicros: 450 }),
        100,
        now,
      ),
    ).toBe('group_budget');
    expect(await guard.reserve(snapshot({ limitMicros: null, balanceMicros: 99 }), 100, now)).toBe('balance');
    expect(typeof (await guard.reserve(snapshot({ limitMicros: null, balanceMicros: 100 }), 100, now))).toBe('object');
  });

  it('does not count spend twice when billing catches up (the balance ceiling stays)', async () => {
    const s = snapshot({ limitMicros: null, balanceMicros: 1000 });
    const r = (await guard.reserve(s, 600, now)) as Reservation;
    await guard.settle(r, 600);
    // Billing has now applied the 600: a reloaded snapshot shows 400 left. Still 400 left, not -200.
    expect(typeof (await guard.reserve({ ...s, balanceMicros: 400 }, 400, now))).toBe('object');
  });
});

describe.each(guards)('%s guard: rate limits in the same atomic step', (_name, make) => {
  const guard = make();
  afterAll(() => guard.close());
  // A fixed instant 15 s into a minute: the window frees 45 s later.
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const at = new Date(minute + 15_000);
  const nextMinute = new Date(minute + 60_000);
  const id = () => randomBytes(4).toString('hex');
  const limited = (
    limits: { rpm?: number | null; tpm?: number | null; maxParallel?: number | null },
    overrides: Partial<KeySnapshot> = {},
  ) => snapshot({ limitMicros: null, rateLimits: { rpm: null, tpm: null, maxParallel: null, ...limits }, ...overrides });
  const reserve = (s: KeySnapshot, tokens: number, when = at, micros = 1) => guard.reserve(s, micros, when, keyRateSpecs(s, tokens, when));
  const granted = (results: unknown[]) => results.filter((r): r is Reservation => typeof r === 'object' && r !== null && !isRateRefusal(r));

  it('lets exactly rpm of 50 concurrent requests through, refuses the rest naming the limit and the seconds left, and frees the next minute', async () => {
    const s = limited({ rpm: 10 });
    const results = await Promise.all(Array.from({ length: 50 }, () => reserve(s, 10)));
    expect(granted(results)).toHaveLength(10);
    const refused = results.filter(isRateRefusal);
    expect(refused).toHaveLength(40);
    expect(refused[0]).toEqual({ kind: 'rate', scope: 'key', limit: 'rpm', value: 10, retryAfterSeconds: 45 });
    expect(granted(await Promise.all(Array.from({ length: 20 }, () => reserve(s, 10, nextMinute))))).toHaveLength(10);
  });

  it('holds at most maxParallel in flight; a settled request gives its slot back', async () => {
    const s = limited({ maxParallel: 3 });
    const results = await Promise.all(Array.from({ length: 20 }, () => reserve(s, 10)));
    const held = granted(results);
    expect(held).toHaveLength(3);
    expect(results.filter(isRateRefusal).every((r) => r.limit === 'parallel' && r.retryAfterSeconds === 1)).toBe(true);
    await guard.settle(held[0], 1, 10);
    expect(granted([await reserve(s, 10)])).toHaveLength(1);
    expect(isRateRefusal(await reserve(s, 10))).toBe(true);
    // Settling twice gives back nothing more.
    await guard.settle(held[0], 1, 10);
    expect(isRateRefusal(await reserve(s, 10))).toBe(true);
  });

  it('takes the worst-case tokens, corrects them to the billed tokens, and never to more than it took', async () => {
    const s = limited({ tpm: 350 });
    const [a, b, c] = granted(await Promise.all([reserve(s, 100), reserve(s, 100), reserve(s, 100)]));
    expect(await reserve(s, 100)).toMatchObject({ kind: 'rate', limit: 'tpm', value: 350 });
    await guard.settle(a, 1, 20); // 220 used now
    await guard.settle(b, 1, 5_000); // billed beyond the hold counts as the hold: still 220
    expect(granted([await reserve(s, 130)])).toHaveLength(1); // 350
    expect(isRateRefusal(await reserve(s, 1))).toBe(true);
    await guard.settle(c, 1, 0);
    expect(granted([await reserve(s, 100)])).toHaveLength(1);
  });

  it('a refusal of any counter takes nothing: a rate refusal leaves the money, a money refusal leaves the rate', async () => {
    const s = limited({ rpm: 2 }, { limitMicros: 1000 });
    expect(granted([await reserve(s, 1, at, 400)])).toHaveLength(1);
    // 700 more would pass the rpm but not the key limit: refused as money, and the rpm slot stays free.
    expect(await reserve(s, 1, at, 700)).toBe('key_limit');
    expect(granted([await reserve(s, 1, at, 300)])).toHaveLength(1);
    // Now the rpm refuses: the 300 left of the limit stay untouched.
    expect(await reserve(s, 1, at, 300)).toMatchObject({ limit: 'rpm' });
    expect(granted([await reserve(s, 1, nextMinute, 300)])).toHaveLength(1);
  });

  it("shares a group's limit between its keys: a second key of the group cannot get past it", async () => {
    const groupId = `g-${id()}`;
    const group = { rpm: 4, tpm: null, maxParallel: 2 };
    const first = limited({}, { groupId, groupRateLimits: group });
    const second = limited({}, { groupId, groupRateLimits: group });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(i % 2 ? first : second, 1)));
    expect(granted(results)).toHaveLength(2);
    expect(results.filter(isRateRefusal).map((r) => `${r.scope}:${r.limit}`)).toEqual(Array(8).fill('group:parallel'));
    for (const r of granted(results)) await guard.settle(r, 1, 1);
    // Two more fill the group's 4 requests this minute, whichever key sends them.
    const more = await Promise.all([reserve(first, 1), reserve(second, 1), reserve(first, 1)]);
    expect(granted(more)).toHaveLength(2);
    expect(more.filter(isRateRefusal).map((r) => `${r.scope}:${r.limit}`)).toEqual(['group:rpm']);
    expect(((await reserve(second, 1)) as RateRefusal).scope).toBe('group');
  });

  it('frees a slot whose request never settled once its lease ends (a gateway that died)', async () => {
    const s = limited({ maxParallel: 1 });
    const specs = (when: Date) => keyRateSpecs(s, 1, when, 10_000);
    expect(granted([await guard.reserve(s, 1, at, specs(at))])).toHaveLength(1);
    expect(isRateRefusal(await guard.reserve(s, 1, at, specs(at)))).toBe(true);
    const later = new Date(at.getTime() + 10_001);
    expect(granted([await guard.reserve(s, 1, later, specs(later))])).toHaveLength(1);
  });

  it("holds a listing's caps alone: rpm, daily tokens and concurrency", async () => {
    const listing = `l-${id()}`;
    const caps = (when: Date, tokens: number) =>
      rateSpecs('listing', listing, { rpm: 100, maxParallel: 5, dailyTokens: 1_000 }, tokens, when);
    const held = granted(await Promise.all(Array.from({ length: 5 }, () => guard.hold(caps(at, 300), at))));
    expect(held).toHaveLength(3); // 3 × 300 of 1,000 daily tokens
    expect(await guard.hold(caps(at, 300), at)).toMatchObject({ kind: 'rate', scope: 'listing', limit: 'daily_tokens' });
    await guard.settle(held[0], 0, 0);
    expect(granted([await guard.hold(caps(at, 300), at)])).toHaveLength(1);
    // The next UTC day starts from zero.
    const tomorrow = new Date(Math.floor(at.getTime() / 86_400_000) * 86_400_000 + 86_400_000 + 1);
    expect(granted([await guard.hold(caps(tomorrow, 300), tomorrow)])).toHaveLength(1);
  });
});

describe('usage emitter', () => {
  const event = (i: number): UsageEvent => ({
    requestId: `r${i}`,
    keyId: 'k',
    buyerId: 'b',
    model: 'm',
    capability: 'chat',
    inputTokens: 1,
    outputTokens: 1,
    characters: 0,
    costMicros: 1,
    latencyMs: 1,
    status: 'completed',
    occurredAt: new Date().toISOString(),
  });

  it('batches, retries with backoff while the sink fails, and delivers every event once it is back', async () => {
    const delivered: string[] = [];
    let down = true;
    const emitter = new UsageEmitter(
      async (events) => {
        if (down) throw new Error('billing is down');
        delivered.push(...events.map((e) => e.requestId));
      },
      { batchSize: 10, flushIntervalMs: 5, maxBackoffMs: 50 },
    );
    for (let i = 0; i < 35; i++) emitter.emit(event(i));
    await new Promise((r) => setTimeout(r, 200));
    expect(delivered).toEqual([]);
    expect(emitter.pending).toBe(35);
    expect(emitter.failures).toBeGreaterThan(1);
    down = false;
    expect(await emitter.flush(2000)).toBe(0);
    expect(delivered).toEqual(Array.from({ length: 35 }, (_, i) => `r${i}`));
    expect(emitter.applied).toBe(35);
  });

  it('reports what it could not deliver by the shutdown deadline', async () => {
    const emitter = new UsageEmitter(
      async () => {
        throw new Error('down');
      },
      { batchSize: 10, flushIntervalMs: 5, maxBackoffMs: 20 },
    );
    emitter.emit(event(1));
    expect(await emitter.close(150)).toBe(1);
  });
});
