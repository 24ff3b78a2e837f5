// Money: trial credit, idempotent usage ingestion, exact splits, cycle boundaries, settlement,
// the balance floor, and the ledger invariant (every bucket = the sum of its postings, promo
// credit included) under random operations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  BillingEarningsDocument,
  BillingGenerationDocument,
  BillingOverviewDocument,
  BillingTopUpDocument,
  BillingTransactionsDocument,
} from '../../schema/generated/graphql';
import type { UsageEvent } from '../../subgraphs/common/events';
import { splitPrice } from '../../subgraphs/billing/settings';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { asService } from '../helpers/service';
import { eventually } from '../helpers/eventually';

const APPLY = 'mutation ($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied duplicates } }';
const SETTLE = 'mutation ($at: DateTimeISO) { settleEarnings(at: $at) { cooled released } }';

describe('billing ledger', () => {
  let stack: TestStack;
  let buyer: Credentials;
  let seller: { accountId: string; jwt: string };

  beforeAll(async () => {
    stack = await startEmbeddedStack({ SETTLEMENT_INTERVAL_MS: '0' });
    buyer = await credentials(stack.url);
    seller = await signup(stack.url, 'seller');
  });
  afterAll(() => stack.stop());

  const usage = (overrides: Partial<UsageEvent> = {}): UsageEvent => ({
    requestId: `req_${randomUUID()}`,
    keyId: buyer.buyerKeyId,
    buyerId: buyer.accountId,
    listingId: 'listing-1',
    sellerId: seller.accountId,
    model: 'dragonfly/sim-chat',
    capability: 'chat',
    inputTokens: 100,
    outputTokens: 50,
    characters: 0,
    costMicros: 1_000_001,
    latencyMs: 120,
    ttftMs: 30,
    status: 'completed',
    occurredAt: new Date().toISOString(),
    ...overrides,
  });
  const apply = (events: UsageEvent[]) =>
    asService<{ applyUsage: { applied: number; duplicates: number } }>(stack, 'billing', APPLY, { events });
  const balance = async (jwt: string) => (await graphql(stack.url, BillingOverviewDocument, {}, jwt)).data!.me.balance!.micros;
  const connection = () =>
    stack
      .platform!.runtimes.find((r) => r.name === 'billing')!
      .db.orm.em.fork()
      .getConnection();
  /** A new account once its trial credit is posted (the credit follows a bus event). */
  async function funded(label: string) {
    const account = await signup(stack.url, label);
    await eventually(async () => expect(await balance(account.jwt)).toBe(100_000));
    return account;
  }

  it('grants the $0.10 trial credit once per new account, as promo credit', async () => {
    await eventually(async () => expect(await balance(buyer.jwt)).toBe(100_000));
    await stack.bus.publish('account.created', { accountId: buyer.accountId, createdAt: new Date().toISOString() });
    // A sentinel account announced after the redelivery: once its credit is posted, the
    // redelivery ahead of it has been handled too.
    const sentinel = `sentinel-${randomUUID()}`;
    await stack.bus.publish('account.created', { accountId: sentinel, createdAt: new Date().toISOString() });
    await eventually(async () =>
      expect(await connection().execute('select 1 from ledger_entries where reference = ?', [`trial:${sentinel}`])).toHaveLength(1),
    );
    expect(await balance(buyer.jwt)).toBe(100_000);
    const ledger = await graphql(stack.url, BillingTransactionsDocument, {}, buyer.jwt);
    expect(ledger.data!.transactions.items).toEqual([
      { type: 'trial_credit', bucket: 'promo', amount: { micros: 100_000 }, balanceAfter: { micros: 100_000 }, requestCount: 0 },
    ]);
  });

  it('splits a price exactly to the micro-unit: 70% seller (rounded down), 30% platform, 20% of the share reserved', () => {
    expect(splitPrice(1_000_001, { sellerShareBps: 7000, reserveBps: 2000 })).toEqual({
      sellerMicros: 700_000,
      feeMicros: 300_001,
      reserveMicros: 140_000,
      availableMicros: 560_000,
    });
    expect(splitPrice(1, { sellerShareBps: 7000, reserveBps: 2000 })).toEqual({
      sellerMicros: 0,
      feeMicros: 1,
      reserveMicros: 0,
      availableMicros: 0,
    });
    for (let cost = 0; cost < 2000; cost += 7) {
      const s = splitPrice(cost, { sellerShareBps: 7000, reserveBps: 2000 });
      expect(s.sellerMicros + s.feeMicros).toBe(cost);
      expect(s.availableMicros + s.reserveMicros).toBe(s.sellerMicros);
    }
  });

  it('applies a usage event once: a replay, in the same or a later batch, changes nothing', async () => {
    expect((await graphql(stack.url, BillingTopUpDocument, { amount: '20' }, buyer.jwt)).errors).toBeUndefined();
    const event = usage();
    const first = await apply([event, event]);
    expect(first.data!.applyUsage).toEqual({ applied: 1, duplicates: 1 });
    const replay = await apply([event]);
    expect(replay.data!.applyUsage).toEqual({ applied: 0, duplicates: 1 });
    expect(await balance(buyer.jwt)).toBe(20_100_000 - 1_000_001);
    const generation = await graphql(stack.url, BillingGenerationDocument, { id: event.requestId }, buyer.jwt);
    expect(generation.data!.generation).toMatchObject({
      id: event.requestId,
      model: 'dragonfly/sim-chat',
      inputTokens: 100,
      outputTokens: 50,
      cost: { micros: 1_000_001 },
      latencyMs: 120,
      timeToFirstTokenMs: 30,
      status: 'completed',
    });
    const otherAccount = await graphql(stack.url, BillingGenerationDocument, { id: event.requestId }, buyer.other.jwt);
    expect(otherAccount.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const earnings = await graphql(stack.url, BillingEarningsDocument, {}, seller.jwt);
    expect(earnings.data!.earningsSummary).toMatchObject({
      pending: { micros: 700_000 },
      available: { micros: 0 },
      reserved: { micros: 0 },
      lifetime: { micros: 700_000 },
      requests: 1,
    });
  });

  it('applies concurrent batches exactly once each', async () => {
    const before = await balance(buyer.jwt);
    const events = Array.from({ length: 40 }, () => usage({ costMicros: 1000 }));
    const batches = [events.slice(0, 20), events.slice(10, 30), events.slice(20, 40), events];
    const results = await Promise.all(batches.map((batch) => apply(batch)));
    const applied = results.reduce((n, r) => n + r.data!.applyUsage.applied, 0);
    expect(applied).toBe(40);
    expect(await balance(buyer.jwt)).toBe(before - 40 * 1000);
  });

  it('refuses bad events without applying any of the batch', async () => {
    const before = await balance(buyer.jwt);
    for (const bad of [
      { costMicros: -1 },
      { capability: 'video' },
      { status: 'failed', costMicros: 5 },
      { occurredAt: 'yesterday' },
      { requestId: '' },
      { inputTokens: 1.5 },
    ]) {
      const result = await apply([usage({ costMicros: 10 }), usage(bad as Partial<UsageEvent>)]);
      expect(result.errors?.[0].extensions?.code, JSON.stringify(bad)).toBe('BAD_USER_INPUT');
    }
    expect(await balance(buyer.jwt)).toBe(before);
    const outsider = await graphql(stack.url, `mutation { applyUsage(events: []) { applied } }`, {}, buyer.jwt);
    expect(outsider.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('puts 23:59:59.999 and 00:00:00 UTC in different days', async () => {
    const fresh = await funded('days');
    const day = (iso: string) => usage({ buyerId: fresh.accountId, keyId: 'k-days', occurredAt: iso, costMicros: 10 });
    await apply([day('2026-05-31T23:59:59.999Z'), day('2026-06-01T00:00:00.000Z'), day('2026-06-01T00:00:00.001Z')]);
    const overview = await graphql(
      stack.url,
      BillingOverviewDocument,
      { from: '2026-05-01T00:00:00Z', to: '2026-07-01T00:00:00Z' },
      fresh.jwt,
    );
    expect(overview.data!.usageDaily).toEqual([
      { day: '2026-05-31', requests: 1, cost: { micros: 10 } },
      { day: '2026-06-01', requests: 2, cost: { micros: 20 } },
    ]);
    expect(overview.data!.usage).toMatchObject({ requests: 3, cost: { micros: 30 } });
    expect(overview.data!.usageByKey).toEqual([{ keyId: 'k-days', requests: 3, cost: { micros: 30 } }]);
    const bad = await graphql(stack.url, BillingOverviewDocument, { from: '2026-07-01T00:00:00Z', to: '2026-05-01T00:00:00Z' }, fresh.jwt);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('cools earnings after 10 minutes (80% available, 20% reserved) and releases the reserve after 7 days', async () => {
    const fresh = await signup(stack.url, 'earner');
    const at = new Date('2026-01-10T12:00:00.000Z');
    await apply([usage({ sellerId: fresh.accountId, occurredAt: at.toISOString(), costMicros: 10_000_000 })]);
    const summary = async () => (await graphql(stack.url, BillingEarningsDocument, {}, fresh.jwt)).data!;
    expect((await summary()).earningsSummary).toMatchObject({ pending: { micros: 7_000_000 }, available: { micros: 0 } });
    await asService(stack, 'billing', SETTLE, { at: new Date(at.getTime() + 9 * 60_000).toISOString() });
    expect((await summary()).earningsSummary.pending.micros).toBe(7_000_000);
    await asService(stack, 'billing', SETTLE, { at: new Date(at.getTime() + 10 * 60_000).toISOString() });
    expect((await summary()).earningsSummary).toMatchObject({
      pending: { micros: 0 },
      available: { micros: 5_600_000 },
      reserved: { micros: 1_400_000 },
    });
    expect((await summary()).earningsReserve).toEqual([{ requestId: expect.any(String), amount: { micros: 1_400_000 }, released: false }]);
    await asService(stack, 'billing', SETTLE, { at: new Date(at.getTime() + 10 * 60_000 + 7 * 86_400_000).toISOString() });
    const done = await summary();
    expect(done.earningsSummary).toMatchObject({
      pending: { micros: 0 },
      available: { micros: 7_000_000 },
      reserved: { micros: 0 },
      lifetime: { micros: 7_000_000 },
    });
    expect(done.earningsReserve[0].released).toBe(true);
    expect(done.earningsMonthly).toEqual([{ month: '2026-01', amount: { micros: 7_000_000 }, fees: { micros: 3_000_000 } }]);
    // Settling again moves nothing.
    const again = await asService(stack, 'billing', SETTLE, { at: new Date(at.getTime() + 30 * 86_400_000).toISOString() });
    expect(again.data!.settleEarnings).toEqual({ cooled: 0, released: 0 });
  });

  it('keeps every bucket equal to the sum of its ledger under random interleavings', async () => {
    const people = await Promise.all([0, 1, 2].map((i) => funded(`random${i}`)));
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
    const operations: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const who = pick(people);
      const roll = random();
      if (roll < 0.2)
        operations.push(graphql(stack.url, BillingTopUpDocument, { amount: (1 + Math.floor(random() * 500) / 100).toFixed(2) }, who.jwt));
      else if (roll < 0.85)
        operations.push(
          apply(
            Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
              usage({
                buyerId: who.accountId,
                keyId: `k-${who.accountId}`,
                sellerId: pick(people).accountId,
                costMicros: Math.floor(random() * 3_000_000),
                occurredAt: new Date(Date.now() - Math.floor(random() * 20) * 86_400_000).toISOString(),
              }),
            ),
          ),
        );
      else
        operations.push(
          asService(stack, 'billing', SETTLE, { at: new Date(Date.now() + Math.floor(random() * 10) * 86_400_000).toISOString() }),
        );
    }
    await Promise.all(operations);
    const sums = (await connection().execute(
      'select account_id, bucket, sum(amount_micros) as total from ledger_entries group by account_id, bucket',
    )) as { account_id: string; bucket: string; total: number }[];
    const balances = (await connection().execute('select * from account_balances')) as Record<string, number | string>[];
    const column: Record<string, string> = {
      balance: 'balance_micros',
      promo: 'promo_micros',
      earnings_pending: 'earnings_pending_micros',
      earnings_available: 'earnings_available_micros',
      earnings_reserved: 'earnings_reserved_micros',
    };
    expect(sums.length).toBeGreaterThan(5);
    // Promo credit (trial, top-ups) was posted and spent: the invariant covers that bucket too.
    expect(sums.some((s) => s.bucket === 'promo' && people.some((p) => p.accountId === s.account_id))).toBe(true);
    for (const row of balances) {
      for (const [bucket, col] of Object.entries(column)) {
        const ledger = Number(sums.find((s) => s.account_id === row.account_id && s.bucket === bucket)?.total ?? 0);
        expect(Number(row[col]), `${row.account_id} ${bucket}`).toBe(ledger);
      }
    }
    // The random usage outspent the random top-ups (some charges were capped), yet no one's
    // spendable money went below zero.
    const [capped] = (await connection().execute('select count(*) as n from usage_records where uncollected_micros > 0')) as {
      n: number;
    }[];
    expect(Number(capped.n)).toBeGreaterThan(0);
    for (const person of people) {
      const [row] = (await connection().execute('select balance_micros, promo_micros from account_balances where account_id = ?', [
        person.accountId,
      ])) as Record<string, number>[];
      expect(Number(row.balance_micros), person.accountId).toBeGreaterThanOrEqual(0);
      expect(Number(row.promo_micros), person.accountId).toBeGreaterThanOrEqual(0);
    }
    // And each entry's balanceAfter continues from the one before it.
    const entries = (await connection().execute(
      'select account_id, bucket, amount_micros, balance_after_micros from ledger_entries order by created_at, rowid',
    )) as { account_id: string; bucket: string; amount_micros: number; balance_after_micros: number }[];
    const running = new Map<string, number>();
    for (const entry of entries) {
      const key = `${entry.account_id}:${entry.bucket}`;
      const next = (running.get(key) ?? 0) + Number(entry.amount_micros);
      expect(Number(entry.balance_after_micros)).toBe(next);
      running.set(key, next);
    }
  });

  it('keeps figures to their owner and scope', async () => {
    const seller = await graphql(stack.url, BillingOverviewDocument, {}, buyer.mkSeller);
    expect(seller.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const earnings = await graphql(stack.url, BillingEarningsDocument, {}, buyer.mkBuyer);
    expect(earnings.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await graphql(stack.url, BillingTransactionsDocument, {});
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const topUp = await graphql(stack.url, BillingTopUpDocument, { amount: '-5' }, buyer.jwt);
    expect(topUp.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the ledger check every embedded stack runs when it stops', () => {
  it('fails the suite when a balance no longer equals the sum of its postings', async () => {
    const broken = await startEmbeddedStack();
    const billing = broken.platform!.runtimes.find((r) => r.name === 'billing')!;
    await billing.db.orm.em
      .fork()
      .getConnection()
      .execute("insert into account_balances (account_id, balance_micros, updated_at) values ('forged', 5000000, 0)");
    await expect(broken.stop()).rejects.toThrow(/forged balance = sum of its postings/);
  });
});
