// Who may do what with accounts' data. Every service method starts with one of these.
import { DomainError, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';

/** Buyer keys and key groups: the dashboard user, or a management key of buyer or full scope. */
export function requireKeyManager(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.accountId;
    case 'management':
      if (principal.scope === 'seller') throw new DomainError('FORBIDDEN', 'This management key has seller scope; buyer keys need buyer or full scope');
      return principal.accountId;
    case 'buyer-key':
      throw new DomainError('FORBIDDEN', 'A buyer key can only call the inference routes under /v1');
    default:
      throw unauthenticated();
  }
}

/** Management keys, projects and the account itself: the dashboard user only. */
export function requireDashboardUser(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.accountId;
    case 'management':
      throw new DomainError('FORBIDDEN', 'A management key cannot do this; use a dashboard session');
    case 'buyer-key':
      throw new DomainError('FORBIDDEN', 'A buyer key can only call the inference routes under /v1');
    default:
      throw unauthenticated();
  }
}

/** The caller's account for read-only views of itself (any account credential). */
export function requireAccount(principal: Principal): string {
  if (principal.kind === 'user' || principal.kind === 'management') return principal.accountId;
  if (principal.kind === 'buyer-key') throw new DomainError('FORBIDDEN', 'A buyer key can only call the inference routes under /v1');
  throw unauthenticated();
}

export function requireService(principal: Principal): void {
  if (principal.kind !== 'service') throw new DomainError('FORBIDDEN', 'Platform only');
}
