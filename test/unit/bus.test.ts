// The same contract for both buses; the Redis one runs when TEST_REDIS_URL is set.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { BoundedQueue } from '../../subgraphs/common/async-queue';
import { InMemoryBus, RedisBus, iterateTopic, type EventBus } from '../../subgraphs/common/bus';
import type { KeyChangedEvent } from '../../subgraphs/common/events';
import { TEST_REDIS_URL } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { startTcpProxy, targetOf, type TcpProxy } from '../helpers/tcp-proxy';

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

describe.skipIf(!redisUrl)('Redis bus across a cut connection', () => {
  let proxy: TcpProxy;
  const open: EventBus[] = [];
  const track = <B extends EventBus>(b: B): B => (open.push(b), b);
  beforeEach(async () => {
    proxy = await startTcpProxy(targetOf(redisUrl!));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    await proxy.close();
  });

  it('keeps what it publishes while Redis is unreachable and sends it, in order, once Redis is back', async () => {
    const namespace = `t${randomBytes(6).toString('hex')}`;
    const publisher = track(new RedisBus(proxy.rewrite(redisUrl!), namespace));
    const listener = track(new RedisBus(redisUrl!, namespace));
    await Promise.all([publisher.ready(), listener.ready()]);
    const seen: string[] = [];
    listener.subscribe('key.changed', (e) => seen.push(e.keyId));
    await settle();
    await publisher.publish('key.changed', event('before'));
    await eventually(() => expect(seen).toEqual(['before']));

    await proxy.stop();
    // Resolves (what it announces is already decided and stored), and is kept.
    for (const keyId of ['cut-1', 'cut-2', 'cut-3']) await publisher.publish('key.changed', event(keyId));
    expect(publisher.pendingPublishes).toBe(3);
    await proxy.start();
    await eventually(() => expect(seen).toEqual(['before', 'cut-1', 'cut-2', 'cut-3']), { timeoutMs: 5_000 });
    expect(publisher.pendingPublishes).toBe(0);
    await publisher.publish('key.changed', event('after'));
    await eventually(() => expect(seen).toEqual(['before', 'cut-1', 'cut-2', 'cut-3', 'after']));
  });

  it('reports a gap once its channels are subscribed again: a change announced from a gap handler is heard', async () => {
    const namespace = `t${randomBytes(6).toString('hex')}`;
    const subscriber = track(new RedisBus(proxy.rewrite(redisUrl!), namespace));
    const direct = track(new RedisBus(redisUrl!, namespace));
    await Promise.all([subscriber.ready(), direct.ready()]);
    const seen: string[] = [];
    let gaps = 0;
    subscriber.subscribe('key.changed', (e) => seen.push(e.keyId));
    // What a cache does at a gap: reload. A change made right after the reload must still reach it.
    subscriber.onGap(() => {
      gaps++;
      void direct.publish('key.changed', event(`after-gap-${gaps}`));
    });
    await settle();
    expect(gaps).toBe(0); // the first connection is no gap

    for (let round = 1; round <= 3; round++) {
      await proxy.stop();
      await direct.publish('key.changed', event(`lost-${round}`)); // nobody is listening through the proxy
      await proxy.start();
      await eventually(() => expect(gaps).toBe(round), { timeoutMs: 5_000 });
      await eventually(() => expect(seen).toContain(`after-gap-${round}`));
    }
    expect(seen.filter((keyId) => keyId.startsWith('lost-'))).toEqual([]);
  });
});
