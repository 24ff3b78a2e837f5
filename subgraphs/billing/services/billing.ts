// The billing domain rules: who may see which money figure.
import { accountOf, type Principal } from '../../common/principal';
import { Money } from '../../common/graphql-types';
import type { Cycle } from '../../common/cycles';
import type { BillingLoaders } from '../loaders';

export class BillingService {
  constructor(private readonly loaders: BillingLoaders) {}

  /** An account's balance, for the account itself (or the platform) only. */
  async balanceOf(principal: Principal, accountId: string): Promise<Money | null> {
    if (!canSee(principal, accountId)) return null;
    const row = await this.loaders.balanceByAccount.load(accountId);
    return Money.of(row?.balanceMicros ?? 0);
  }

  /** Everything a key has spent; zero until usage exists. Someone else's key reads as null. */
  async usageInTotal(principal: Principal, keyId: string): Promise<Money | null> {
    const row = await this.loaders.usageByKey.load(keyId);
    if (row && !canSee(principal, row.accountId)) return null;
    return Money.of(row?.totalMicros ?? 0);
  }

  /** Spend in the key's current cycle window (UTC); without a cycle, everything it has spent. */
  async usageInCycle(principal: Principal, keyId: string, cycle: Cycle | null | undefined): Promise<Money | null> {
    if (!cycle) return this.usageInTotal(principal, keyId);
    const usage = await this.loaders.usageInCycle.load(`${cycle}:${keyId}`);
    if (usage.accountId && !canSee(principal, usage.accountId)) return null;
    return Money.of(usage.micros);
  }
}

function canSee(principal: Principal, accountId: string): boolean {
  return principal.kind === 'service' || accountOf(principal) === accountId;
}
