// The dashboard's argument rules, rollup rows and the REST adapter's single-flight cache.
import { describe, expect, it } from 'vitest';
import {
  checkFeeDays,
  clampLimit,
  formatOutputPerDollar,
  parsePeriod,
  parseTimeframe,
  percentChange,
} from '../../subgraphs/network/services/dashboard';
import { rollupRowFor } from '../../subgraphs/network/services/rollups';
import { formatRunningFor, outputPerSecond } from '../../subgraphs/network/services/network';
import { networkSettings } from '../../subgraphs/network/settings';
import { ResponseCache } from '../../gateway/rest/naap-dashboard';

describe('network dashboard rules', () => {
  it('timeframe: hours clamped 1–168, default 24', () => {
    expect(parseTimeframe(undefined)).toBe(24);
    expect(parseTimeframe('')).toBe(24);
    expect(parseTimeframe('abc')).toBe(24);
    expect(parseTimeframe('0')).toBe(1);
    expect(parseTimeframe('6')).toBe(6);
    expect(parseTimeframe('48h')).toBe(48);
    expect(parseTimeframe(1000)).toBe(168);
  });
  it('period: 12h, 7d, default 24h', () => {
    expect(parsePeriod(null)).toBe(24);
    expect(parsePeriod('12h')).toBe(12);
    expect(parsePeriod('7d')).toBe(168);
    expect(parsePeriod('30d')).toBe(168);
    expect(parsePeriod('x')).toBe(24);
  });
  it('limit default 5, at most 200; days default 180, integer 7–365', () => {
    expect(clampLimit(null)).toBe(5);
    expect(clampLimit(0)).toBe(1);
    expect(clampLimit(999)).toBe(200);
    expect(checkFeeDays(null)).toBe(180);
    expect(checkFeeDays(7)).toBe(7);
    expect(checkFeeDays(365)).toBe(365);
    expect(() => checkFeeDays(6)).toThrow(/^Invalid days: 6/);
    expect(() => checkFeeDays(366)).toThrow(/^Invalid days: 366/);
    expect(() => checkFeeDays(7.5)).toThrow(/^Invalid days: 7.5/);
  });
  it('percent change and output per dollar', () => {
    expect(percentChange(0, 0)).toBe(0);
    expect(percentChange(5, 0)).toBe(100);
    expect(percentChange(3, 4)).toBe(-25);
    expect(formatOutputPerDollar(14_200, 'token')).toBe('~14K tokens');
    expect(formatOutputPerDollar(2_000_000, 'character')).toBe('~2M characters');
  });
  it('a job becomes one rollup row of its UTC hour; a failed job adds no fees', () => {
    const row = rollupRowFor({
      id: 'r',
      pipeline: 'llm',
      model: 'm',
      status: 'failed',
      startedAt: '2025-01-01T10:59:30.000Z',
      finishedAt: '2025-01-01T11:00:15.500Z',
      latencyMs: 45_500,
      outputUnits: 10,
      listingId: 'L',
      costMicros: 99,
    });
    expect(row).toMatchObject({
      id: '2025-01-01T10:00:00.000Z|llm|m|L',
      sessions: 1,
      successes: 0,
      durationMs: 45_500,
      outputUnits: 10,
      latencyMsSum: 45_500,
      feesMicros: 0,
    });
  });
  it('settings from the environment', () => {
    expect(networkSettings({})).toMatchObject({ ethUsdRate: 3000, jobRetentionDays: 30, roundMinutes: 1440 });
    expect(networkSettings({ ETH_USD_RATE: '2500.5', JOB_RETENTION_DAYS: '7' })).toMatchObject({ ethUsdRate: 2500.5, jobRetentionDays: 7 });
    expect(() => networkSettings({ ETH_USD_RATE: 'x' })).toThrow(/ETH_USD_RATE/);
  });
});

describe('dashboard response cache', () => {
  it('a burst of identical requests computes once; TTL expiry and bypass recompute; failures are not kept', async () => {
    let now = 0;
    const cache = new ResponseCache(10, () => now);
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return calls;
    };
    const burst = await Promise.all(Array.from({ length: 20 }, () => cache.get('k', 1000, compute)));
    expect(burst.every((v) => v === 1)).toBe(true);
    expect(calls).toBe(1);
    expect(await cache.get('k', 1000, compute, true)).toBe(2);
    now = 2000;
    expect(await cache.get('k', 1000, compute)).toBe(3);
    await expect(cache.get('f', 1000, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('f', 1000, async () => 'ok')).toBe('ok');
  });
});

describe('job feed entry figures', () => {
  it.each([
    [850, '850ms'],
    [42_000, '42s'],
    [142_400, '2m 22s'],
    [3_784_000, '1h 3m 4s'],
  ])('runningFor(%i ms) is %s', (ms, text) => {
    expect(formatRunningFor(ms)).toBe(text);
  });

  it('outputFps is units per second over the job, 1 decimal, or null without units or time', () => {
    const startedAt = new Date('2026-01-01T00:00:00Z');
    expect(outputPerSecond({ outputUnits: 1000, startedAt, finishedAt: new Date('2026-01-01T00:00:30Z') })).toBe(33.3);
    expect(outputPerSecond({ outputUnits: null, startedAt, finishedAt: new Date('2026-01-01T00:00:30Z') })).toBeNull();
    expect(outputPerSecond({ outputUnits: 10, startedAt, finishedAt: startedAt })).toBeNull();
  });
});
