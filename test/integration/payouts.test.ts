// Payouts and conversions from the hostile side, through whole embedded stacks: a payout end to end
// through the sandbox provider (requested → completed by its webhook-style completePayout), a
// failed completion returning the money, one pending payout at a time, never above available,
// never the part free credit paid for (trial credit, sandbox top-ups) — in REST's envelope and
// GraphQL's — conversions into buyer credit, bad amounts, a credential × route matrix, and a
// property test of random posting sequences (usage, disputes, settlement, payouts, conversions)
// that keeps every bucket equal to its postings, none below zero, and creates no money.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DisputeAcceptDocument,
  DisputeContestDocument,
  DisputeOpenDocument,
  MoneyTopUpDocument,
  PayoutConvertEarningsDocument,
  PayoutListDocument,
  PayoutRequestDocument,
  PayoutWithdrawableDocument,
} from '../../schema/generated/graphql';
import { PRINCIPAL_HEADER, PrincipalSigner } from '../../subgraphs/common/principal';
import { credentials, type Credentials } from '../helpers/credentials';
import { eventually } from '../helpers/eventually';
import { graphql } from '../helpers/graphql';
import { expectLedgerBalanced } from '../helpers/ledger';
import { asService } from '../helpers/service';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { billingFixtures } from '../helpers/billing';
import { expectError } from '../helpers/expect-error';

const COMPLETE =
  'mutation ($id: ID!, $ref: String!, $outcome: PayoutOutcome!) { completePayout(id: $id, providerReference: $ref, outcome: $outcome) { id status providerReference amount { micros } } }';
const HOUR = 3_600_000;
const DAY = 86_400_000;

type Account = { accountId: string; jwt: string };

const helpers = billingFixtures;

describe('payouts through the sandbox provider (it completes them)', () => {
  let stack: TestStack;
  const h = helpers(() => stack);
  beforeAll(async () => {
    stack = await startEmbeddedStack({ SETTLEMENT_INTERVAL_MS: '0' });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(async () => {
    if (stack) await expectLedgerBalanced(stack);
  });

  it('pays out available earnings end to end; the free-credit part stays', async () => {
    const buyer = await h.account('e2e-buyer');
    const seller = await h.account('e2e-seller');
    await h.deposit(buyer.accountId, 100_000_000);
    // The trial credit pays the first request (its 70,000 share is credit-only), paid money the second.
    await h.apply(h.usage(buyer, seller, { costMicros: 100_000 }), h.usage(buyer, seller, { costMicros: 40_000_000 }));
    await h.settle(new Date(Date.now() + 8 * DAY));
    expect(await h.buckets(seller.accountId)).toMatchObject({ pending: 0, reserved: 0, available: 28_070_000 });
    const figures = await h.call('GET', '/v1/market/earnings/withdrawable', seller.jwt);
    expect(figures.body).toEqual({
      available: 28.07,
      availableMicros: 28_070_000,
      withdrawable: 28,
      withdrawableMicros: 28_000_000,
      creditOnly: 0.07,
      creditOnlyMicros: 70_000,
      payoutPending: 0,
      payoutPendingMicros: 0,
      paidOut: 0,
      paidOutMicros: 0,
      converted: 0,
      convertedMicros: 0,
    });

    const above = await h.call('POST', '/v1/market/payouts', seller.jwt, { amount: 30 });
    expectError('dragonfly', above, 400, 'BAD_USER_INPUT', 'amount');
    expect(above.body.error.message).toContain('available earnings ($28.07)');
    const free = await h.call('POST', '/v1/market/payouts', seller.jwt, { amount: '28.05' });
    expectError('dragonfly', free, 400, 'BAD_USER_INPUT', 'amount');
    expect(free.body.error.message).toMatch(/free credit .*never paid out/);
    expect(free.body.error.details).toMatchObject({ withdrawableMicros: 28_000_000, creditOnlyMicros: 70_000 });
    const small = await h.call('POST', '/v1/market/payouts', seller.jwt, { amount: 9.99 });
    expectError('dragonfly', small, 400, 'BAD_USER_INPUT', 'amount');
    expect(small.body.error.message).toContain('at least $10.00');

    const requested = await h.call('POST', '/v1/market/payouts', seller.jwt, { amount: 20 });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    expect(requested.body).toMatchObject({ amount: 20, amountMicros: 20_000_000, provider: 'sandbox' });
    expect(['pending', 'completed']).toContain(requested.body.status);
    expect((await h.buckets(seller.accountId)).available).toBe(8_070_000);
    // The sandbox answers a moment later, through completePayout, as a provider's webhook would.
    const done = await eventually(async () => {
      const list = await h.call('GET', '/v1/market/payouts', seller.jwt);
      expect(list.body.payouts[0]).toMatchObject({
        id: requested.body.id,
        status: 'completed',
        providerReference: `sandbox_po_${requested.body.id}`,
      });
      return list.body;
    });
    expect(done).toMatchObject({ total: 1, page: 1, pageSize: 20 });
    expect(done.payouts[0].completedAt).toEqual(expect.any(String));
    expect((await h.buckets(seller.accountId)).available).toBe(8_070_000);
    const after = (await graphql(stack.url, PayoutWithdrawableDocument, {}, seller.jwt)).data!.earningsSummary;
    expect(after).toMatchObject({
      available: { micros: 8_070_000 },
      withdrawable: { micros: 8_000_000 },
      creditOnly: { micros: 70_000 },
      payoutPending: { micros: 0 },
      paidOut: { micros: 20_000_000 },
    });
    // The ledger says the same: one payout posting, nothing reversed.
    const entries = (await h
      .billing()
      .db.orm.em.fork()
      .getConnection()
      .execute("select type, bucket, amount_micros from ledger_entries where account_id = ? and type like 'payout%'", [
        seller.accountId,
      ])) as { type: string; bucket: string; amount_micros: number }[];
    expect(entries.map((e) => [e.type, e.bucket, Number(e.amount_micros)])).toEqual([['payout', 'earnings_available', -20_000_000]]);
  });

  it('converts earnings into buyer credit: the free-credit share into promo, the rest into balance', async () => {
    const buyer = await h.account('conv-buyer');
    const seller = await h.account('conv-seller');
    await h.deposit(buyer.accountId, 10_000_000);
    await h.apply(h.usage(buyer, seller, { costMicros: 100_000 }), h.usage(buyer, seller, { costMicros: 2_000_000 }));
    await h.settle(new Date(Date.now() + 8 * DAY));
    const before = await h.buckets(seller.accountId);
    expect(before.available).toBe(1_470_000);
    const above = await h.call('POST', '/v1/market/earnings/convert', seller.jwt, { amount: 2 });
    expectError('dragonfly', above, 400, 'BAD_USER_INPUT', 'amount');
    expect(above.body.error.message).toContain('($1.47)');
    const converted = await h.call('POST', '/v1/market/earnings/convert', seller.jwt, { amount: '0.5' });
    expect(converted.status, JSON.stringify(converted.body)).toBe(201);
    expect(converted.body).toMatchObject({
      amount: 0.5,
      amountMicros: 500_000,
      promoCredit: 0.07,
      promoCreditMicros: 70_000,
      balance: 0.43,
      balanceMicros: 430_000,
    });
    expect(await h.buckets(seller.accountId)).toMatchObject({
      available: 970_000,
      promo: before.promo + 70_000,
      balance: before.balance + 430_000,
    });
    const gql = await graphql(stack.url, PayoutConvertEarningsDocument, { amount: '0.1' }, seller.jwt);
    expect(gql.data!.convertEarnings).toMatchObject({
      amount: { micros: 100_000 },
      promoCredit: { micros: 0 },
      balance: { micros: 100_000 },
    });
    const figures = (await h.call('GET', '/v1/market/earnings/withdrawable', seller.jwt)).body;
    expect(figures).toMatchObject({ availableMicros: 870_000, withdrawableMicros: 870_000, creditOnlyMicros: 0, convertedMicros: 600_000 });
  });
});

describe('payouts with the provider answering by hand (completePayout as the platform)', () => {
  let stack: TestStack;
  let c: Credentials;
  const h = helpers(() => stack);
  const complete = (id: string, ref: string, outcome: 'COMPLETED' | 'FAILED') =>
    asService<{ completePayout: { id: string; status: string; providerReference: string } }>(stack, 'billing', COMPLETE, {
      id,
      ref,
      outcome,
    });
  beforeAll(async () => {
    stack = await startEmbeddedStack({
      SETTLEMENT_INTERVAL_MS: '0',
      PAYOUT_SANDBOX_OUTCOME: 'manual',
      PAYOUT_MINIMUM_USD: '0.01',
      MANAGEMENT_RATE_LIMIT_PER_MINUTE: '10000',
    });
    c = await credentials(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(async () => {
    if (stack) await expectLedgerBalanced(stack);
  });

  /** A seller with `paid` micros of paid-funded earnings available (and 70,000 of trial-funded ones). */
  async function earner(label: string, paid: number) {
    const buyer = await h.account(`${label}-buyer`);
    const seller = await h.account(`${label}-seller`);
    await h.deposit(buyer.accountId, paid * 2);
    await h.apply(h.usage(buyer, seller, { costMicros: 100_000 }), h.usage(buyer, seller, { costMicros: Math.round(paid / 0.7) }));
    await h.settle(new Date(Date.now() + 8 * DAY));
    return seller;
  }

  it('holds one pending payout at a time; a failed completion returns the money; answers are idempotent', async () => {
    const seller = await earner('manual', 7_000_000);
    const available = (await h.buckets(seller.accountId)).available;
    const first = await h.call('POST', '/v1/market/payouts', seller.jwt, { amount: 2 });
    expect(first.body).toMatchObject({ status: 'pending', providerReference: `sandbox_po_${first.body.id}` });
    expectError('dragonfly', await h.call('POST', '/v1/market/payouts', seller.jwt, { amount: 1 }), 409, 'CONFLICT');
    const gqlSecond = await graphql(stack.url, PayoutRequestDocument, { amount: '1' }, seller.jwt);
    expect(gqlSecond.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await h.buckets(seller.accountId)).available).toBe(available - 2_000_000);
    // Only the platform answers for the provider: the public API has no completePayout, and a
    // user's principal at the subgraph itself is refused.
    const outsider = await graphql(
      stack.url,
      'mutation { completePayout(id: "x", providerReference: "y", outcome: COMPLETED) { id } }',
      {},
      seller.jwt,
    );
    expect(outsider.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const header = new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'user', accountId: seller.accountId });
    const direct = (await h
      .billing()
      .execute(
        { query: COMPLETE, variables: { id: first.body.id, ref: first.body.providerReference, outcome: 'COMPLETED' } },
        { [PRINCIPAL_HEADER]: header },
      )) as { errors?: { extensions?: { code?: string } }[] };
    expect(direct.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await complete(first.body.id, 'someone-else', 'COMPLETED')).errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await complete(randomUUID(), 'ref', 'COMPLETED')).errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const failed = await complete(first.body.id, first.body.providerReference, 'FAILED');
    expect(failed.data!.completePayout).toMatchObject({ status: 'FAILED' });
    expect((await h.buckets(seller.accountId)).available).toBe(available);
    expect((await complete(first.body.id, first.body.providerReference, 'FAILED')).data!.completePayout.status).toBe('FAILED');
    expect((await complete(first.body.id, first.body.providerReference, 'COMPLETED')).errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await h.buckets(seller.accountId)).available).toBe(available);

    const second = (await graphql(stack.url, PayoutRequestDocument, { amount: '3.5' }, seller.jwt)).data!.requestPayout;
    expect(second).toMatchObject({ status: 'PENDING', amount: { micros: 3_500_000 } });
    expect((await complete(second.id, second.providerReference!, 'COMPLETED')).data!.completePayout.status).toBe('COMPLETED');
    expect((await complete(second.id, second.providerReference!, 'COMPLETED')).data!.completePayout.status).toBe('COMPLETED');
    expect((await h.buckets(seller.accountId)).available).toBe(available - 3_500_000);
    const list = (await graphql(stack.url, PayoutListDocument, { page: 1, pageSize: 10 }, seller.jwt)).data!.payouts;
    expect(list.items.map((p) => [p.id, p.status])).toEqual([
      [second.id, 'COMPLETED'],
      [first.body.id, 'FAILED'],
    ]);
    const reversal = (await h
      .billing()
      .db.orm.em.fork()
      .getConnection()
      .execute("select amount_micros from ledger_entries where type = 'payout_reversal' and account_id = ?", [seller.accountId])) as {
      amount_micros: number;
    }[];
    expect(reversal.map((r) => Number(r.amount_micros))).toEqual([2_000_000]);
  });

  it('refuses to pay out earnings that trial credit and sandbox top-ups paid for, in REST and GraphQL', async () => {
    const buyer = await h.account('trial-buyer');
    const seller = await h.account('trial-seller');
    // The buyer spends only free money on the seller: its trial credit, then a sandbox top-up.
    await h.apply(h.usage(buyer, seller, { costMicros: 100_000 }));
    expect((await graphql(stack.url, MoneyTopUpDocument, { amount: '20' }, buyer.jwt)).errors).toBeUndefined();
    await h.apply(h.usage(buyer, seller, { costMicros: 20_000_000 }));
    await h.settle(new Date(Date.now() + 8 * DAY));
    expect((await h.buckets(seller.accountId)).available).toBe(70_000 + 14_000_000);
    const rest = await h.call('POST', '/v1/market/payouts', seller.jwt, { amount: 0.07 });
    expectError('dragonfly', rest, 400, 'BAD_USER_INPUT', 'amount');
    expect(rest.body.error.message).toMatch(/came from free credit \(trial credit, sandbox top-ups\)/);
    expect(rest.body.error.details).toMatchObject({ withdrawableMicros: 0, creditOnlyMicros: 14_070_000 });
    const gql = await graphql(stack.url, PayoutRequestDocument, { amount: '14.07' }, seller.jwt);
    expect(gql.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(gql.errors?.[0].message).toMatch(/free credit/);
    expect((await h.buckets(seller.accountId)).available).toBe(14_070_000);
    // It can become the seller's promo credit, never balance.
    const converted = (await graphql(stack.url, PayoutConvertEarningsDocument, { amount: '14.07' }, seller.jwt)).data!.convertEarnings;
    expect(converted).toMatchObject({ promoCredit: { micros: 14_070_000 }, balance: { micros: 0 } });
    expect(await h.buckets(seller.accountId)).toMatchObject({ available: 0, balance: 0, promo: 100_000 + 14_070_000 });
  });

  it('refuses bad amounts and bodies', async () => {
    const seller = await earner('bad', 1_000_000);
    const available = (await h.buckets(seller.accountId)).available;
    for (const [path, body, code, field] of [
      ['/v1/market/payouts', {}, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/payouts', { amount: 'ten' }, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/payouts', { amount: -5 }, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/payouts', { amount: 0 }, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/payouts', { amount: '0.0000001' }, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/payouts', { amount: true }, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/payouts', { amount: 1, to: 'iban' }, 'BAD_USER_INPUT', undefined],
      ['/v1/market/payouts', 'ten', 'BAD_REQUEST', undefined],
      ['/v1/market/earnings/convert', { amount: '1e3' }, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/earnings/convert', { amount: null }, 'BAD_USER_INPUT', 'amount'],
      ['/v1/market/earnings/convert', [], 'BAD_REQUEST', undefined],
    ] as const) {
      expectError('dragonfly', await h.call('POST', path, seller.jwt, body), 400, code, field);
    }
    expectError('dragonfly', await h.call('GET', '/v1/market/payouts?page=x', seller.jwt), 400, 'BAD_USER_INPUT', 'page');
    expectError('dragonfly', await h.call('GET', '/v1/market/payouts?pageSize=1000', seller.jwt), 400, 'BAD_USER_INPUT');
    expect((await graphql(stack.url, PayoutRequestDocument, { amount: 'NaN' }, seller.jwt)).errors?.[0].extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await graphql(stack.url, 'mutation { requestPayout { id } }', {}, seller.jwt)).errors?.[0].extensions?.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect((await h.buckets(seller.accountId)).available).toBe(available);
  });

  it('keeps each route to seller credentials', async () => {
    const buyer = await h.account('matrix-buyer');
    await h.deposit(buyer.accountId, 10_000_000);
    await h.apply(h.usage(buyer, c, { costMicros: 100_000 }), h.usage(buyer, c, { costMicros: 5_000_000 }));
    await h.settle(new Date(Date.now() + 8 * DAY));
    const routes: { method: string; path: string; body?: unknown; ok: number }[] = [
      { method: 'GET', path: '/v1/market/payouts', ok: 200 },
      { method: 'GET', path: '/v1/market/earnings/withdrawable', ok: 200 },
      { method: 'POST', path: '/v1/market/earnings/convert', body: { amount: '0.01' }, ok: 201 },
      { method: 'POST', path: '/v1/market/payouts', body: { amount: '0.01' }, ok: 201 },
    ];
    const creds: [string, string | undefined, number][] = [
      ['none', undefined, 401],
      ['forged jwt', c.jwtForged, 401],
      ['forged mk', c.mkForged, 401],
      ['disabled mk', c.mkDisabled, 401],
      ['buyer key', c.buyerKey, 403],
      ['mk buyer', c.mkBuyer, 403],
      ['jwt', c.jwt, 0],
      ['mk seller', c.mkSeller, 0],
      ['mk full', c.mkFull, 0],
    ];
    for (const [name, token, status] of creds) {
      for (const route of routes) {
        const response = await h.call(route.method, route.path, token, route.body);
        if (status !== 0) {
          expect(response.status, `${name} ${route.method} ${route.path}`).toBe(status);
          expect(Object.keys(response.body)).toEqual(['error']);
          continue;
        }
        // Each allowed credential's payout is the pending one for the next: a CONFLICT, not a refusal.
        if (route.path === '/v1/market/payouts' && route.method === 'POST' && name !== 'jwt') expect(response.status, name).toBe(409);
        else expect(response.status, `${name} ${route.method} ${route.path}: ${JSON.stringify(response.body)}`).toBe(route.ok);
      }
    }
    // Another account sees only its own payouts and earnings (none).
    const other = await h.call('GET', '/v1/market/payouts', c.other.jwt);
    expect(other.body).toMatchObject({ payouts: [], total: 0 });
    expect((await h.call('GET', '/v1/market/earnings/withdrawable', c.other.mkFull)).body).toMatchObject({
      availableMicros: 0,
      paidOutMicros: 0,
    });
  });

  it('keeps every bucket equal to its postings, none below zero, and creates no money, under random sequences', async () => {
    const people = [await h.account('prop-a'), await h.account('prop-b'), await h.account('prop-c')];
    for (const person of people) await h.deposit(person.accountId, 5_000_000);
    const requests: { requestId: string; buyer: Account; seller: Account }[] = [];
    const disputes: { id: string; seller: Account }[] = [];
    let clock = Date.now();
    const person = fc.integer({ min: 0, max: people.length - 1 }).map((i) => people[i]);
    const op = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('usage' as const),
          buyer: person,
          seller: person,
          cost: fc.integer({ min: 0, max: 3_000_000 }),
          flag: fc.constantFrom(null, 'completion_over_count', 'usage_missing'),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('topup' as const), who: person, cents: fc.integer({ min: 1, max: 300 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('dispute' as const), pick: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('respond' as const), pick: fc.nat(), accept: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const), hours: fc.integer({ min: 0, max: 100 }) }) },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('payout' as const),
          who: person,
          micros: fc.integer({ min: 1, max: 400_000 }),
          outcome: fc.constantFrom('COMPLETED' as const, 'FAILED' as const, null),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('convert' as const), who: person, micros: fc.integer({ min: 1, max: 400_000 }) }),
      },
    );
    const expectedRefusal = (errors: { extensions?: { code?: string } }[] | undefined) => {
      if (errors?.length) expect(['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND'], JSON.stringify(errors)).toContain(errors[0].extensions?.code);
    };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 20 }), async (ops) => {
        for (const o of ops) {
          if (o.kind === 'usage') {
            const event = h.usage(o.buyer, o.seller, {
              costMicros: o.cost,
              meteringFlags: o.flag,
              occurredAt: new Date(clock).toISOString(),
            });
            await h.apply(event);
            requests.push({ requestId: event.requestId, buyer: o.buyer, seller: o.seller });
          } else if (o.kind === 'topup') {
            expectedRefusal((await graphql(stack.url, MoneyTopUpDocument, { amount: (o.cents / 100).toFixed(2) }, o.who.jwt)).errors);
          } else if (o.kind === 'dispute' && requests.length > 0) {
            const r = requests[o.pick % requests.length];
            const result = await graphql(stack.url, DisputeOpenDocument, { requestId: r.requestId, reason: 'property' }, r.buyer.jwt);
            expectedRefusal(result.errors);
            if (result.data?.openDispute) disputes.push({ id: result.data.openDispute.id, seller: r.seller });
          } else if (o.kind === 'respond' && disputes.length > 0) {
            const d = disputes[o.pick % disputes.length];
            const result = o.accept
              ? await graphql(stack.url, DisputeAcceptDocument, { id: d.id }, d.seller.jwt)
              : await graphql(stack.url, DisputeContestDocument, { id: d.id, reason: 'no' }, d.seller.jwt);
            expectedRefusal(result.errors);
          } else if (o.kind === 'settle') {
            clock += o.hours * HOUR;
            await h.settle(new Date(clock));
          } else if (o.kind === 'payout') {
            const result = await graphql(stack.url, PayoutRequestDocument, { amount: (o.micros / 1e6).toFixed(6) }, o.who.jwt);
            expectedRefusal(result.errors);
            const payout = result.data?.requestPayout;
            if (payout && o.outcome) expect((await complete(payout.id, payout.providerReference!, o.outcome)).errors).toBeUndefined();
          } else if (o.kind === 'convert') {
            expectedRefusal(
              (await graphql(stack.url, PayoutConvertEarningsDocument, { amount: (o.micros / 1e6).toFixed(6) }, o.who.jwt)).errors,
            );
          }
        }
        await expectLedgerBalanced(stack);
        const connection = h.billing().db.orm.em.fork().getConnection();
        const rows = (await connection.execute('select * from account_balances where account_id <> ?', ['platform'])) as Record<
          string,
          number | string
        >[];
        for (const row of rows)
          for (const [column, value] of Object.entries(row))
            if (column.endsWith('_micros')) expect(Number(value), `${row.account_id} ${column}`).toBeGreaterThanOrEqual(0);
        // Money only enters as credit issued (trial, top-ups, deposits) and only leaves as payouts
        // (a failed one comes back): every other posting type sums to zero across all accounts.
        const [moved] = (await connection.execute(
          "select coalesce(sum(amount_micros), 0) as total from ledger_entries where type not in ('trial_credit', 'topup', 'adjustment', 'payout', 'payout_reversal')",
        )) as { total: number | string }[];
        expect(Number(moved.total)).toBe(0);
        const [all] = (await connection.execute(
          'select coalesce(sum(balance_micros + promo_micros + earnings_pending_micros + earnings_available_micros + earnings_reserved_micros), 0) as total from account_balances',
        )) as { total: number | string }[];
        const [issued] = (await connection.execute(
          "select coalesce(sum(amount_micros), 0) as total from ledger_entries where type in ('trial_credit', 'topup', 'adjustment', 'payout', 'payout_reversal')",
        )) as { total: number | string }[];
        expect(Number(all.total)).toBe(Number(issued.total));
        // Free credit never leaves: everything paid out (pending or completed) came from paid money.
        const [out] = (await connection.execute(
          "select coalesce(sum(amount_micros), 0) as total from payouts where kind = 'payout' and status <> 'failed'",
        )) as { total: number | string }[];
        const [paidIn] = (await connection.execute(
          "select coalesce(sum(amount_micros), 0) as total from ledger_entries where type = 'adjustment' and bucket = 'balance' and amount_micros > 0",
        )) as { total: number | string }[];
        expect(Number(out.total)).toBeLessThanOrEqual(Number(paidIn.total));
      }),
      { numRuns: 15 },
    );
    // The sequences reached every kind of posting, not only refusals.
    const connection = h.billing().db.orm.em.fork().getConnection();
    const types = ((await connection.execute('select distinct type from ledger_entries')) as { type: string }[]).map((row) => row.type);
    expect(types).toEqual(expect.arrayContaining(['usage_debit', 'refund', 'payout', 'earnings_conversion', 'earning_cooled']));
  });
});
