// Who may read or move which money.
import { forbidden, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';

/** Buyer money (balance, usage, transactions): the dashboard user or a buyer/full management key. */
export function requireBuyer(principal: Principal): string {
  if (principal.kind === 'user') return principal.accountId;
  if (principal.kind === 'management') {
    if (principal.scope === 'seller') throw forbidden('This management key has seller scope; buyer figures need buyer or full scope');
    return principal.accountId;
  }
  if (principal.kind === 'buyer-key') throw forbidden('A buyer key can only call the inference routes under /v1');
  throw unauthenticated();
}

/** Seller money (earnings, reserve): the dashboard user or a seller/full management key. */
export function requireSeller(principal: Principal): string {
  if (principal.kind === 'user') return principal.accountId;
  if (principal.kind === 'management') {
    if (principal.scope === 'buyer') throw forbidden('This management key has buyer scope; earnings need seller or full scope');
    return principal.accountId;
  }
  if (principal.kind === 'buyer-key') throw forbidden('A buyer key can only call the inference routes under /v1');
  throw unauthenticated();
}

/** One request's record: its buyer, by session, buyer/full management key, or the buyer key itself. */
export function requireRequestOwner(principal: Principal): string {
  if (principal.kind === 'buyer-key') return principal.accountId;
  return requireBuyer(principal);
}

export function requireService(principal: Principal): void {
  if (principal.kind !== 'service') throw forbidden('Platform only');
}
