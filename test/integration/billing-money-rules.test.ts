// The money rules through the whole product, from the hostile side: sandbox top-ups off in
// production unless asked for, the per-day top-up cap (sequential and concurrent), usage beyond the
// balance charged down to exactly zero, and a buyer selling to itself with trial credit.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BillingEarningsDocument,
  BillingGenerationDocument,
  BillingTopUpDocument,
  MoneyBalanceDocument,
} from '../../schema/generated/graphql';
import type { UsageEvent } from '../../subgraphs/common/events';
import { signup } from '../helpers/credentials';
import { eventually } from '../helpers/eventually';
import { graphql, rest } from '../helpers/graphql';
import { asService } from '../helpers/service';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const APPLY = 'mutation ($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied duplicates } }';
const DAY = 86_400_000;

type Account = { accountId: string; jwt: string };

async function funded(stack: TestStack, label: string): Promise<Account> {
  const account = await signup(stack.url, label);
  await eventually(async () =>
    expect((await graphql(stack.url, MoneyBalanceDocument, {}, account.jwt)).data?.me.balance?.micros).toBe(100_000),
  );
  return account;
}

/** Counting top-ups against a UTC day: start well inside one, so that no burst straddles midnight. */
async function insideOneUtcDay(): Promise<void> {
  await eventually(() => expect(DAY - (Date.now() % DAY)).toBeGreaterThan(30_000), { timeoutMs: 40_000, intervalMs: 1_000 });
}

describe('sandbox top-ups in production', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ NODE_ENV: 'production' });
  });
  afterAll(() => stack?.stop());

  it('are refused by default (REST 403, GraphQL FORBIDDEN) and credit nothing', async () => {
    const account = await funded(stack, 'prod-buyer');
    const response = await rest(stack.url, 'POST', '/api/billing/topups', { token: account.jwt, body: { amount: 5 } });
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ code: 'FORBIDDEN', message: 'Sandbox top-ups are disabled on this deployment' });
    const mutation = await graphql(stack.url, BillingTopUpDocument, { amount: '5' }, account.jwt);
    expect(mutation.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await rest(stack.url, 'GET', '/api/billing/balance', { token: account.jwt })).body.balanceMicros).toBe(100_000);
  });
});

describe('money rules with sandbox top-ups asked for in production ($5 a day)', () => {
  let stack: TestStack;
  let seller: Account;
  beforeAll(async () => {
    stack = await startEmbeddedStack({
      NODE_ENV: 'production',
      SANDBOX_TOPUPS: 'true',
      MAX_TOPUP_USD_PER_DAY: '5',
      SETTLEMENT_INTERVAL_MS: '0',
    });
    seller = await funded(stack, 'seller');
  });
  afterAll(() => stack?.stop());

  const topUp = (account: Account, amount: number) =>
    rest(stack.url, 'POST', '/api/billing/topups', { token: account.jwt, body: { amount } });
  const balance = async (account: Account) =>
    (await rest(stack.url, 'GET', '/api/billing/balance', { token: account.jwt })).body.balanceMicros as number;
  const earnings = async (account: Account) => (await graphql(stack.url, BillingEarningsDocument, {}, account.jwt)).data!.earningsSummary;
  const apply = async (events: UsageEvent[]) => {
    const result = await asService<{ applyUsage: { applied: number; duplicates: number } }>(stack, 'billing', APPLY, { events });
    expect(result.errors).toBeUndefined();
    return result.data!.applyUsage;
  };
  const usage = (buyer: Account, costMicros: number, sellerId: string | null): UsageEvent => ({
    requestId: `req_${randomUUID()}`,
    keyId: `k-${buyer.accountId}`,
    buyerId: buyer.accountId,
    listingId: sellerId ? 'listing-1' : null,
    sellerId,
    model: 'dragonfly/sim-chat',
    capability: 'chat',
    inputTokens: 10,
    outputTokens: 5,
    characters: 0,
    costMicros,
    latencyMs: 50,
    ttftMs: 10,
    status: 'completed',
    occurredAt: new Date().toISOString(),
  });

  it('credits top-ups up to the daily limit; the one past it is refused with a message naming the limit', async () => {
    await insideOneUtcDay();
    const buyer = await funded(stack, 'topper');
    expect((await topUp(buyer, 3)).status).toBe(201);
    const refused = await topUp(buyer, 3);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Sandbox top-ups are limited to $5.00 per account per UTC day; $2.00 is left today',
      details: { field: 'amount', dailyLimitMicros: 5_000_000, remainingTodayMicros: 2_000_000 },
    });
    expect((await topUp(buyer, 2)).status).toBe(201);
    expect(await balance(buyer)).toBe(5_100_000);
  });

  it('lets no burst of concurrent top-ups pass the daily limit', async () => {
    await insideOneUtcDay();
    const buyer = await funded(stack, 'burst');
    const responses = await Promise.all(Array.from({ length: 12 }, () => topUp(buyer, 1)));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(5);
    expect(responses.filter((r) => r.status !== 201).map((r) => r.body.error?.code)).toEqual(Array(7).fill('BAD_USER_INPUT'));
    expect(await balance(buyer)).toBe(5_100_000);
  });

  it('charges usage beyond the balance down to exactly 0: the last charges capped, the seller paid on what was collected', async () => {
    const buyer = await funded(stack, 'overspender');
    const events = [usage(buyer, 60_000, seller.accountId), usage(buyer, 60_000, seller.accountId), usage(buyer, 60_000, seller.accountId)];
    const before = (await earnings(seller)).pending.micros;
    expect(await apply(events)).toEqual({ applied: 3, duplicates: 0 });
    expect(await balance(buyer)).toBe(0);
    expect((await graphql(stack.url, MoneyBalanceDocument, {}, buyer.jwt)).data!.me.balance!.micros).toBe(0);
    const cost = async (event: UsageEvent) =>
      (await graphql(stack.url, BillingGenerationDocument, { id: event.requestId }, buyer.jwt)).data!.generation.cost.micros;
    expect([await cost(events[0]), await cost(events[1]), await cost(events[2])]).toEqual([60_000, 40_000, 0]);
    // 70% of 60,000 and of 40,000: nothing of what was not collected.
    expect((await earnings(seller)).pending.micros - before).toBe(42_000 + 28_000);
    // A replay moves nothing.
    expect(await apply(events)).toEqual({ applied: 0, duplicates: 3 });
    expect(await balance(buyer)).toBe(0);
    expect((await earnings(seller)).pending.micros - before).toBe(70_000);
    const transactions = (await rest(stack.url, 'GET', '/api/billing/transactions', { token: buyer.jwt })).body.transactions as {
      type: string;
      bucket: string;
      amountMicros: number;
      balanceAfterMicros: number;
    }[];
    expect(transactions.map((t) => [t.type, t.bucket, t.amountMicros, t.balanceAfterMicros])).toEqual([
      ['usage_debit', 'promo', -100_000, 0],
      ['trial_credit', 'promo', 100_000, 100_000],
    ]);
  });

  it('a buyer spending trial credit on its own listing earns nothing; another seller earns', async () => {
    const self = await funded(stack, 'self-dealer');
    await apply([usage(self, 100_000, self.accountId)]);
    expect(await balance(self)).toBe(0);
    expect(await earnings(self)).toMatchObject({ pending: { micros: 0 }, lifetime: { micros: 0 }, requests: 1 });
    // The same with sandbox money.
    expect((await topUp(self, 1)).status).toBe(201);
    await apply([usage(self, 1_000_000, self.accountId)]);
    expect(await earnings(self)).toMatchObject({ pending: { micros: 0 }, lifetime: { micros: 0 }, requests: 2 });

    const buyer = await funded(stack, 'honest-buyer');
    const before = (await earnings(seller)).pending.micros;
    await apply([usage(buyer, 100_000, seller.accountId)]);
    expect((await earnings(seller)).pending.micros - before).toBe(70_000);
  });
});
