// A subscriber that falls behind loses the oldest events (its memory stays bounded), and is told
// how many on its next event; the server counts both for /metrics.
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../subgraphs/common/async-queue';
import { withDropNotices } from '../../gateway/subscriptions';

const event = (n: number): ExecutionResult => ({ data: { jobFeed: { id: `job-${n}` } } });

describe('subscription drop notices', () => {
  it('tells a subscriber that fell behind how many events it missed, once, on its next event', async () => {
    let drops = 0;
    const queue = new BoundedQueue<ExecutionResult>(
      2,
      () => {},
      () => drops++,
    );
    const feed = withDropNotices(queue);
    for (let n = 1; n <= 5; n++) queue.push(event(n));
    expect(drops).toBe(3);
    expect((await feed.next()).value).toEqual({ data: { jobFeed: { id: 'job-4' } }, extensions: { droppedEvents: 3 } });
    expect((await feed.next()).value).toEqual(event(5));
    queue.push(event(6));
    expect((await feed.next()).value).toEqual(event(6));
    for (let n = 7; n <= 9; n++) queue.push(event(n));
    expect((await feed.next()).value).toEqual({ data: { jobFeed: { id: 'job-8' } }, extensions: { droppedEvents: 1 } });
  });

  it('drops nothing for a subscriber that keeps up, and keeps the events’ own extensions', async () => {
    let drops = 0;
    const queue = new BoundedQueue<ExecutionResult>(
      2,
      () => {},
      () => drops++,
    );
    const feed = withDropNotices(queue);
    for (let n = 1; n <= 100; n++) {
      const next = feed.next();
      queue.push({ ...event(n), extensions: { traced: n } });
      expect((await next).value).toEqual({ ...event(n), extensions: { traced: n } });
    }
    expect(drops).toBe(0);
  });

  it('ends when the queue is closed', async () => {
    const queue = new BoundedQueue<ExecutionResult>(2);
    const feed = withDropNotices(queue);
    const pending = feed.next();
    await feed.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
