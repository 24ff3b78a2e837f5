// Billing's money rules against its real store (SQLite; PostgreSQL too when TEST_DATABASE_URL is
// set), with a fixed clock and the services called directly, from the hostile side: usage beyond
// the balance, replays, concurrent batches and top-ups racing the daily cap, and a buyer selling to
// itself with free credit. After each scenario the ledger must still explain every bucket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/knex';
import { openDatabase, type Database } from '../../subgraphs/common/db';
import type { EventBus } from '../../subgraphs/common/bus';
import type { BusTopics, UsageEvent } from '../../subgraphs/common/events';
import { isDomainError } from '../../subgraphs/common/errors';
import { uuidIds } from '../../subgraphs/common/runtime';
import { AccountBalance } from '../../subgraphs/billing/entities/AccountBalance';
import { GroupUsageMonthly } from '../../subgraphs/billing/entities/GroupUsageMonthly';
import { KeyUsage } from '../../subgraphs/billing/entities/KeyUsage';
import { KeyUsageDaily } from '../../subgraphs/billing/entities/KeyUsageDaily';
import { LedgerEntry, type LedgerBucket } from '../../subgraphs/billing/entities/LedgerEntry';
import { ProviderLoginSession } from '../../subgraphs/billing/entities/ProviderLoginSession';
import { UsageRecord } from '../../subgraphs/billing/entities/UsageRecord';
import { billingSettings, splitPrice, type BillingSettings } from '../../subgraphs/billing/settings';
import { CreditService } from '../../subgraphs/billing/services/credits';
import { UsageService } from '../../subgraphs/billing/services/usage';
import { post, PLATFORM_ACCOUNT } from '../../subgraphs/billing/services/ledger';
import { settleEarnings } from '../../subgraphs/billing/services/settlement';
import { sqlFor } from '../../subgraphs/billing/sql';
import { TEST_DATABASE_URL } from '../helpers/config';
import { createTestDatabase } from '../helpers/postgres';

const ENTITIES = [AccountBalance, LedgerEntry, UsageRecord, KeyUsage, KeyUsageDaily, GroupUsageMonthly, ProviderLoginSession];
const BUCKETS: Record<LedgerBucket, string> = {
  balance: 'balance_micros',
  promo: 'promo_micros',
  earnings_pending: 'earnings_pending_micros',
  earnings_available: 'earnings_available_micros',
  earnings_reserved: 'earnings_reserved_micros',
};
const SPLIT = { sellerShareBps: 7000, reserveBps: 2000 };
const USD = 1_000_000;

describe('billing settings', () => {
  it('turns sandbox top-ups off by default in production, on elsewhere; an explicit value wins', () => {
    expect(billingSettings({ NODE_ENV: 'production' }).sandboxTopUps).toBe(false);
    expect(billingSettings({ NODE_ENV: 'production', SANDBOX_TOPUPS: 'true' }).sandboxTopUps).toBe(true);
    expect(billingSettings({ NODE_ENV: 'production', SANDBOX_TOPUPS: '' }).sandboxTopUps).toBe(false);
    expect(billingSettings({}).sandboxTopUps).toBe(true);
    expect(billingSettings({ NODE_ENV: 'test' }).sandboxTopUps).toBe(true);
    expect(billingSettings({ NODE_ENV: 'development', SANDBOX_TOPUPS: 'false' }).sandboxTopUps).toBe(false);
    expect(() => billingSettings({ SANDBOX_TOPUPS: 'ture' })).toThrow(/SANDBOX_TOPUPS/);
  });

  it('caps top-ups at $1000 per account per UTC day by default', () => {
    expect(billingSettings({}).maxTopUpPerDayMicros).toBe(1000 * USD);
    expect(billingSettings({ MAX_TOPUP_USD_PER_DAY: '12.5' }).maxTopUpPerDayMicros).toBe(12_500_000);
    expect(billingSettings({}).maxTopUpMicros).toBe(10_000 * USD);
    for (const bad of ['-1', 'abc', '1.1234567'])
      expect(() => billingSettings({ MAX_TOPUP_USD_PER_DAY: bad }), bad).toThrow(/MAX_TOPUP_USD_PER_DAY/);
  });
});

interface Store {
  label: string;
  open(): Promise<{ db: Database; close(): Promise<void> }>;
}

const stores: Store[] = [
  {
    label: 'SQLite',
    open: async () => {
      const db = await openDatabase('billing', ENTITIES, { dataDir: mkdtempSync(path.join(tmpdir(), 'df-billing-')) });
      return { db, close: () => db.close() };
    },
  },
];
const databaseUrl = TEST_DATABASE_URL;
if (databaseUrl) {
  stores.push({
    label: 'PostgreSQL',
    open: async () => {
      const database = await createTestDatabase(databaseUrl);
      const db = await openDatabase('billing', ENTITIES, {
        dataDir: mkdtempSync(path.join(tmpdir(), 'df-billing-')),
        databaseUrl: database.url,
      });
      return {
        db,
        close: async () => {
          await db.close();
          await database.drop();
        },
      };
    },
  });
} else {
  console.warn('SKIPPED: billing money rules on PostgreSQL (set TEST_DATABASE_URL to run them)');
}

describe.each(stores)('billing money rules on $label', (store) => {
  let db: Database;
  let close: () => Promise<void>;
  let now = new Date('2026-03-10T12:00:00.000Z');
  const clock = { now: () => now };
  const published: BusTopics['balance.changed'][] = [];
  const bus: EventBus = {
    publish: async (topic, payload) => {
      if (topic === 'balance.changed') published.push(payload as BusTopics['balance.changed']);
    },
    subscribe: () => () => {},
    onGap: () => () => {},
    ready: async () => {},
    close: async () => {},
  };

  beforeAll(async () => {
    ({ db, close } = await store.open());
  });
  afterAll(() => close?.());

  const em = () => db.orm.em.fork() as EntityManager;
  const deps = (settings: BillingSettings) => ({ ids: uuidIds, clock, settings, bus });
  const defaults = billingSettings({ NODE_ENV: 'test', MAX_TOPUP_USD_PER_DAY: '1000' });
  const usageService = () => new UsageService(em(), deps(defaults));
  const credits = (settings = defaults) => new CreditService(em(), deps(settings));
  const user = (accountId: string) => ({ kind: 'user' as const, accountId });

  const account = () => `acct-${randomUUID().slice(0, 8)}`;
  /** Accounts a test left below zero on purpose (data from before the floor). */
  const legacyNegative = new Set<string>();
  /** Money the buyer paid for (no such provider exists yet): posted straight into `balance`. */
  const pay = (accountId: string, micros: number) =>
    em().transactional((tem) =>
      post(sqlFor(tem as EntityManager), uuidIds, clock.now(), [
        { accountId, bucket: 'balance', type: 'adjustment', amountMicros: micros, description: 'Paid (test)' },
      ]),
    );

  const event = (buyerId: string, costMicros: number, overrides: Partial<UsageEvent> = {}): UsageEvent => ({
    requestId: `req_${randomUUID()}`,
    keyId: `k-${buyerId}`,
    buyerId,
    listingId: 'listing-1',
    sellerId: null,
    model: 'dragonfly/sim-chat',
    capability: 'chat',
    inputTokens: 10,
    outputTokens: 5,
    characters: 0,
    costMicros,
    latencyMs: 50,
    status: 'completed',
    occurredAt: now.toISOString(),
    ...overrides,
  });

  async function buckets(accountId: string): Promise<Record<LedgerBucket, number>> {
    const row = await em().findOne(AccountBalance, { accountId });
    return {
      balance: Number(row?.balanceMicros ?? 0),
      promo: Number(row?.promoMicros ?? 0),
      earnings_pending: Number(row?.earningsPendingMicros ?? 0),
      earnings_available: Number(row?.earningsAvailableMicros ?? 0),
      earnings_reserved: Number(row?.earningsReservedMicros ?? 0),
    };
  }
  const record = (requestId: string) => em().findOneOrFail(UsageRecord, { requestId });
  const ledgerCount = async () => em().count(LedgerEntry, {});

  /**
   * The ledger explains every figure: each bucket equals the sum of its postings, no buyer bucket
   * is negative, and usage postings equal what the usage records say (charged = seller + fee).
   */
  async function expectLedgerHolds(): Promise<void> {
    const sql = sqlFor(em());
    const sums = await sql.all<{ account_id: string; bucket: string; total: number | string }>(
      'select account_id, bucket, sum(amount_micros) as total from ledger_entries group by account_id, bucket',
    );
    const rows = await sql.all<Record<string, number | string>>('select * from account_balances');
    for (const row of rows) {
      for (const [bucket, column] of Object.entries(BUCKETS)) {
        const ledger = Number(sums.find((s) => s.account_id === row.account_id && s.bucket === bucket)?.total ?? 0);
        expect(Number(row[column]), `${row.account_id} ${bucket}`).toBe(ledger);
        if (row.account_id !== PLATFORM_ACCOUNT && !legacyNegative.has(String(row.account_id)))
          expect(Number(row[column]), `${row.account_id} ${bucket} is never negative`).toBeGreaterThanOrEqual(0);
      }
    }
    const [records] = await sql.all<Record<string, number | string>>(
      'select coalesce(sum(cost_micros), 0) as cost, coalesce(sum(promo_micros), 0) as promo, coalesce(sum(seller_micros), 0) as seller, coalesce(sum(fee_micros), 0) as fee from usage_records',
    );
    const [postings] = await sql.all<Record<string, number | string>>(
      `select coalesce(sum(case when type = 'usage_debit' then -amount_micros else 0 end), 0) as debits,
              coalesce(sum(case when type = 'usage_debit' and bucket = 'promo' then -amount_micros else 0 end), 0) as promo_debits,
              coalesce(sum(case when type = 'seller_earning' then amount_micros else 0 end), 0) as earnings,
              coalesce(sum(case when type = 'platform_fee' then amount_micros else 0 end), 0) as fees
       from ledger_entries`,
    );
    expect(Number(records.cost)).toBe(Number(records.seller) + Number(records.fee));
    expect(Number(postings.debits)).toBe(Number(records.cost));
    expect(Number(postings.promo_debits)).toBe(Number(records.promo));
    expect(Number(postings.earnings)).toBe(Number(records.seller));
    expect(Number(postings.fees)).toBe(Number(records.fee));
  }

  async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDomainError(error), String(error)).toBe(true);
    return error as { code: string; message: string };
  }

  describe('the balance floor', () => {
    it('charges a batch larger than the balance exactly down to 0: promo first, each event at most what is left', async () => {
      const [buyer, seller, bystander] = [account(), account(), account()];
      expect(await credits().grantTrial(buyer)).toBe(true);
      await pay(buyer, 250_000);
      await pay(bystander, 1_000);
      const events = [
        event(buyer, 200_000, { sellerId: seller }),
        event(buyer, 100_000, { sellerId: seller }),
        event(buyer, 100_000, { sellerId: seller }),
        event(buyer, 50_000, { sellerId: seller }),
        event(bystander, 700, { sellerId: seller }),
      ];
      const result = await usageService().apply(events);
      expect(result).toEqual({ applied: 5, duplicates: 0 });

      expect(await buckets(buyer)).toMatchObject({ balance: 0, promo: 0 });
      expect(await buckets(bystander)).toMatchObject({ balance: 300 });
      const charged = [200_000, 100_000, 50_000, 0, 700];
      const promo = [100_000, 0, 0, 0, 0];
      for (const [i, e] of events.entries()) {
        const r = await record(e.requestId);
        const split = splitPrice(charged[i], SPLIT);
        expect(
          {
            cost: Number(r.costMicros),
            uncollected: Number(r.uncollectedMicros),
            promo: Number(r.promoMicros),
            seller: Number(r.sellerMicros),
            fee: Number(r.feeMicros),
            reserve: Number(r.reserveMicros),
          },
          `event ${i}`,
        ).toEqual({
          cost: charged[i],
          uncollected: e.costMicros - charged[i],
          promo: promo[i],
          seller: split.sellerMicros,
          fee: split.feeMicros,
          reserve: split.reserveMicros,
        });
      }
      // The seller earns 70% of what was collected, never of what was not.
      expect((await buckets(seller)).earnings_pending).toBe(charged.reduce((sum, c) => sum + splitPrice(c, SPLIT).sellerMicros, 0));
      // Counters show what was charged.
      const key = await em().findOneOrFail(KeyUsage, { keyId: `k-${buyer}` });
      expect({ micros: Number(key.totalMicros), requests: key.requestCount }).toEqual({ micros: 350_000, requests: 4 });
      await expectLedgerHolds();

      // A replay, alone or with a new event, moves nothing it moved before; the broke buyer's
      // new request is recorded and charged nothing.
      const entries = await ledgerCount();
      expect(await usageService().apply(events)).toEqual({ applied: 0, duplicates: 5 });
      expect(await ledgerCount()).toBe(entries);
      const late = event(buyer, 10_000, { sellerId: seller });
      expect(await usageService().apply([...events, late])).toEqual({ applied: 1, duplicates: 5 });
      expect(await ledgerCount()).toBe(entries);
      expect(await record(late.requestId)).toMatchObject({ costMicros: 0, uncollectedMicros: 10_000, sellerMicros: 0, feeMicros: 0 });
      expect(await buckets(buyer)).toMatchObject({ balance: 0, promo: 0 });
      await expectLedgerHolds();
    });

    it('never lets concurrent batches of one buyer take more than it has', async () => {
      const [buyer, seller] = [account(), account()];
      await pay(buyer, 100_000);
      const batches = Array.from({ length: 10 }, () => Array.from({ length: 5 }, () => event(buyer, 10_000, { sellerId: seller })));
      // Overlapping replays on top: every request is applied once whichever batch wins.
      const replays = [batches[0].concat(batches[1]), batches[2].concat(batches[9])];
      const results = await Promise.all([...batches, ...replays].map((batch) => usageService().apply(batch)));
      expect(results.reduce((n, r) => n + r.applied, 0)).toBe(50);
      expect(await buckets(buyer)).toMatchObject({ balance: 0, promo: 0 });
      const sql = sqlFor(em());
      const [sums] = await sql.all<Record<string, number | string>>(
        'select sum(cost_micros) as cost, sum(uncollected_micros) as uncollected, count(*) as n from usage_records where buyer_id = ?',
        [buyer],
      );
      expect({ cost: Number(sums.cost), uncollected: Number(sums.uncollected), n: Number(sums.n) }).toEqual({
        cost: 100_000,
        uncollected: 400_000,
        n: 50,
      });
      expect((await buckets(seller)).earnings_pending).toBe(70_000);
      await expectLedgerHolds();
    });

    it('spends a balance left negative by older data from promo only, down to zero together', async () => {
      const buyer = account();
      legacyNegative.add(buyer);
      await pay(buyer, -30_000);
      await credits().grantTrial(buyer);
      const e = event(buyer, 100_000);
      await usageService().apply([e]);
      expect(await record(e.requestId)).toMatchObject({ costMicros: 70_000, promoMicros: 70_000, uncollectedMicros: 30_000 });
      expect(await buckets(buyer)).toMatchObject({ balance: -30_000, promo: 30_000 });
    });
  });

  describe('free credit never becomes earnings', () => {
    it('a buyer spending trial credit on its own listing earns nothing: the share goes to the platform', async () => {
      const self = account();
      await credits().grantTrial(self);
      const feesBefore = (await buckets(PLATFORM_ACCOUNT)).balance;
      const e = event(self, 100_000, { sellerId: self });
      await usageService().apply([e]);
      expect(await record(e.requestId)).toMatchObject({
        costMicros: 100_000,
        promoMicros: 100_000,
        sellerMicros: 0,
        reserveMicros: 0,
        feeMicros: 100_000,
      });
      expect(await buckets(self)).toMatchObject({ promo: 0, balance: 0, earnings_pending: 0 });
      expect((await buckets(PLATFORM_ACCOUNT)).balance - feesBefore).toBe(100_000);
      // Settling moves nothing to the seller either.
      await settleEarnings(em(), uuidIds, clock, new Date(now.getTime() + 30 * 86_400_000));
      expect(await buckets(self)).toMatchObject({ earnings_pending: 0, earnings_available: 0, earnings_reserved: 0 });
      await expectLedgerHolds();
    });

    it('sandbox top-ups are free credit too', async () => {
      const self = account();
      await credits().topUp(user(self), '5');
      expect(await buckets(self)).toMatchObject({ promo: 5 * USD, balance: 0 });
      const e = event(self, 2 * USD, { sellerId: self });
      await usageService().apply([e]);
      expect(await record(e.requestId)).toMatchObject({ sellerMicros: 0, feeMicros: 2 * USD });
      expect((await buckets(self)).earnings_pending).toBe(0);
    });

    it('paid money spent on its own listing earns as usual; a mixed charge earns on the paid part only', async () => {
      const self = account();
      await credits().grantTrial(self);
      await pay(self, 170_000);
      const mixed = event(self, 100_000, { sellerId: self });
      const paid = event(self, 100_000, { sellerId: self });
      await usageService().apply([mixed, paid]);
      // Promo first: the first request is all trial credit (earns nothing), the second all paid.
      expect(await record(mixed.requestId)).toMatchObject({
        costMicros: 100_000,
        promoMicros: 100_000,
        sellerMicros: 0,
        feeMicros: 100_000,
      });
      expect(await record(paid.requestId)).toMatchObject({
        costMicros: 100_000,
        promoMicros: 0,
        sellerMicros: 70_000,
        feeMicros: 30_000,
        reserveMicros: 14_000,
      });
      const split = event(self, 100_000, { sellerId: self });
      await credits().topUp(user(self), '0.03');
      await usageService().apply([split]);
      // 30,000 promo + 70,000 paid: the seller earns 70% of the paid 70,000.
      expect(await record(split.requestId)).toMatchObject({
        costMicros: 100_000,
        promoMicros: 30_000,
        sellerMicros: 49_000,
        feeMicros: 51_000,
      });
      expect((await buckets(self)).earnings_pending).toBe(119_000);
      await expectLedgerHolds();
    });

    it('another seller earns normally from a buyer spending trial credit', async () => {
      const [buyer, seller] = [account(), account()];
      await credits().grantTrial(buyer);
      const e = event(buyer, 100_000, { sellerId: seller });
      await usageService().apply([e]);
      expect(await record(e.requestId)).toMatchObject({
        promoMicros: 100_000,
        sellerMicros: 70_000,
        feeMicros: 30_000,
        reserveMicros: 14_000,
      });
      expect((await buckets(seller)).earnings_pending).toBe(70_000);
      await expectLedgerHolds();
    });
  });

  describe('credits', () => {
    it('posts the trial credit once, into promo, and announces it with its ledger entry', async () => {
      const buyer = account();
      published.length = 0;
      expect(await credits().grantTrial(buyer)).toBe(true);
      expect(await credits().grantTrial(buyer)).toBe(false);
      expect(await buckets(buyer)).toMatchObject({ promo: 100_000, balance: 0 });
      expect(published).toEqual([{ accountId: buyer, deltaMicros: 100_000, postingId: expect.any(String) }]);
      const entry = await em().findOneOrFail(LedgerEntry, { id: published[0].postingId });
      expect(entry).toMatchObject({ accountId: buyer, bucket: 'promo', type: 'trial_credit', amountMicros: 100_000 });
    });

    it('refuses sandbox top-ups where they are off (production by default), allows them when asked for', async () => {
      const buyer = account();
      const off = await refusal(credits(billingSettings({ NODE_ENV: 'production' })).topUp(user(buyer), '5'));
      expect(off).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/disabled/) });
      expect(await buckets(buyer)).toMatchObject({ promo: 0, balance: 0 });
      published.length = 0;
      expect(await credits(billingSettings({ NODE_ENV: 'production', SANDBOX_TOPUPS: 'true' })).topUp(user(buyer), '5')).toEqual({
        amountMicros: 5 * USD,
      });
      expect(await buckets(buyer)).toMatchObject({ promo: 5 * USD, balance: 0 });
      expect(published).toEqual([{ accountId: buyer, deltaMicros: 5 * USD, postingId: expect.any(String) }]);
      expect(await em().findOneOrFail(LedgerEntry, { id: published[0].postingId })).toMatchObject({
        bucket: 'promo',
        type: 'topup',
        amountMicros: 5 * USD,
      });
    });

    it('caps top-ups per account per UTC day, naming the limit; the next day starts again', async () => {
      const [buyer, neighbour] = [account(), account()];
      now = new Date('2026-03-11T08:00:00.000Z');
      await credits().topUp(user(buyer), '600');
      const over = await refusal(credits().topUp(user(buyer), '400.000001'));
      expect(over.code).toBe('BAD_USER_INPUT');
      expect(over.message).toBe('Sandbox top-ups are limited to $1000.00 per account per UTC day; $400.00 is left today');
      expect(over).toMatchObject({ details: { field: 'amount', dailyLimitMicros: 1000 * USD, remainingTodayMicros: 400 * USD } });
      // Another account's day is its own; exactly the limit is allowed.
      await credits().topUp(user(neighbour), '1000');
      now = new Date('2026-03-11T23:59:59.999Z');
      await credits().topUp(user(buyer), '400');
      expect((await refusal(credits().topUp(user(buyer), '0.000001'))).message).toMatch(/\$0\.00 is left today/);
      now = new Date('2026-03-12T00:00:00.000Z');
      await credits().topUp(user(buyer), '1000');
      expect(await buckets(buyer)).toMatchObject({ promo: 2000 * USD });
      now = new Date('2026-03-10T12:00:00.000Z');
      await expectLedgerHolds();
    });

    it('lets no set of concurrent top-ups pass the daily cap together', async () => {
      const buyer = account();
      now = new Date('2026-03-13T10:00:00.000Z');
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, () =>
          credits()
            .topUp(user(buyer), '300')
            .then(
              () => 'ok',
              (e: unknown) => (isDomainError(e) ? e.code : String(e)),
            ),
        ),
      );
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
      expect(outcomes.filter((o) => o !== 'ok')).toEqual(Array(9).fill('BAD_USER_INPUT'));
      expect(await buckets(buyer)).toMatchObject({ promo: 900 * USD });
      now = new Date('2026-03-10T12:00:00.000Z');
      await expectLedgerHolds();
    });
  });

  it('keeps the ledger whole under a random mix of everything', async () => {
    const people = Array.from({ length: 4 }, () => account());
    await Promise.all(people.map((p) => credits().grantTrial(p)));
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
    const operations: Promise<unknown>[] = [];
    for (let i = 0; i < 80; i++) {
      const who = pick(people);
      const roll = random();
      if (roll < 0.15) operations.push(credits().topUp(user(who), (Math.floor(random() * 300) / 100 + 0.01).toFixed(2)));
      else if (roll < 0.25) operations.push(pay(who, Math.floor(random() * 500_000)));
      else if (roll < 0.9)
        operations.push(
          usageService().apply(
            Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
              event(who, Math.floor(random() * 2_000_000), { sellerId: random() < 0.2 ? null : pick(people) }),
            ),
          ),
        );
      else operations.push(settleEarnings(em(), uuidIds, clock, new Date(now.getTime() + Math.floor(random() * 10) * 86_400_000)));
    }
    await Promise.all(operations);
    await expectLedgerHolds();
  });
});
