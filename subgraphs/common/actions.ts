// Who may do what, in one table that every subgraph reads: each owned fact is guarded by an action,
// on root fields and on every field that returns owned data (a federated field reached through
// another subgraph's object must not skip the scope a root field would have checked).
import { DomainError, unauthenticated } from './errors';
import { accountOf, type Principal } from './principal';

export type Action =
  /** Buyer keys and key groups. */
  | 'keys:manage'
  | 'keys:read'
  /** Management keys, projects, sessions: the account itself. */
  | 'account:manage'
  /** The caller's own account, read. */
  | 'account:read'
  /** Supply: pool keys, listings, contracts, probes, price reviews. */
  | 'supply:manage'
  | 'supply:read'
  /** Routing profiles (the buyer side of routing). */
  | 'routing:manage'
  | 'routing:read'
  /** Buyer money: balance, usage, transactions, top-ups, disputes. */
  | 'money:buyer'
  /** Seller money: earnings, reserve, payouts. */
  | 'money:seller'
  /** One request's record: its buyer (or the buyer key that made it). */
  | 'request:read'
  /** Data-plane and scheduler entry points. */
  | 'platform';

type Scope = 'buyer' | 'seller' | 'full';

interface Rule {
  /** Management-key scopes allowed (a dashboard session is always allowed, except for platform actions). */
  scopes: readonly Scope[];
  buyerKey: boolean;
  /** The platform's service principal may read it (never act as an account). */
  service: boolean;
  user: boolean;
}

const BUYER: readonly Scope[] = ['buyer', 'full'];
const SELLER: readonly Scope[] = ['seller', 'full'];
const ANY: readonly Scope[] = ['buyer', 'seller', 'full'];

export const ACTIONS: Readonly<Record<Action, Rule>> = {
  'keys:manage': { scopes: BUYER, buyerKey: false, service: false, user: true },
  'keys:read': { scopes: BUYER, buyerKey: false, service: true, user: true },
  'account:manage': { scopes: [], buyerKey: false, service: false, user: true },
  'account:read': { scopes: ANY, buyerKey: false, service: true, user: true },
  'supply:manage': { scopes: SELLER, buyerKey: false, service: false, user: true },
  'supply:read': { scopes: SELLER, buyerKey: false, service: true, user: true },
  'routing:manage': { scopes: BUYER, buyerKey: false, service: false, user: true },
  'routing:read': { scopes: BUYER, buyerKey: false, service: true, user: true },
  'money:buyer': { scopes: BUYER, buyerKey: false, service: true, user: true },
  'money:seller': { scopes: SELLER, buyerKey: false, service: true, user: true },
  'request:read': { scopes: BUYER, buyerKey: true, service: true, user: true },
  platform: { scopes: [], buyerKey: false, service: true, user: false },
};

/** Whether the principal's kind and scope allow the action at all. */
export function canPerformAction(principal: Principal, action: Action): boolean {
  const rule = ACTIONS[action];
  switch (principal.kind) {
    case 'user':
      return rule.user;
    case 'management':
      return rule.scopes.includes(principal.scope);
    case 'buyer-key':
      return rule.buyerKey;
    case 'service':
      return rule.service;
    default:
      return false;
  }
}

/** Whether the principal may perform the action on data owned by `ownerAccountId` (the platform may read any). */
export function canAccess(principal: Principal, action: Action, ownerAccountId: string | null | undefined): boolean {
  if (!canPerformAction(principal, action)) return false;
  if (principal.kind === 'service') return true;
  return ownerAccountId != null && accountOf(principal) === ownerAccountId;
}

/**
 * The caller's account for an action on its own data, or the refusal: UNAUTHENTICATED without a
 * credential, FORBIDDEN naming what the credential lacks. `what` names the data in the message.
 */
export function requireAction(principal: Principal, action: Action, what: string): string {
  if (canPerformAction(principal, action) && principal.kind !== 'service') return accountOf(principal)!;
  const rule = ACTIONS[action];
  switch (principal.kind) {
    case 'anonymous':
      throw unauthenticated();
    case 'buyer-key':
      throw new DomainError('FORBIDDEN', 'A buyer key can only call the inference routes under /v1');
    case 'management':
      if (rule.scopes.length === 0) throw new DomainError('FORBIDDEN', 'A management key cannot do this; use a dashboard session');
      throw new DomainError(
        'FORBIDDEN',
        `This management key has ${principal.scope} scope; ${what} need ${rule.scopes.join(' or ')} scope`,
      );
    case 'service':
      throw new DomainError('FORBIDDEN', action === 'platform' ? 'Platform only' : `The platform does not act as an account (${what})`);
    default:
      throw new DomainError('FORBIDDEN', action === 'platform' ? 'Platform only' : `Not allowed: ${what}`);
  }
}
