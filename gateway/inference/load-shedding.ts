// Overload is answered early: past what this process can serve, a new inference request gets a 503
// with retry-after at once (in its dialect's envelope) instead of queueing until its client times
// out, and the next request after the load drops is served again. Two signals: requests in flight
// (a hard cap) and the event loop's mean delay (@fastify/under-pressure samples it each second).
import { InferenceError } from './openai-errors';

export const SHED_RETRY_AFTER_SECONDS = 1;

export class LoadShedder {
  private inFlight = 0;
  /** Requests answered 503 so far (the `/metrics` counter reads it). */
  shed = 0;

  constructor(
    private readonly maxInFlight: number,
    /** Whether the process is past its event-loop budget (null: not watched). */
    private readonly underPressure: () => boolean = () => false,
  ) {}

  get active(): number {
    return this.inFlight;
  }

  /** Takes a slot for the request (give it back with leave()), or answers the 503 to send instead. */
  enter(): InferenceError | null {
    const why = this.inFlight >= this.maxInFlight ? `${this.maxInFlight} requests are already in flight` : this.underPressure() ? 'its event loop is saturated' : null;
    if (why) {
      this.shed++;
      return new InferenceError(503, `The gateway is overloaded (${why}); retry shortly`, 'api_error', 'overloaded', null, { 'retry-after': String(SHED_RETRY_AFTER_SECONDS) });
    }
    this.inFlight++;
    return null;
  }

  leave(): void {
    if (this.inFlight > 0) this.inFlight--;
  }
}
