// Who may do what with market's data. Every service method starts with one of these.
import { DomainError, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';

const BUYER_KEY_REFUSED = 'A buyer key can only call the inference routes under /v1';

/** Supply (pool keys, listings, contracts, probes, price reviews): the dashboard user, or a management key of seller or full scope. */
export function requireSeller(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.accountId;
    case 'management':
      if (principal.scope === 'buyer') throw new DomainError('FORBIDDEN', 'This management key has buyer scope; seller operations need seller or full scope');
      return principal.accountId;
    case 'buyer-key':
      throw new DomainError('FORBIDDEN', BUYER_KEY_REFUSED);
    case 'service':
      throw new DomainError('FORBIDDEN', 'The platform does not act as a seller');
    default:
      throw unauthenticated();
  }
}

/** Routing profiles (buyer side): the dashboard user, or a management key of buyer or full scope. */
export function requireRoutingManager(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.accountId;
    case 'management':
      if (principal.scope === 'seller') throw new DomainError('FORBIDDEN', 'This management key has seller scope; routing profiles need buyer or full scope');
      return principal.accountId;
    case 'buyer-key':
      throw new DomainError('FORBIDDEN', BUYER_KEY_REFUSED);
    case 'service':
      throw new DomainError('FORBIDDEN', 'The platform has no routing profiles of its own');
    default:
      throw unauthenticated();
  }
}

/** Data-plane and scheduler entry points (routing table, live reports). */
export function requireService(principal: Principal): void {
  if (principal.kind === 'anonymous') throw unauthenticated();
  if (principal.kind !== 'service') throw new DomainError('FORBIDDEN', 'Platform only');
}

/** Whether the caller may see a listing's private side (pool key, upstream model, contract, reviews): its seller, or the platform. */
export function seesSupplyOf(principal: Principal, sellerId: string): boolean {
  if (principal.kind === 'service') return true;
  if (principal.kind === 'user') return principal.accountId === sellerId;
  if (principal.kind === 'management') return principal.scope !== 'buyer' && principal.accountId === sellerId;
  return false;
}

/** Whether the caller may see a routing profile: its owner (buyer side), or the platform. */
export function seesRoutingOf(principal: Principal, accountId: string): boolean {
  if (principal.kind === 'service') return true;
  if (principal.kind === 'user') return principal.accountId === accountId;
  if (principal.kind === 'management') return principal.scope !== 'seller' && principal.accountId === accountId;
  return false;
}
