// Spend cycles are calendar windows in UTC: a day starts at midnight, a week on Monday, a month on
// the 1st. Accounts stores a key's cycle; billing sums usage since the window's start.
import { registerEnumType } from 'type-graphql';

export type Cycle = 'daily' | 'weekly' | 'monthly';

/** The GraphQL enum of cycles; accounts owns a key's cycle, billing reads it (@requires). */
export enum KeyCycle {
  DAILY = 'daily',
  WEEKLY = 'weekly',
  MONTHLY = 'monthly',
}
registerEnumType(KeyCycle, { name: 'KeyCycle', description: 'A spend window in UTC: from midnight, from Monday, from the 1st.' });

export function cycleStart(cycle: Cycle, at: Date): Date {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  if (cycle === 'daily') return new Date(day);
  if (cycle === 'weekly') {
    const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
    return new Date(day - sinceMonday * 86_400_000);
  }
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** The start of the next window: when a cycle's usage resets. */
export function cycleEnd(cycle: Cycle, at: Date): Date {
  const start = cycleStart(cycle, at);
  if (cycle === 'daily') return new Date(start.getTime() + 86_400_000);
  if (cycle === 'weekly') return new Date(start.getTime() + 7 * 86_400_000);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** `YYYY-MM-DD` of a UTC day: the bucket key of daily usage rows. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
