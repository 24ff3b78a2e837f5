// Everything the data plane knows about why a request went wrong, in one place. The retry loop,
// the listing cooldown, contract health and billing all ask this file, so that a buyer's doing
// (a bad request, a disconnect) is never held against a seller, and a seller's failure is never
// charged to a buyer.
import type { UpstreamError } from './upstream';

export type FailureClass =
  /** The request itself was refused (400/413/422 upstream, or by the gateway before any attempt). */
  | 'caller'
  /** The buyer went away (closed the connection or cancelled the stream). */
  | 'buyer-abort'
  /** The provider said 429. */
  | 'rate-limited'
  /** Connect error, timeout, reset, 5xx, a stalled stream, or the provider refusing its own credentials. */
  | 'transient'
  /** The provider answered, but not as the protocol says: a malformed body, a stream cut without its end. */
  | 'protocol-violation'
  /** The gateway's own error while answering: neither the provider's fault nor chargeable. */
  | 'platform';

const CALLER_STATUSES = new Set([400, 409, 413, 415, 422]);

export function classifyUpstreamError(error: UpstreamError): FailureClass {
  switch (error.kind) {
    case 'aborted':
      return 'buyer-abort';
    case 'status':
      if (error.status === 429) return 'rate-limited';
      // 401/403/404 upstream are the listing's key or model, not the buyer's request.
      return CALLER_STATUSES.has(error.status ?? 0) ? 'caller' : 'transient';
    default:
      return 'transient';
  }
}

/** Whether the next candidate may be tried (only before the first byte reached the buyer). */
export function fallsBack(failure: FailureClass): boolean {
  return failure === 'rate-limited' || failure === 'transient' || failure === 'protocol-violation';
}

/** Whether the listing is skipped for a while on this replica. */
export function coolsDown(failure: FailureClass): boolean {
  return fallsBack(failure);
}

/** Whether the failure is reported to market as a failed LIVE check against the listing. */
export function countsAgainstListing(failure: FailureClass): boolean {
  return fallsBack(failure);
}

/** Whether the buyer pays for what was delivered before it happened. */
export function chargesDelivered(failure: FailureClass): boolean {
  return failure === 'buyer-abort';
}
