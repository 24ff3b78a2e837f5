// Who may do what with accounts' data: the platform's action table (common/actions.ts), named for
// what accounts guards. Every service method starts with one of these.
import { canPerformAction, requireAction } from '../../common/actions';
import { DomainError } from '../../common/errors';
import type { Principal } from '../../common/principal';

/** Buyer keys and key groups: the dashboard user, or a management key of buyer or full scope. */
export function requireKeyManager(principal: Principal): string {
  return requireAction(principal, 'keys:manage', 'buyer keys');
}

/** Management keys, projects and the account itself: the dashboard user only. */
export function requireDashboardUser(principal: Principal): string {
  return requireAction(principal, 'account:manage', 'the account');
}

/** The caller's account for read-only views of itself (any account credential). */
export function requireAccount(principal: Principal): string {
  return requireAction(principal, 'account:read', 'the account');
}

export function requireService(principal: Principal): void {
  if (!canPerformAction(principal, 'platform')) throw new DomainError('FORBIDDEN', 'Platform only');
}
