// Overload is answered early: past what this process can serve, a new inference request gets a 503
// with retry-after at once (in its dialect's envelope) instead of queueing until its client times
// out, and the next request after the load drops is served again. Two signals: requests in flight
// (a hard cap) and the event loop's mean delay (@fastify/under-pressure samples it each second).
// No account may hold more than its share of the slots (a flood from one buyer answers that buyer
// 429, not everybody 503): checked once the request's key is known.
import { InferenceError, rateLimited } from './openai-errors';

export const SHED_RETRY_AFTER_SECONDS = 1;

export class LoadShedder {
  private inFlight = 0;
  private readonly byAccount = new Map<string, number>();
  /** Requests answered 503 so far (the `/metrics` counter reads it). */
  shed = 0;

  constructor(
    private readonly maxInFlight: number,
    /** Whether the process is past its event-loop budget. */
    private underPressure: () => boolean = () => false,
    /** The most one account may hold at once. */
    private readonly maxPerAccount = Math.max(1, Math.floor(maxInFlight / 4)),
  ) {}

  /** The event-loop signal, once the plugin that samples it is registered. */
  watch(underPressure: () => boolean): void {
    this.underPressure = underPressure;
  }

  get active(): number {
    return this.inFlight;
  }

  /** Takes a slot for the request (give it back with leave()), or answers the 503 to send instead. */
  enter(): InferenceError | null {
    const why =
      this.inFlight >= this.maxInFlight
        ? `${this.maxInFlight} requests are already in flight`
        : this.underPressure()
          ? 'its event loop is saturated'
          : null;
    if (why) {
      this.shed++;
      return new InferenceError(503, `The gateway is overloaded (${why}); retry shortly`, 'api_error', 'overloaded', null, {
        'retry-after': String(SHED_RETRY_AFTER_SECONDS),
      });
    }
    this.inFlight++;
    return null;
  }

  leave(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  /** The account's share of the slots: a 429 when it already holds its most, else a release function. */
  enterAccount(accountId: string): (() => void) | InferenceError {
    const held = this.byAccount.get(accountId) ?? 0;
    if (held >= this.maxPerAccount) {
      this.shed++;
      return rateLimited(
        `This account already has ${held} requests in flight on this gateway, its most while others share it; retry shortly`,
        SHED_RETRY_AFTER_SECONDS,
        { limit_scope: 'account', limit: 'in_flight', limit_value: this.maxPerAccount },
      );
    }
    this.byAccount.set(accountId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.byAccount.get(accountId) ?? 1) - 1;
      if (left > 0) this.byAccount.set(accountId, left);
      else this.byAccount.delete(accountId);
    };
  }
}
