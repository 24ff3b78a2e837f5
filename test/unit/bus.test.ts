// The same contract for both buses; the Redis one runs when TEST_REDIS_URL is set.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { BoundedQueue } from '../../subgraphs/common/async-queue';
import { InMemoryBus, RedisBus, iterateTopic, type EventBus } from '../../subgraphs/common/bus';
import type { KeyChangedEvent } from '../../subgraphs/common/events';
import { TEST_REDIS_URL } from '../helpers/config';

const buses: [string, () => EventBus][] = [['in-memory', () => new InMemoryBus()]];
const redisUrl = TEST_REDIS_URL;
if (redisUrl) buses.push(['redis', () => new RedisBus(redisUrl, `t${randomBytes(6).toString('hex')}`)]);
else console.warn('SKIPPED: Redis bus contract (set TEST_REDIS_URL to run it)');

const event = (keyId: string): KeyChangedEvent => ({ kind: 'api-key', keyId, accountId: 'a', change: 'updated' });
const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

describe.each(buses)('%s bus', (_name, make) => {
  const open: EventBus[] = [];
  const bus = () => {
    const b = make();
    open.push(b);
    return b;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  it('delivers to every subscriber of a topic, and only that topic', async () => {
    const b = bus();
    await b.ready();
    const a: string[] = [];
    const c: string[] = [];
    const other: unknown[] = [];
    b.subscribe('key.changed', (e) => a.push(e.keyId));
    b.subscribe('key.changed', (e) => c.push(e.keyId));
    b.subscribe('job.recorded', (e) => other.push(e));
    await settle();
    await b.publish('key.changed', event('k1'));
    await settle();
    expect(a).toEqual(['k1']);
    expect(c).toEqual(['k1']);
    expect(other).toEqual([]);
  });

  it('stops delivering after unsubscribe, and survives a throwing subscriber', async () => {
    const b = bus();
    await b.ready();
    const seen: string[] = [];
    b.subscribe('key.changed', () => {
      throw new Error('boom');
    });
    const off = b.subscribe('key.changed', (e) => seen.push(e.keyId));
    await settle();
    await b.publish('key.changed', event('k1'));
    await settle();
    off();
    await b.publish('key.changed', event('k2'));
    await settle();
    expect(seen).toEqual(['k1']);
  });

  it('delivers a copy: a subscriber cannot change what another sees', async () => {
    const b = bus();
    await b.ready();
    const seen: KeyChangedEvent[] = [];
    b.subscribe('key.changed', (e) => {
      (e as { keyId: string }).keyId = 'mutated';
    });
    b.subscribe('key.changed', (e) => seen.push(e));
    await settle();
    const original = event('k1');
    await b.publish('key.changed', original);
    await settle();
    expect(original.keyId).toBe('k1');
    expect(seen).toHaveLength(1);
    expect(seen[0].keyId).toBe('k1');
  });

  it('iterates a topic with a filter', async () => {
    const b = bus();
    await b.ready();
    const iterator = iterateTopic(b, 'key.changed', (e) => e.keyId !== 'skip');
    await settle();
    await b.publish('key.changed', event('skip'));
    await b.publish('key.changed', event('k1'));
    const first = await iterator.next();
    expect(first.value.keyId).toBe('k1');
    await iterator.return();
    expect((await iterator.next()).done).toBe(true);
  });
});

describe('BoundedQueue', () => {
  it('drops the oldest items beyond its capacity', async () => {
    const queue = new BoundedQueue<number>(3);
    for (let i = 1; i <= 5; i++) queue.push(i);
    expect(queue.dropped).toBe(2);
    expect((await queue.next()).value).toBe(3);
    expect((await queue.next()).value).toBe(4);
    expect((await queue.next()).value).toBe(5);
  });

  it('hands an item straight to a waiting reader, and ends readers on close', async () => {
    let closed = 0;
    const queue = new BoundedQueue<string>(2, () => closed++);
    const waiting = queue.next();
    queue.push('a');
    expect(await waiting).toEqual({ value: 'a', done: false });
    const pending = queue.next();
    queue.close();
    queue.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
    queue.push('ignored');
    expect((await queue.next()).done).toBe(true);
  });
});
