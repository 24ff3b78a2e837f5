// The event bus: in memory in embedded mode, Redis pub/sub when BUS_URL is set. Both implement the
// same interface and the same tests run against both.
import { Redis } from 'ioredis';
import type { BusTopics, Topic } from './events';
import { BoundedQueue } from './async-queue';

export type Handler<T extends Topic> = (payload: BusTopics[T]) => void;

export interface EventBus {
  publish<T extends Topic>(topic: T, payload: BusTopics[T]): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void;
  /** Resolves when the bus can carry events (Redis: both connections up). */
  ready(): Promise<void>;
  /**
   * Calls `handler` when events may have been lost: the subscriber connection came back after it
   * was cut (pub/sub does not replay), once its channels are subscribed again, so that what a
   * handler reloads cannot miss a later event. Whoever caches what events invalidate drops
   * everything then.
   */
  onGap(handler: () => void): () => void;
  close(): Promise<void>;
}

export class InMemoryBus implements EventBus {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();

  async publish<T extends Topic>(topic: T, payload: BusTopics[T]): Promise<void> {
    // Deliver on a later tick, like a real broker: a publisher never runs its subscribers inline.
    const handlers = this.handlers.get(topic);
    if (!handlers) return;
    const copy = deepFreeze(structuredClone(payload));
    queueMicrotask(() => {
      for (const handler of handlers) safeCall(handler, copy);
    });
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    const h = handler as (payload: unknown) => void;
    set.add(h);
    return () => void set.delete(h);
  }

  async ready(): Promise<void> {}

  /** In one process nothing is ever missed. */
  onGap(): () => void {
    return () => {};
  }
  async close(): Promise<void> {
    this.handlers.clear();
  }
}

/** Messages a publisher keeps while Redis is unreachable; beyond it the oldest are dropped (counted in `droppedUnsent`). */
export const UNSENT_CAPACITY = 10_000;

export class RedisBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();
  private readonly gapHandlers = new Set<() => void>();
  private connectedOnce = false;
  private lost = false;
  /** Published while Redis could not take them: sent in order once the publisher is back. */
  private readonly unsent: { channel: string; message: string }[] = [];
  private flushing: Promise<void> | null = null;
  /** Unsent messages dropped because the outage outlasted UNSENT_CAPACITY (tests, metrics). */
  droppedUnsent = 0;

  constructor(
    url: string,
    private readonly namespace: string,
  ) {
    // Reconnect within a fifth of a second of Redis coming back (ioredis's default backs off to
    // 2 s): what the caches missed meanwhile is dropped at the gap, so the sooner the better.
    const options = {
      lazyConnect: false,
      maxRetriesPerRequest: 3,
      enableReadyCheck: true,
      retryStrategy: (times: number) => Math.min(times * 50, 200),
    };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    // Connection errors are retried by ioredis; keep them from becoming unhandled 'error' events.
    this.publisher.on('error', () => {});
    this.subscriber.on('error', () => {});
    this.publisher.on('ready', () => void this.flushUnsent());
    this.subscriber.on('close', () => {
      if (this.connectedOnce) this.lost = true;
    });
    this.subscriber.on('ready', () => {
      const gap = this.lost;
      this.connectedOnce = true;
      this.lost = false;
      if (!gap) return;
      // ioredis has sent SUBSCRIBE again for its channels; everything published meanwhile is gone.
      // The gap is reported once Redis confirmed them (a repeated SUBSCRIBE is a no-op, and its
      // answer comes after ioredis's own), so a cache reloaded by a handler hears every later change.
      const channels = [...this.handlers.keys()];
      const confirmed = channels.length ? this.subscriber.subscribe(...channels) : Promise.resolve();
      // Cut again before the answer: report it anyway (dropping a cache is always safe); the next
      // reconnection reports another gap.
      void confirmed
        .catch(() => {})
        .then(() => {
          for (const handler of this.gapHandlers) safeCall(handler, undefined);
        });
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      const handlers = this.handlers.get(channel);
      if (!handlers) return;
      let payload: unknown;
      try {
        payload = deepFreeze(JSON.parse(message));
      } catch {
        return;
      }
      for (const handler of handlers) safeCall(handler, payload);
    });
  }

  private channel(topic: string): string {
    return `${this.namespace}:${topic}`;
  }

  /**
   * Resolves once Redis took the message, or once it is kept for later because Redis cannot be
   * reached: what was decided (a key revoked, a balance topped up) is already stored by the
   * publisher, and its event must not be lost with the connection. Kept messages go out in order
   * when the publisher reconnects, and later ones wait behind them. (Subscribers that were cut
   * meanwhile also hear a gap; every consumer applies an event twice harmlessly.)
   */
  async publish<T extends Topic>(topic: T, payload: BusTopics[T]): Promise<void> {
    const entry = { channel: this.channel(topic), message: JSON.stringify(payload) };
    // Not connected: kept at once rather than after ioredis's retries (a caller waits for this).
    if (this.unsent.length === 0 && this.publisher.status === 'ready') {
      try {
        await this.publisher.publish(entry.channel, entry.message);
        return;
      } catch {
        // Unreachable (ioredis gave up after its retries): kept below.
      }
    }
    this.unsent.push(entry);
    if (this.unsent.length > UNSENT_CAPACITY) {
      this.unsent.shift();
      this.droppedUnsent++;
    }
    // Redis may have come back while this one was failing.
    if (this.publisher.status === 'ready') void this.flushUnsent();
  }

  /** Messages waiting for Redis (tests, metrics). */
  get pendingPublishes(): number {
    return this.unsent.length;
  }

  private flushUnsent(): Promise<void> {
    // `.finally` runs on a later tick, so `flushing` is cleared only after it was set.
    this.flushing ??= this.sendUnsent().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async sendUnsent(): Promise<void> {
    try {
      while (this.unsent.length > 0) {
        const next = this.unsent[0];
        await this.publisher.publish(next.channel, next.message);
        this.unsent.shift();
      }
    } catch {
      // Cut again: the next 'ready' sends the rest.
    }
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
    const channel = this.channel(topic);
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      void this.subscriber.subscribe(channel).catch(() => {});
    }
    const h = handler as (payload: unknown) => void;
    set.add(h);
    return () => {
      set.delete(h);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        void this.subscriber.unsubscribe(channel).catch(() => {});
      }
    };
  }

  async ready(): Promise<void> {
    await Promise.all([this.publisher.ping(), this.subscriber.ping()]);
  }

  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => this.gapHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    // What is still kept goes out if Redis can take it now (a graceful stop after an outage).
    if (this.unsent.length > 0 && this.publisher.status === 'ready') await this.flushUnsent();
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
  }
}

/** Subscribers share one payload; freezing it keeps one subscriber from changing what another sees. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function safeCall(handler: (payload: unknown) => void, payload: unknown): void {
  try {
    handler(payload);
  } catch {
    // A failing subscriber must not stop delivery to the others.
  }
}

export function createBus(busUrl: string | undefined, namespace: string): EventBus {
  return busUrl ? new RedisBus(busUrl, namespace) : new InMemoryBus();
}

/** A topic as an async iterable with a bounded, drop-oldest buffer; closing it unsubscribes. */
export function iterateTopic<T extends Topic>(
  bus: EventBus,
  topic: T,
  accept: (payload: BusTopics[T]) => boolean = () => true,
  capacity = 256,
): BoundedQueue<BusTopics[T]> {
  let unsubscribe = () => {};
  const queue = new BoundedQueue<BusTopics[T]>(capacity, () => unsubscribe());
  unsubscribe = bus.subscribe(topic, (payload) => {
    if (accept(payload)) queue.push(payload);
  });
  return queue;
}
