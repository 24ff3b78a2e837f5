// Who may do what with market's data: the platform's action table (common/actions.ts), named for
// what market guards. Every service method starts with one of these.
import { canAccess, canPerformAction, requireAction } from '../../common/actions';
import { DomainError, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';

/** Supply (pool keys, listings, contracts, probes, price reviews): the dashboard user, or a management key of seller or full scope. */
export function requireSeller(principal: Principal): string {
  return requireAction(principal, 'supply:manage', 'seller operations');
}

/** Routing profiles (buyer side): the dashboard user, or a management key of buyer or full scope. */
export function requireRoutingManager(principal: Principal): string {
  return requireAction(principal, 'routing:manage', 'routing profiles');
}

/** Data-plane and scheduler entry points (routing table, live reports). */
export function requireService(principal: Principal): void {
  if (principal.kind === 'anonymous') throw unauthenticated();
  if (!canPerformAction(principal, 'platform')) throw new DomainError('FORBIDDEN', 'Platform only');
}

/** Whether the caller may see a listing's private side (pool key, upstream model, contract, reviews): its seller, or the platform. */
export function seesSupplyOf(principal: Principal, sellerId: string): boolean {
  return canAccess(principal, 'supply:read', sellerId);
}

/** Whether the caller may see a routing profile: its owner (buyer side), or the platform. */
export function seesRoutingOf(principal: Principal, accountId: string): boolean {
  return canAccess(principal, 'routing:read', accountId);
}
