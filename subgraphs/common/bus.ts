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
   * was cut (pub/sub does not replay). Whoever caches what events invalidate drops everything then.
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

export class RedisBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();
  private readonly gapHandlers = new Set<() => void>();
  private connectedOnce = false;
  private lost = false;

  constructor(url: string, private readonly namespace: string) {
    // Reconnect within half a second of Redis coming back (ioredis's default backs off to 2 s):
    // what the caches missed meanwhile is dropped at the gap, so the sooner the better.
    const options = { lazyConnect: false, maxRetriesPerRequest: 3, enableReadyCheck: true, retryStrategy: (times: number) => Math.min(times * 50, 500) };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    // Connection errors are retried by ioredis; keep them from becoming unhandled 'error' events.
    this.publisher.on('error', () => {});
    this.subscriber.on('error', () => {});
    this.subscriber.on('close', () => {
      if (this.connectedOnce) this.lost = true;
    });
    this.subscriber.on('ready', () => {
      const gap = this.lost;
      this.connectedOnce = true;
      this.lost = false;
      // ioredis resubscribes its channels on reconnect; everything published meanwhile is gone.
      if (gap) for (const handler of this.gapHandlers) safeCall(handler, undefined);
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

  async publish<T extends Topic>(topic: T, payload: BusTopics[T]): Promise<void> {
    await this.publisher.publish(this.channel(topic), JSON.stringify(payload));
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
