// Billing from the inside, for the money suites: usage events applied as the data plane sends them,
// settlement at a chosen time, an account's buckets read from billing's own store, and paid money
// deposited as a real payment provider would (embedded mode only has sandbox promo top-ups).
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { EntityManager } from '@mikro-orm/knex';
import type { UsageEvent } from '../../subgraphs/common/events';
import { lockBalances, post } from '../../subgraphs/billing/services/ledger';
import { sqlFor } from '../../subgraphs/billing/sql';
import { signup } from './credentials';
import { eventually } from './eventually';
import { rest } from './graphql';
import { asService } from './service';
import type { TestStack } from './stack';

const APPLY = 'mutation ($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied duplicates } }';
const SETTLE = 'mutation ($at: DateTimeISO) { settleEarnings(at: $at) { cooled released } }';
const HOUR = 3_600_000;

export type BillingAccount = { accountId: string; jwt: string };
export type Buckets = { balance: number; promo: number; pending: number; available: number; reserved: number };

export function billingFixtures(get: () => TestStack) {
  const billing = () => get().platform!.runtimes.find((r) => r.name === 'billing')!;
  /** One served request, with honest metering evidence unless overridden. */
  const usage = (buyer: BillingAccount, seller: BillingAccount | null, overrides: Partial<UsageEvent> = {}): UsageEvent => ({
    requestId: `req_${randomUUID()}`,
    keyId: `k-${buyer.accountId}`,
    buyerId: buyer.accountId,
    listingId: seller ? `listing-${seller.accountId}` : null,
    sellerId: seller?.accountId ?? null,
    model: 'dragonfly/sim-chat',
    capability: 'chat',
    inputTokens: 100,
    outputTokens: 50,
    characters: 0,
    costMicros: 1_000_000,
    latencyMs: 120,
    ttftMs: 30,
    status: 'completed',
    occurredAt: new Date(Date.now() - HOUR).toISOString(),
    reportedInputTokens: 100,
    reportedOutputTokens: 50,
    countedInputTokens: 100,
    countedOutputTokens: 50,
    ...overrides,
  });
  /** Applies the events as the platform; answers how many were new. */
  const apply = async (...events: UsageEvent[]): Promise<number> => {
    const result = await asService<{ applyUsage: { applied: number } }>(get(), 'billing', APPLY, { events });
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data!.applyUsage.applied;
  };
  const settle = async (at: Date) => expect((await asService(get(), 'billing', SETTLE, { at: at.toISOString() })).errors).toBeUndefined();
  const buckets = async (accountId: string): Promise<Buckets> => {
    const rows = (await billing()
      .db.orm.em.fork()
      .getConnection()
      .execute('select * from account_balances where account_id = ?', [accountId])) as Record<string, number | string>[];
    const row = rows[0] ?? {};
    return {
      balance: Number(row.balance_micros ?? 0),
      promo: Number(row.promo_micros ?? 0),
      pending: Number(row.earnings_pending_micros ?? 0),
      available: Number(row.earnings_available_micros ?? 0),
      reserved: Number(row.earnings_reserved_micros ?? 0),
    };
  };
  const deposit = async (accountId: string, micros: number) => {
    const em = billing().db.orm.em.fork() as EntityManager;
    await em.transactional(async (tem) => {
      const sql = sqlFor(tem as EntityManager);
      await lockBalances(sql, new Date(), [accountId]);
      await post(sql, { newId: () => randomUUID() }, new Date(), [
        {
          accountId,
          bucket: 'balance',
          type: 'adjustment',
          amountMicros: micros,
          reference: `test-deposit:${randomUUID()}`,
          description: 'Test deposit (paid money)',
        },
      ]);
    });
  };
  /** A new account once its trial credit is posted (so the next charges are paid, the trial spent first). */
  const account = async (label: string): Promise<BillingAccount> => {
    const fresh = await signup(get().url, label);
    await eventually(async () => expect((await buckets(fresh.accountId)).promo).toBe(100_000));
    return fresh;
  };
  const call = (method: string, path: string, token?: string, body?: unknown) => rest(get().url, method, path, { token, body });
  return { billing, usage, apply, settle, buckets, deposit, account, call };
}
