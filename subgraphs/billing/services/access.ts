// Who may read or move which money: the platform's action table (common/actions.ts), named for
// what billing guards.
import { canAccess, canPerformAction, requireAction } from '../../common/actions';
import { forbidden } from '../../common/errors';
import type { Principal } from '../../common/principal';

/** Buyer money (balance, usage, transactions): the dashboard user or a buyer/full management key. */
export function requireBuyer(principal: Principal): string {
  return requireAction(principal, 'money:buyer', 'buyer figures');
}

/** Seller money (earnings, reserve): the dashboard user or a seller/full management key. */
export function requireSeller(principal: Principal): string {
  return requireAction(principal, 'money:seller', 'earnings');
}

/** One request's record: its buyer, by session, buyer/full management key, or the buyer key itself. */
export function requireRequestOwner(principal: Principal): string {
  return requireAction(principal, 'request:read', 'request records');
}

export function requireService(principal: Principal): void {
  if (!canPerformAction(principal, 'platform')) throw forbidden('Platform only');
}

/** Whether the caller may read this account's buyer money (its owner with a buyer-side credential, or the platform). */
export function seesBuyerMoneyOf(principal: Principal, accountId: string): boolean {
  return canAccess(principal, 'money:buyer', accountId);
}

/** Whether the caller may read this account's seller money. */
export function seesSellerMoneyOf(principal: Principal, accountId: string): boolean {
  return canAccess(principal, 'money:seller', accountId);
}
