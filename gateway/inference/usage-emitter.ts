// Usage events are money: batched to billing, retried with backoff while billing is down, flushed
// on shutdown, never dropped. Billing applies each request id once, so a retry after a lost
// answer charges nothing twice.
import type { UsageEvent } from '../../subgraphs/common/events';

export type UsageSink = (events: UsageEvent[]) => Promise<void>;

export interface UsageEmitterOptions {
  batchSize: number;
  flushIntervalMs: number;
  maxBackoffMs: number;
}

export class UsageEmitter {
  private queue: UsageEvent[] = [];
  private sending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private closed = false;
  applied = 0;
  failures = 0;

  constructor(
    private readonly sink: UsageSink,
    private readonly options: UsageEmitterOptions = { batchSize: 500, flushIntervalMs: 50, maxBackoffMs: 5_000 },
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  emit(event: UsageEvent): void {
    this.queue.push(event);
    if (this.queue.length >= this.options.batchSize) this.kick(0);
    else this.kick(this.options.flushIntervalMs);
  }

  private kick(delayMs: number): void {
    if (this.sending || this.closed) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.sendOne();
      },
      Math.max(delayMs, this.backoffMs),
    );
  }

  /** Sends one batch; on failure keeps it at the head of the queue and backs off. */
  private sendOne(): Promise<void> {
    if (this.sending || this.queue.length === 0) return this.sending ?? Promise.resolve();
    const batch = this.queue.slice(0, this.options.batchSize);
    this.sending = this.sink(batch)
      .then(
        () => {
          this.queue.splice(0, batch.length);
          this.applied += batch.length;
          this.backoffMs = 0;
        },
        () => {
          this.failures++;
          this.backoffMs = Math.min(this.options.maxBackoffMs, Math.max(100, this.backoffMs * 2));
        },
      )
      .finally(() => {
        this.sending = null;
        if (this.queue.length > 0) this.kick(this.queue.length >= this.options.batchSize ? 0 : this.options.flushIntervalMs);
      });
    return this.sending;
  }

  /** Sends everything queued, retrying until `deadlineMs`; resolves with what is left unsent. */
  async flush(deadlineMs = 10_000): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await (this.sending ?? this.sendOne());
      if (this.queue.length > 0 && this.backoffMs > 0)
        await new Promise((r) => setTimeout(r, Math.min(this.backoffMs, Math.max(0, deadline - Date.now()))));
    }
    return this.queue.length;
  }

  async close(deadlineMs = 10_000): Promise<number> {
    const left = await this.flush(deadlineMs);
    this.closed = true;
    return left;
  }
}
