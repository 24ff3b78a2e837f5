// Reputation from live traffic (network's minute buckets), its slaScore and the data plane's weight
// function and table: figures move with faults and recover as the window slides, buyer faults move
// nothing, memory stays bounded, and a lookup costs no fetch.
import { describe, expect, it } from 'vitest';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { MIN_SAMPLES, percentile, ReputationWindows, samplesOf, slaScore } from '../../subgraphs/network/services/reputation';
import { MIN_WEIGHT, ReputationTable, reputationWeight, type Reputation } from '../../gateway/inference/reputation';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
let n = 0;
function job(over: Partial<JobFinishedEvent> = {}, minute = 0): JobFinishedEvent {
  const finished = at(minute);
  return {
    id: `job-${++n}`,
    pipeline: 'llm',
    model: 'acme/sim-chat',
    status: 'completed',
    startedAt: new Date(finished.getTime() - 500).toISOString(),
    finishedAt: finished.toISOString(),
    latencyMs: 500,
    timeToFirstTokenMs: 100,
    outputUnits: 50,
    listingId: 'L1',
    ...over,
  };
}
function feed(windows: ReputationWindows, count: number, over: Partial<JobFinishedEvent> = {}, minute = 0) {
  for (let i = 0; i < count; i++) windows.record(job(over, minute), at(minute));
}

describe('reputation windows', () => {
  it('gives success rate, percentiles and tokens per second from successes', () => {
    const w = new ReputationWindows();
    for (let i = 1; i <= 100; i++) w.record(job({ timeToFirstTokenMs: i * 10, latencyMs: i * 20 }), at(0));
    const f = w.figures('L1', at(0));
    expect(f).toMatchObject({ listingId: 'L1', windowMinutes: 15, requests: 100, failures: 0, successRate: 1 });
    // Log buckets of ×1.2: within 10% of the true p50 (500 ms TTFT, 1000 ms latency) and p95.
    expect(f.ttftP50Ms! / 500).toBeGreaterThan(0.9);
    expect(f.ttftP50Ms! / 500).toBeLessThan(1.1);
    expect(f.ttftP95Ms! / 950).toBeGreaterThan(0.9);
    expect(f.ttftP95Ms! / 950).toBeLessThan(1.1);
    expect(f.latencyP50Ms! / 1000).toBeGreaterThan(0.9);
    expect(f.latencyP95Ms! / 1900).toBeLessThan(1.1);
    // 100 × 50 tokens over 100 × avg 1010 ms.
    expect(f.tokensPerSecond).toBeCloseTo((5000 * 1000) / (20 * 5050), 0);
  });

  it('gives null figures below the minimum sample count, and zero requests for an unknown listing', () => {
    const w = new ReputationWindows();
    feed(w, MIN_SAMPLES - 1);
    expect(w.figures('L1', at(0))).toMatchObject({
      requests: MIN_SAMPLES - 1,
      successRate: null,
      ttftP50Ms: null,
      latencyP95Ms: null,
      tokensPerSecond: null,
    });
    expect(w.figures('nobody', at(0))).toMatchObject({ requests: 0, successRate: null });
  });

  it("counts the listing's own failures (after the first byte, and when a request moved away from it)", () => {
    const w = new ReputationWindows();
    feed(w, 6);
    feed(w, 2, { status: 'failed', failure: 'transient' });
    feed(w, 2, { status: 'failed', failure: 'protocol-violation' });
    // Failed over to L2: one failure for L1, one success for L2.
    feed(w, 10, { listingId: 'L2', swappedFrom: ['L1'] });
    // Gave up after L1 and L3 both failed before the first byte: no served listing.
    feed(w, 5, { listingId: null, status: 'failed', failure: 'transient', swappedFrom: ['L1', 'L3'] });
    expect(w.figures('L1', at(0))).toMatchObject({ requests: 25, failures: 19, successRate: 0.24 });
    expect(w.figures('L2', at(0))).toMatchObject({ requests: 10, successRate: 1 });
    expect(w.figures('L3', at(0))).toMatchObject({ requests: 5, successRate: 0 });
  });

  it("never counts the buyer's faults or the gateway's own errors, neither way", () => {
    const w = new ReputationWindows();
    feed(w, 10, { timeToFirstTokenMs: 100, latencyMs: 500 });
    const before = w.figures('L1', at(0));
    feed(w, 50, { status: 'failed', failure: 'caller' });
    feed(w, 50, { status: 'cancelled', failure: 'buyer-abort', latencyMs: 60_000, timeToFirstTokenMs: 50_000 });
    feed(w, 50, { status: 'failed', failure: 'platform' });
    // A refused request (400 upstream) never lands in swappedFrom (request.ts) and has no served listing.
    feed(w, 50, { listingId: null, status: 'failed', failure: 'caller' });
    expect(w.figures('L1', at(0))).toEqual(before);
    expect(samplesOf(job({ status: 'cancelled', failure: 'buyer-abort' }))).toEqual([]);
  });

  it('recovers as failing minutes leave the window (15 and 60 minutes)', () => {
    const w = new ReputationWindows();
    feed(w, 10, { status: 'failed', failure: 'transient' }, 0);
    feed(w, 10, {}, 0);
    expect(w.figures('L1', at(0)).successRate).toBe(0.5);
    feed(w, 10, {}, 20);
    expect(w.figures('L1', at(20)).successRate).toBe(1);
    expect(w.figures('L1', at(20), 60)).toMatchObject({ requests: 30, windowMinutes: 60 });
    expect(w.figures('L1', at(20), 60).successRate).toBeCloseTo(20 / 30, 3);
    // An hour on, the old minute's slot is reused, not added to.
    feed(w, 5, {}, 60);
    expect(w.figures('L1', at(60), 60)).toMatchObject({ requests: 15, successRate: 1 });
  });

  it('moves TTFT p95 with a slow-TTFT fault and back', () => {
    const w = new ReputationWindows();
    feed(w, 20, { timeToFirstTokenMs: 100 }, 0);
    const fast = w.figures('L1', at(0)).ttftP95Ms!;
    feed(w, 20, { timeToFirstTokenMs: 3_000, latencyMs: 3_400 }, 1);
    const slow = w.figures('L1', at(1)).ttftP95Ms!;
    expect(fast).toBeLessThan(120);
    expect(slow).toBeGreaterThan(2_700);
    feed(w, 20, { timeToFirstTokenMs: 100 }, 17);
    expect(w.figures('L1', at(17)).ttftP95Ms).toBeLessThan(120);
  });

  it('ignores events too old for any window and bounds the listings it holds', () => {
    const w = new ReputationWindows(3);
    w.record(job({}, -61), at(0));
    expect(w.figures('L1', at(0)).requests).toBe(0);
    for (const id of ['A', 'B', 'C', 'D']) w.record(job({ listingId: id }), at(0));
    expect(w.size).toBe(3);
    expect(w.figures('A', at(0)).requests).toBe(0);
    expect(w.figures('D', at(0)).requests).toBe(1);
  });

  it('counts a redelivered event once (recent ids remembered, bounded)', () => {
    const w = new ReputationWindows(10, 2);
    const first = job();
    w.record(first, at(0));
    w.record(first, at(0));
    expect(w.figures('L1', at(0), 60).requests).toBe(1);
    w.record(job(), at(0));
    w.record(job(), at(0));
    // The first id was forgotten (only 2 kept): a very late redelivery counts again.
    w.record(first, at(0));
    expect(w.figures('L1', at(0), 60).requests).toBe(4);
  });

  it('refuses a window outside 1–60 minutes as bad input', () => {
    const w = new ReputationWindows();
    for (const bad of [0, 61, 1.5, -1]) expect(() => w.figures('L1', at(0), bad)).toThrow(/windowMinutes/);
  });

  it('percentile of an empty histogram is null', () => {
    expect(percentile(new Uint32Array(10), 0, 0.5)).toBeNull();
  });
});

describe('slaScore', () => {
  it('is 100 × success rate × min(1, 2000 / TTFT p95), null without figures', () => {
    expect(slaScore({ successRate: 1, ttftP95Ms: 800, latencyP95Ms: 1500 })).toBe(100);
    expect(slaScore({ successRate: 0.99, ttftP95Ms: 4000, latencyP95Ms: 5000 })).toBe(50);
    expect(slaScore({ successRate: 0.5, ttftP95Ms: null, latencyP95Ms: 8000 })).toBe(13);
    expect(slaScore({ successRate: null, ttftP95Ms: 100, latencyP95Ms: 100 })).toBeNull();
  });
});

const rep = (over: Partial<Reputation> = {}): Reputation => ({
  listingId: 'L1',
  windowMinutes: 15,
  requests: 100,
  successRate: 1,
  ttftP50Ms: 200,
  ttftP95Ms: 400,
  latencyP50Ms: 500,
  latencyP95Ms: 900,
  tokensPerSecond: 50,
  ...over,
});

describe('reputationWeight', () => {
  it('is 1 for a healthy or unknown listing', () => {
    expect(reputationWeight(rep())).toBe(1);
    expect(reputationWeight(null)).toBe(1);
    expect(reputationWeight(rep({ successRate: null }))).toBe(1);
  });

  it('falls steeply with failures and with slow first tokens, never to 0', () => {
    expect(reputationWeight(rep({ successRate: 0.9 }))).toBeCloseTo(0.6561, 4);
    expect(reputationWeight(rep({ successRate: 0.5 }))).toBeCloseTo(0.0625, 4);
    expect(reputationWeight(rep({ successRate: 0 }))).toBe(MIN_WEIGHT);
    expect(reputationWeight(rep({ ttftP50Ms: 2000 }))).toBe(0.5);
    expect(reputationWeight(rep({ ttftP50Ms: 60_000 }))).toBe(0.25);
    // Monotonic in both.
    const rates = [1, 0.99, 0.95, 0.8, 0.5, 0.1].map((successRate) => reputationWeight(rep({ successRate })));
    expect([...rates].sort((a, b) => b - a)).toEqual(rates);
  });

  it('follows the windows: faults lower it, recovery restores it', () => {
    const w = new ReputationWindows();
    feed(w, 20, {}, 0);
    expect(reputationWeight(w.figures('L1', at(0)))).toBe(1);
    feed(w, 20, { status: 'failed', failure: 'transient' }, 1);
    expect(reputationWeight(w.figures('L1', at(1)))).toBeCloseTo(0.0625, 4);
    feed(w, 20, {}, 17);
    expect(reputationWeight(w.figures('L1', at(17)))).toBe(1);
  });
});

describe('ReputationTable (the data plane side)', () => {
  it('answers lookups from memory: only refreshes fetch', async () => {
    let now = 0;
    let calls = 0;
    const table = new ReputationTable(
      async () => (calls++, [rep({ successRate: 0.5 })]),
      10_000,
      60_000,
      () => now,
    );
    expect(table.weightOf('L1')).toBe(1); // nothing loaded yet: neutral
    await table.refresh();
    for (let i = 0; i < 10_000; i++) table.weightOf('L1');
    expect(table.reputationOf('L1')?.successRate).toBe(0.5);
    expect(table.weightOf('L1')).toBeCloseTo(0.0625, 4);
    expect(table.weightOf('other')).toBe(1);
    expect(calls).toBe(1);
    expect(table.fetches).toBe(1);
    // A stale table (refreshes failing for longer than maxAge) steers nothing.
    now = 61_000;
    expect(table.weightOf('L1')).toBe(1);
  });

  it('keeps the last table when a refresh fails', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const table = new ReputationTable(
      async () => {
        if (fail) throw new Error('network down');
        return [rep({ successRate: 0.9 })];
      },
      10_000,
      60_000,
      () => 0,
      (error) => errors.push(error),
    );
    await table.refresh();
    fail = true;
    await table.refresh();
    expect(errors).toHaveLength(1);
    expect(table.reputationOf('L1')?.successRate).toBe(0.9);
  });
});
