// Fixed-window request counters per credential (and per client address on auth routes): in memory
// in one process, in Redis when the bus is Redis so that every gateway replica shares the count.
import { Redis } from 'ioredis';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
  remaining: number;
}

export interface RateLimiter {
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  close(): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const now = this.now();
    const start = now - (now % windowMs);
    let window = this.windows.get(key);
    if (!window || window.start !== start) {
      if (this.windows.size > 100_000) this.sweep(start);
      window = { start, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return {
      allowed: window.count <= limit,
      retryAfterSeconds: Math.ceil((start + windowMs - now) / 1000),
      remaining: Math.max(0, limit - window.count),
    };
  }

  private sweep(currentStart: number): void {
    for (const [key, window] of this.windows) if (window.start !== currentStart) this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  constructor(
    url: string,
    private readonly namespace: string,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', () => {});
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const now = this.now();
    const start = now - (now % windowMs);
    const redisKey = `${this.namespace}:rl:${key}:${start}`;
    const [[, count]] = (await this.redis.multi().incr(redisKey).pexpire(redisKey, windowMs).exec()) as [[null, number], [null, number]];
    return {
      allowed: count <= limit,
      retryAfterSeconds: Math.ceil((start + windowMs - now) / 1000),
      remaining: Math.max(0, limit - count),
    };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => {});
  }
}
