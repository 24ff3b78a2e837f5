// Spend cycles are calendar windows in UTC; the boundaries are exact to the millisecond.
import { describe, expect, it } from 'vitest';
import { cycleEnd, cycleStart, utcDay } from '../../subgraphs/common/cycles';

const at = (iso: string) => new Date(iso);

describe('spend cycles', () => {
  it('daily: 23:59:59.999 and 00:00:00 fall in different days', () => {
    expect(cycleStart('daily', at('2026-03-01T23:59:59.999Z')).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(cycleStart('daily', at('2026-03-02T00:00:00.000Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(utcDay(at('2026-03-01T23:59:59.999Z'))).toBe('2026-03-01');
    expect(utcDay(at('2026-03-02T00:00:00.000Z'))).toBe('2026-03-02');
  });

  it('weekly: weeks start on Monday; Sunday night belongs to the week before', () => {
    // 2026-11-22 is a Sunday, 2026-11-23 a Monday.
    expect(cycleStart('weekly', at('2026-11-22T23:59:59.999Z')).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(cycleStart('weekly', at('2026-11-23T00:00:00.000Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(cycleStart('weekly', at('2026-11-29T12:00:00.000Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(cycleEnd('weekly', at('2026-11-23T00:00:00.000Z')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('monthly: months start on the 1st, across month and year ends and leap days', () => {
    expect(cycleStart('monthly', at('2026-01-31T23:59:59.999Z')).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(cycleStart('monthly', at('2026-02-01T00:00:00.000Z')).toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(cycleEnd('monthly', at('2028-02-29T10:00:00.000Z')).toISOString()).toBe('2028-03-01T00:00:00.000Z');
    expect(cycleEnd('monthly', at('2026-12-31T23:59:59.999Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(cycleEnd('daily', at('2026-12-31T23:59:59.999Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});
