// The data plane's parts on their own: exact pricing, SSE splitting, budget reservations (both
// guards), and the usage emitter's never-drop delivery.
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
    expect(JSON.parse(dataOf('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}\n\n')!)).toEqual({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 5 } });
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
    expect(await guard.reserve(snapshot({ limitMicros: null, groupId: 'g-' + randomBytes(4).toString('hex'), groupBudgetMicros: 500, groupSpentMicros: 450 }), 100, now)).toBe('group_budget');
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

describe('usage emitter', () => {
  const event = (i: number): UsageEvent => ({ requestId: `r${i}`, keyId: 'k', buyerId: 'b', model: 'm', capability: 'chat', inputTokens: 1, outputTokens: 1, characters: 0, costMicros: 1, latencyMs: 1, status: 'completed', occurredAt: new Date().toISOString() });

  it('batches, retries with backoff while the sink fails, and delivers every event once it is back', async () => {
    const delivered: string[] = [];
    let down = true;
    const emitter = new UsageEmitter(async (events) => {
      if (down) throw new Error('billing is down');
      delivered.push(...events.map((e) => e.requestId));
    }, { batchSize: 10, flushIntervalMs: 5, maxBackoffMs: 50 });
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
    const emitter = new UsageEmitter(async () => {
      throw new Error('down');
    }, { batchSize: 10, flushIntervalMs: 5, maxBackoffMs: 20 });
    emitter.emit(event(1));
    expect(await emitter.close(150)).toBe(1);
  });
});
