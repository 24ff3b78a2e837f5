// Dragonfly money routes (/api/usage*, /api/billing/*, /v1/market/earnings*) through the whole
// embedded stack: usage injected as the data plane would (billing's applyUsage), earnings settled
// with settleEarnings(at:), exact figures in the documented shapes (every amount as a USD number
// and its exact `…Micros`), bad query strings and top-up bodies, and a credential × route matrix.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateApiKeyDocument, MoneyBalanceDocument } from '../../schema/generated/graphql';
import type { UsageEvent } from '../../subgraphs/common/events';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { graphql, rest, insideOneMinuteWindow } from '../helpers/graphql';
import { asService } from '../helpers/service';
import { startTestStack, type TestStack } from '../helpers/stack';
import { eventually } from '../helpers/eventually';
import { expectError } from '../helpers/expect-error';

const RATE_LIMIT = 150;
const APPLY = 'mutation ($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied duplicates } }';
const SETTLE = 'mutation ($at: DateTimeISO) { settleEarnings(at: $at) { cooled released } }';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A UTC midnight `days` days ago, and ISO strings of times relative to it. */
const midnight = (days: number) => Math.floor((Date.now() - days * DAY) / DAY) * DAY;
const iso = (ms: number) => new Date(ms).toISOString();

type Account = { accountId: string; jwt: string };
type Response = Awaited<ReturnType<typeof rest>>;

let stack: TestStack;
let c: Credentials;
/** Sells to the buyers of the usage tests, so that their events carry a seller. */
let bystander: Account;

beforeAll(async () => {
  // No settlement job during the file: settleEarnings(at:) alone moves earnings.
  process.env.SETTLEMENT_INTERVAL_MS = '0';
  stack = await startTestStack({ MANAGEMENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
  c = await credentials(stack.url);
  bystander = await freshAccount('bystander');
});
afterAll(async () => {
  await stack?.stop();
});

const call = (
  method: string,
  path: string,
  token?: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
) => rest(stack.url, method, path, { token, ...options });

function usage(overrides: Partial<UsageEvent> & Pick<UsageEvent, 'buyerId' | 'keyId'>): UsageEvent {
  return {
    requestId: `req_${randomUUID()}`,
    listingId: 'listing-1',
    sellerId: bystander.accountId,
    model: 'dragonfly/sim-chat',
    capability: 'chat',
    inputTokens: 100,
    outputTokens: 50,
    characters: 7,
    costMicros: 1_000_001,
    latencyMs: 120,
    ttftMs: 30,
    status: 'completed',
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}

async function apply(events: UsageEvent[]) {
  const result = await asService<{ applyUsage: { applied: number } }>(stack, 'billing', APPLY, { events });
  expect(result.data?.applyUsage.applied, JSON.stringify(result.errors)).toBe(events.length);
}

async function settle(at: number) {
  const result = await asService(stack, 'billing', SETTLE, { at: iso(at) });
  expect(result.errors).toBeUndefined();
}

const balanceOf = async (jwt: string) => (await graphql(stack.url, MoneyBalanceDocument, {}, jwt)).data!.me.balance!.micros;

/** A fresh account with its trial credit ($0.10) already posted (the credit follows a bus event). */
async function freshAccount(label: string): Promise<Account> {
  const account = await signup(stack.url, label);
  await eventually(async () => expect(await balanceOf(account.jwt)).toBe(100_000));
  return account;
}

/** A fresh account with a sandbox top-up on top of its trial credit: usage is charged only up to the balance. */
async function fundedAccount(label: string, usd: number): Promise<Account> {
  const account = await freshAccount(label);
  expect((await call('POST', '/api/billing/topups', account.jwt, { body: { amount: usd } })).status).toBe(201);
  return account;
}

async function createKey(jwt: string, name: string): Promise<string> {
  const result = await graphql(stack.url, CreateApiKeyDocument, { input: { name } }, jwt);
  return result.data!.createApiKey.apiKey.id;
}

// ---- buyer usage ----------------------------------------------------------------------------

describe('GET /api/usage, /api/usage/by-key, /api/usage/daily', () => {
  /** Day B (100 days ago): 3 requests of 1,000,001 micros on key alpha, the last at 23:59:59.999; B+1 00:00:00.000: 1 request of 500 on beta. */
  const B = midnight(100);
  const window = `from=${iso(B)}&to=${iso(B + 2 * DAY)}`;
  let buyer: Account;
  let alpha: string;
  let beta: string;

  beforeAll(async () => {
    buyer = await fundedAccount('buyer', 10);
    alpha = await createKey(buyer.jwt, 'alpha');
    beta = await createKey(buyer.jwt, 'beta');
    const on = (keyId: string, at: number, costMicros = 1_000_001) =>
      usage({ buyerId: buyer.accountId, keyId, occurredAt: iso(at), costMicros });
    await apply([on(alpha, B + 10 * HOUR), on(alpha, B + 10 * HOUR + MINUTE), on(alpha, B + DAY - 1), on(beta, B + DAY, 500)]);
    // Recent usage, inside the default window (the last 30 days).
    await apply([on(beta, Date.now() - HOUR, 250_000)]);
  });

  it('totals a window exactly: 3 requests of 1,000,001 micros cost 3.000003', async () => {
    const response = await call('GET', `/api/usage?from=${iso(B)}&to=${iso(B + DAY)}`, buyer.jwt);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      from: iso(B),
      to: iso(B + DAY),
      requests: 3,
      inputTokens: 300,
      outputTokens: 150,
      characters: 21,
      cost: 3.000003,
      costMicros: 3_000_003,
    });
    expect(Object.keys(response.body)).toEqual([
      'from',
      'to',
      'requests',
      'inputTokens',
      'outputTokens',
      'characters',
      'cost',
      'costMicros',
    ]);
    const twoDays = await call('GET', `/api/usage?${window}`, buyer.jwt);
    expect(twoDays.body).toMatchObject({
      requests: 4,
      inputTokens: 400,
      outputTokens: 200,
      characters: 28,
      cost: 3.000503,
      costMicros: 3_000_503,
    });
  });

  it('defaults to the last 30 days, ending now', async () => {
    const before = Date.now();
    const response = await call('GET', '/api/usage', buyer.jwt);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ requests: 1, cost: 0.25, costMicros: 250_000 });
    const [from, to] = [Date.parse(response.body.from), Date.parse(response.body.to)];
    expect(to - from).toBe(30 * DAY);
    expect(to).toBeGreaterThanOrEqual(before - 1000);
    expect(to).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('by key: biggest spend first, with the key names', async () => {
    const response = await call('GET', `/api/usage/by-key?${window}`, buyer.jwt);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      from: iso(B),
      to: iso(B + 2 * DAY),
      keys: [
        { keyId: alpha, keyName: 'alpha', requests: 3, inputTokens: 300, outputTokens: 150, cost: 3.000003, costMicros: 3_000_003 },
        { keyId: beta, keyName: 'beta', requests: 1, inputTokens: 100, outputTokens: 50, cost: 0.0005, costMicros: 500 },
      ],
    });
  });

  it('by key: a key accounts cannot resolve still gets its figures, with keyName null', async () => {
    const lone = await freshAccount('ghost-key');
    await apply([usage({ buyerId: lone.accountId, keyId: 'k-unknown', occurredAt: iso(Date.now() - HOUR), costMicros: 42 })]);
    const response = await call('GET', '/api/usage/by-key', lone.jwt);
    expect(response.status).toBe(200);
    expect(response.body.keys).toEqual([
      { keyId: 'k-unknown', keyName: null, requests: 1, inputTokens: 100, outputTokens: 50, cost: 0.000042, costMicros: 42 },
    ]);
  });

  it('daily: 23:59:59.999Z and 00:00:00.000Z land in different UTC days', async () => {
    const response = await call('GET', `/api/usage/daily?${window}`, buyer.jwt);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      from: iso(B),
      to: iso(B + 2 * DAY),
      days: [
        { day: iso(B).slice(0, 10), requests: 3, inputTokens: 300, outputTokens: 150, cost: 3.000003, costMicros: 3_000_003 },
        { day: iso(B + DAY).slice(0, 10), requests: 1, inputTokens: 100, outputTokens: 50, cost: 0.0005, costMicros: 500 },
      ],
    });
  });

  it('empty windows answer zeros and empty lists, with the window', async () => {
    const empty = `from=${iso(B - 10 * DAY)}&to=${iso(B - 9 * DAY)}`;
    expect((await call('GET', `/api/usage?${empty}`, buyer.jwt)).body).toEqual({
      from: iso(B - 10 * DAY),
      to: iso(B - 9 * DAY),
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      characters: 0,
      cost: 0,
      costMicros: 0,
    });
    expect((await call('GET', `/api/usage/by-key?${empty}`, buyer.jwt)).body).toEqual({
      from: iso(B - 10 * DAY),
      to: iso(B - 9 * DAY),
      keys: [],
    });
    expect((await call('GET', `/api/usage/daily?${empty}`, buyer.jwt)).body).toEqual({
      from: iso(B - 10 * DAY),
      to: iso(B - 9 * DAY),
      days: [],
    });
  });

  it("another account sees none of the buyer's figures", async () => {
    for (const token of [c.other.jwt, c.other.mkFull]) {
      expect((await call('GET', `/api/usage?${window}`, token)).body).toMatchObject({ requests: 0, costMicros: 0 });
      expect((await call('GET', `/api/usage/by-key?${window}`, token)).body.keys).toEqual([]);
      expect((await call('GET', `/api/usage/daily?${window}`, token)).body.days).toEqual([]);
    }
  });

  const badWindows: [string, string][] = [
    [`from=${iso(Date.now() - DAY)}&to=${iso(Date.now() - 2 * DAY)}`, 'from'],
    [`from=${iso(Date.now() - DAY)}&to=${iso(Date.now() - DAY)}`, 'from'],
    ['from=abc', 'from'],
    ['to=yesterday', 'to'],
    ['from=2026-02-30T00:00:00Z', 'from'],
    ['from=2026-01-01', 'from'],
    ['to=1700000000000', 'to'],
    [`from=${iso(Date.now() - 400 * DAY)}`, 'from'],
    ['from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z', 'from'],
  ];
  const table = ['/api/usage', '/api/usage/by-key', '/api/usage/daily'].flatMap((path) =>
    badWindows.map(([query, field]) => [path, query, field] as const),
  );
  it.each(table)('%s?%s → 400 naming %s', async (path, query, field) => {
    expectError('dragonfly', await call('GET', `${path}?${query}`, c.jwt), 400, 'BAD_USER_INPUT', field);
  });
});

// ---- buyer billing --------------------------------------------------------------------------

describe('GET /api/billing/balance', () => {
  it('answers the balance as USD and exact micros: the $0.10 trial, then after usage', async () => {
    const account = await freshAccount('balance');
    const response = await call('GET', '/api/billing/balance', account.jwt);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ balance: 0.1, balanceMicros: 100_000, currency: 'USD' });
    await apply([usage({ buyerId: account.accountId, keyId: 'k-balance', costMicros: 30_000 })]);
    expect((await call('GET', '/api/billing/balance', account.jwt)).body).toEqual({
      balance: 0.07,
      balanceMicros: 70_000,
      currency: 'USD',
    });
  });

  it('never goes below zero: a request costing more than what is left is charged what is left', async () => {
    const account = await freshAccount('floor');
    await apply([usage({ buyerId: account.accountId, keyId: 'k-floor', costMicros: 1_000_001 })]);
    expect((await call('GET', '/api/billing/balance', account.jwt)).body).toEqual({ balance: 0, balanceMicros: 0, currency: 'USD' });
    expect((await call('GET', '/api/usage', account.jwt)).body).toMatchObject({ requests: 1, costMicros: 100_000 });
  });
});

describe('GET /api/billing/transactions', () => {
  let account: Account;
  beforeAll(async () => {
    account = await freshAccount('ledger');
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    await pause();
    expect((await call('POST', '/api/billing/topups', account.jwt, { body: { amount: 2.5 } })).status).toBe(201);
    await pause();
    await apply([usage({ buyerId: account.accountId, keyId: 'k-ledger' })]);
  });

  it('lists the ledger newest first, every amount as USD and micros', async () => {
    const response = await call('GET', '/api/billing/transactions', account.jwt);
    expect(response.status).toBe(200);
    // Trial credit and sandbox top-ups are promo credit; usage spends it first.
    const entry = (type: string, amountMicros: number, balanceAfterMicros: number, requestCount: number, description: string) => ({
      id: expect.any(String),
      type,
      bucket: 'promo',
      amount: amountMicros / 1e6,
      amountMicros,
      balanceAfter: balanceAfterMicros / 1e6,
      balanceAfterMicros,
      requestCount,
      description,
      createdAt: expect.stringMatching(ISO),
    });
    expect(response.body).toEqual({
      transactions: [
        entry('usage_debit', -1_000_001, 1_599_999, 1, 'Usage: 1 request (promo credit)'),
        entry('topup', 2_500_000, 2_600_000, 0, 'Top-up (sandbox)'),
        entry('trial_credit', 100_000, 100_000, 0, 'Trial credit'),
      ],
      total: 3,
      page: 1,
      pageSize: 20,
    });
    expect(response.body.transactions[0]).toMatchObject({ amount: -1.000001, balanceAfter: 1.599999 });
  });

  it('pages: ?page=2&pageSize=1', async () => {
    const response = await call('GET', '/api/billing/transactions?page=2&pageSize=1', account.jwt);
    expect(response.body).toMatchObject({ total: 3, page: 2, pageSize: 1 });
    expect(response.body.transactions.map((t: { type: string }) => t.type)).toEqual(['topup']);
  });

  it("another account never sees the account's postings", async () => {
    const ids = (await call('GET', '/api/billing/transactions?pageSize=100', account.jwt)).body.transactions.map(
      (t: { id: string }) => t.id,
    );
    const theirs = await call('GET', '/api/billing/transactions?pageSize=100', c.other.jwt);
    expect(theirs.status).toBe(200);
    expect(theirs.body.transactions.filter((t: { id: string }) => ids.includes(t.id))).toEqual([]);
  });

  it.each([
    ['page=0', 'page'],
    ['page=-1', 'page'],
    ['page=abc', 'page'],
    ['page=1.5', 'page'],
    ['pageSize=0', 'pageSize'],
    ['pageSize=101', 'pageSize'],
    ['pageSize=x', 'pageSize'],
    ['pageSize=9999999999', 'pageSize'],
  ])('?%s → 400 naming %s', async (query, field) => {
    expectError('dragonfly', await call('GET', `/api/billing/transactions?${query}`, account.jwt), 400, 'BAD_USER_INPUT', field);
  });
});

describe('POST /api/billing/topups', () => {
  let account: Account;
  beforeAll(async () => {
    account = await freshAccount('topup');
  });

  it('credits a JSON number or a decimal string of USD: 201 {amount, balance}', async () => {
    const first = await call('POST', '/api/billing/topups', account.jwt, { body: { amount: 1.25 } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ amount: 1.25, amountMicros: 1_250_000, balance: 1.35, balanceMicros: 1_350_000, currency: 'USD' });
    const second = await call('POST', '/api/billing/topups', account.jwt, { body: { amount: '0.000001' } });
    expect(second.body).toEqual({ amount: 0.000001, amountMicros: 1, balance: 1.350001, balanceMicros: 1_350_001, currency: 'USD' });
    expect((await call('GET', '/api/billing/balance', account.jwt)).body.balanceMicros).toBe(1_350_001);
  });

  it.each([
    [{ amount: -1 }, 'amount'],
    [{ amount: 0 }, 'amount'],
    [{ amount: '0' }, 'amount'],
    [{ amount: 0.1234567 }, 'amount'],
    [{ amount: '0.1234567' }, 'amount'],
    [{ amount: 'abc' }, 'amount'],
    [{ amount: '1e3' }, 'amount'],
    [{ amount: '' }, 'amount'],
    [{ amount: 10_001 }, 'amount'],
    [{}, 'amount'],
    [{ amount: null }, 'amount'],
    [{ amount: true }, 'amount'],
    [{ amount: { usd: 1 } }, 'amount'],
    [{ amount: [1] }, 'amount'],
    [{ amount: 1, currency: 'EUR' }, undefined],
  ])('refuses %j with 400 BAD_USER_INPUT', async (body, field) => {
    expectError('dragonfly', await call('POST', '/api/billing/topups', account.jwt, { body }), 400, 'BAD_USER_INPUT', field);
  });

  it.each([
    ['an array', '[]', 400, 'BAD_REQUEST'],
    ['a string', '"5"', 400, 'BAD_REQUEST'],
    ['a number', '5', 400, 'BAD_REQUEST'],
    ['null', 'null', 400, 'BAD_REQUEST'],
    ['malformed JSON', '{"amount":', 400, 'BAD_REQUEST'],
    ['an empty JSON body', '', 400, 'BAD_REQUEST'],
    ['2 MiB', `{"amount": 1, "pad": "${'x'.repeat(2 * 1024 * 1024)}"}`, 413, 'PAYLOAD_TOO_LARGE'],
  ])('refuses %s as the body', async (_label, rawBody, status, code) => {
    expectError('dragonfly', await call('POST', '/api/billing/topups', account.jwt, { rawBody }), status, code);
  });

  it('refuses a missing body (400) and a non-JSON content type (415)', async () => {
    expectError('dragonfly', await call('POST', '/api/billing/topups', account.jwt), 400, 'BAD_REQUEST');
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/topups', account.jwt, { rawBody: 'amount=1', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/topups', account.jwt, {
        rawBody: 'amount=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('credited nothing on any refusal', async () => {
    expect((await call('GET', '/api/billing/balance', account.jwt)).body.balanceMicros).toBe(1_350_001);
  });
});

// ---- seller earnings ------------------------------------------------------------------------

describe('seller earnings: /v1/market/earnings, summary, timeseries, monthly, reserve', () => {
  /** Day D (10 days ago, inside the default 30-day window): 1,000,001 micros at 10:05 and 10,000,000 at 11:05. */
  const D = midnight(10);
  const day = iso(D).slice(0, 10);
  const [t1, t2] = [D + 10 * HOUR + 5 * MINUTE, D + 11 * HOUR + 5 * MINUTE];
  const COOL = 10 * MINUTE;
  const HOLD = 7 * DAY;
  let seller: Account;
  let r1: UsageEvent;
  let r2: UsageEvent;

  const get = (path: string, token = seller.jwt) => call('GET', path, token);

  beforeAll(async () => {
    seller = await freshAccount('seller');
    const buyer = await fundedAccount('their-buyer', 20);
    const sale = (at: number, costMicros: number) =>
      usage({ buyerId: buyer.accountId, keyId: 'k-sale', sellerId: seller.accountId, occurredAt: iso(at), costMicros });
    [r1, r2] = [sale(t1, 1_000_001), sale(t2, 10_000_000)];
    await apply([r1, r2]);
  });

  // One shared sequence: the figures before settlement, after cooling, after the reserve's release.
  it('cooling: everything pending, each earning 70% of its price with 20% of that to be reserved', async () => {
    expect((await get('/v1/market/earnings/summary')).body).toEqual({
      pending: 7.7,
      pendingMicros: 7_700_000,
      available: 0,
      availableMicros: 0,
      reserved: 0,
      reservedMicros: 0,
      lifetime: 7.7,
      lifetimeMicros: 7_700_000,
      withdrawable: 0,
      withdrawableMicros: 0,
      paidOut: 0,
      paidOutMicros: 0,
      converted: 0,
      convertedMicros: 0,
      requests: 2,
    });
    const earning = (event: UsageEvent, amountMicros: number, reserveMicros: number, state: string) => ({
      requestId: event.requestId,
      listingId: 'listing-1',
      model: 'dragonfly/sim-chat',
      price: event.costMicros / 1e6,
      priceMicros: event.costMicros,
      amount: amountMicros / 1e6,
      amountMicros,
      reserve: reserveMicros / 1e6,
      reserveMicros,
      state,
      earnedAt: event.occurredAt,
      availableAt: iso(Date.parse(event.occurredAt) + COOL),
      reserveReleaseAt: iso(Date.parse(event.occurredAt) + COOL + HOLD),
    });
    const list = await get('/v1/market/earnings');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      earnings: [earning(r2, 7_000_000, 1_400_000, 'cooling'), earning(r1, 700_000, 140_000, 'cooling')],
      total: 2,
      page: 1,
      pageSize: 20,
    });
    expect(list.body.earnings[1]).toMatchObject({ price: 1.000001, amount: 0.7, reserve: 0.14 });
    // Reserve entries list each share to be held; nothing is held yet.
    expect((await get('/v1/market/earnings/reserve')).body).toEqual({
      entries: [
        { requestId: r1.requestId, amount: 0.14, amountMicros: 140_000, releaseAt: iso(t1 + COOL + HOLD), released: false },
        { requestId: r2.requestId, amount: 1.4, amountMicros: 1_400_000, releaseAt: iso(t2 + COOL + HOLD), released: false },
      ],
      totalHeld: 0,
      totalHeldMicros: 0,
    });
  });

  it('after cooling (settleEarnings at +10 min): 80% available, 20% held in reserve', async () => {
    await settle(t2 + COOL);
    expect((await get('/v1/market/earnings/summary')).body).toEqual({
      pending: 0,
      pendingMicros: 0,
      available: 6.16,
      availableMicros: 6_160_000,
      reserved: 1.54,
      reservedMicros: 1_540_000,
      lifetime: 7.7,
      lifetimeMicros: 7_700_000,
      withdrawable: 0,
      withdrawableMicros: 0,
      paidOut: 0,
      paidOutMicros: 0,
      converted: 0,
      convertedMicros: 0,
      requests: 2,
    });
    expect((await get('/v1/market/earnings')).body.earnings.map((e: { state: string }) => e.state)).toEqual(['available', 'available']);
    const reserve = (await get('/v1/market/earnings/reserve')).body;
    expect(reserve).toMatchObject({ totalHeld: 1.54, totalHeldMicros: 1_540_000 });
    expect(reserve.entries.map((e: { released: boolean }) => e.released)).toEqual([false, false]);
  });

  it('after the reserve is released (+7 days): all available; released entries only with ?includeReleased=true', async () => {
    await settle(t2 + COOL + HOLD);
    expect((await get('/v1/market/earnings/summary')).body).toMatchObject({
      pending: 0,
      available: 7.7,
      availableMicros: 7_700_000,
      reserved: 0,
      reservedMicros: 0,
      lifetime: 7.7,
    });
    expect((await get('/v1/market/earnings/reserve')).body).toEqual({ entries: [], totalHeld: 0, totalHeldMicros: 0 });
    const all = (await get('/v1/market/earnings/reserve?includeReleased=true')).body;
    expect(all.entries.map((e: { requestId: string; released: boolean }) => [e.requestId, e.released])).toEqual([
      [r1.requestId, true],
      [r2.requestId, true],
    ]);
    expect((await get('/v1/market/earnings/reserve?includeReleased=true&limit=1')).body.entries).toHaveLength(1);
    expect((await get('/v1/market/earnings')).body.earnings.map((e: { state: string }) => e.state)).toEqual([
      'reserve_released',
      'reserve_released',
    ]);
  });

  it('pages the earnings: ?page=2&pageSize=1', async () => {
    const response = await get('/v1/market/earnings?page=2&pageSize=1');
    expect(response.body).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(response.body.earnings.map((e: { requestId: string }) => e.requestId)).toEqual([r1.requestId]);
  });

  it('timeseries: hourly and daily buckets (UTC), the interval and window echoed', async () => {
    const window = `from=${iso(D)}&to=${iso(D + DAY)}`;
    expect((await get(`/v1/market/earnings/timeseries?interval=hour&${window}`)).body).toEqual({
      interval: 'hour',
      from: iso(D),
      to: iso(D + DAY),
      points: [
        { bucket: `${day}T10`, amount: 0.7, amountMicros: 700_000, requests: 1 },
        { bucket: `${day}T11`, amount: 7, amountMicros: 7_000_000, requests: 1 },
      ],
    });
    expect((await get(`/v1/market/earnings/timeseries?interval=day&${window}`)).body).toEqual({
      interval: 'day',
      from: iso(D),
      to: iso(D + DAY),
      points: [{ bucket: day, amount: 7.7, amountMicros: 7_700_000, requests: 2 }],
    });
  });

  it('timeseries defaults: daily over the last 30 days (the window is the domain default, reported as null)', async () => {
    expect((await get('/v1/market/earnings/timeseries')).body).toEqual({
      interval: 'day',
      from: null,
      to: null,
      points: [{ bucket: day, amount: 7.7, amountMicros: 7_700_000, requests: 2 }],
    });
  });

  it('monthly: amount, platform fees and requests per UTC month', async () => {
    expect((await get('/v1/market/earnings/monthly')).body).toEqual({
      months: [{ month: day.slice(0, 7), amount: 7.7, amountMicros: 7_700_000, fees: 3.300001, feesMicros: 3_300_001, requests: 2 }],
    });
  });

  it("another account sees none of the seller's figures", async () => {
    for (const token of [c.other.jwt, c.other.mkFull]) {
      expect((await get('/v1/market/earnings/summary', token)).body).toEqual({
        pending: 0,
        pendingMicros: 0,
        available: 0,
        availableMicros: 0,
        reserved: 0,
        reservedMicros: 0,
        lifetime: 0,
        lifetimeMicros: 0,
        withdrawable: 0,
        withdrawableMicros: 0,
        paidOut: 0,
        paidOutMicros: 0,
        converted: 0,
        convertedMicros: 0,
        requests: 0,
      });
      expect((await get('/v1/market/earnings', token)).body).toEqual({ earnings: [], total: 0, page: 1, pageSize: 20 });
      expect((await get(`/v1/market/earnings/timeseries?from=${iso(D)}&to=${iso(D + DAY)}`, token)).body.points).toEqual([]);
      expect((await get('/v1/market/earnings/monthly', token)).body).toEqual({ months: [] });
      expect((await get('/v1/market/earnings/reserve?includeReleased=true', token)).body).toEqual({
        entries: [],
        totalHeld: 0,
        totalHeldMicros: 0,
      });
    }
  });

  it.each([
    ['/v1/market/earnings?page=0', 'page'],
    ['/v1/market/earnings?pageSize=101', 'pageSize'],
    ['/v1/market/earnings?pageSize=abc', 'pageSize'],
    ['/v1/market/earnings/timeseries?interval=week', 'interval'],
    ['/v1/market/earnings/timeseries?interval=HOURLY', 'interval'],
    [`/v1/market/earnings/timeseries?interval=hour&from=${iso(Date.now() - 40 * DAY)}`, 'from'],
    [`/v1/market/earnings/timeseries?from=${iso(Date.now() - DAY)}&to=${iso(Date.now() - 2 * DAY)}`, 'from'],
    ['/v1/market/earnings/timeseries?from=abc', 'from'],
    ['/v1/market/earnings/timeseries?to=2026-13-01T00:00:00Z', 'to'],
    [`/v1/market/earnings/timeseries?from=${iso(Date.now() - 400 * DAY)}`, 'from'],
    ['/v1/market/earnings/reserve?includeReleased=yes', 'includeReleased'],
    ['/v1/market/earnings/reserve?limit=0', 'limit'],
    ['/v1/market/earnings/reserve?limit=501', 'limit'],
    ['/v1/market/earnings/reserve?limit=x', 'limit'],
  ])('%s → 400 naming %s', async (path, field) => {
    expectError('dragonfly', await get(path), 400, 'BAD_USER_INPUT', field);
  });

  it('an hourly series of exactly 31 days is allowed', async () => {
    expect((await get(`/v1/market/earnings/timeseries?interval=hour&from=${iso(D - 21 * DAY)}&to=${iso(D + 10 * DAY)}`)).status).toBe(200);
  });
});

// ---- credentials ----------------------------------------------------------------------------

describe('credential × route matrix', () => {
  type CredentialName =
    | 'none'
    | 'basic'
    | 'forgedJwt'
    | 'forgedMk'
    | 'buyerKey'
    | 'mkDisabled'
    | 'jwt'
    | 'mkBuyer'
    | 'mkSeller'
    | 'mkFull'
    | 'otherJwt'
    | 'otherMk';
  interface Route {
    method: 'GET' | 'POST';
    path: string;
    side: 'buyer' | 'seller';
    ok: 200 | 201;
    body?: unknown;
    /** Whether a successful answer shows the matrix account's own figures (else: another account's, all zero). */
    mine: (body: any) => Promise<boolean> | boolean;
  }
  /**
   * Two purchases of the matrix account and two sales of it (to the bystander), an hour ago, so
   * that every route has a figure of its own. Not sales to itself: those, paid with trial credit,
   * earn nothing.
   */
  const events: UsageEvent[] = [];
  beforeAll(async () => {
    await eventually(async () => expect(await balanceOf(c.jwt)).toBe(100_000));
    for (let i = 0; i < 2; i++)
      events.push(
        usage({
          buyerId: c.accountId,
          keyId: c.buyerKeyId,
          sellerId: bystander.accountId,
          occurredAt: iso(Date.now() - HOUR),
          costMicros: 12_345,
        }),
      );
    for (let i = 0; i < 2; i++)
      events.push(
        usage({
          buyerId: bystander.accountId,
          keyId: 'k-bystander',
          sellerId: c.accountId,
          occurredAt: iso(Date.now() - HOUR),
          costMicros: 12_345,
        }),
      );
    await apply(events);
  });
  const ours = (requestIds: string[]) => requestIds.some((id) => events.some((event) => event.requestId === id));
  /** Balances differ: the matrix account has spent 24,690 micros, the other account nothing. */
  const balanceIsOurs = async (body: { balanceMicros: number }) => body.balanceMicros === (await balanceOf(c.jwt));

  const routes: Route[] = [
    { method: 'GET', path: '/api/usage', side: 'buyer', ok: 200, mine: (body) => body.requests >= 2 },
    {
      method: 'GET',
      path: '/api/usage/by-key',
      side: 'buyer',
      ok: 200,
      mine: (body) => body.keys.some((key: { keyId: string }) => key.keyId === c.buyerKeyId),
    },
    { method: 'GET', path: '/api/usage/daily', side: 'buyer', ok: 200, mine: (body) => body.days.length > 0 },
    { method: 'GET', path: '/api/billing/balance', side: 'buyer', ok: 200, mine: balanceIsOurs },
    {
      method: 'GET',
      path: '/api/billing/transactions',
      side: 'buyer',
      ok: 200,
      mine: (body) => body.transactions.some((t: { type: string }) => t.type === 'usage_debit'),
    },
    { method: 'POST', path: '/api/billing/topups', side: 'buyer', ok: 201, body: { amount: 0.5 }, mine: balanceIsOurs },
    {
      method: 'GET',
      path: '/v1/market/earnings',
      side: 'seller',
      ok: 200,
      mine: (body) => ours(body.earnings.map((e: { requestId: string }) => e.requestId)),
    },
    { method: 'GET', path: '/v1/market/earnings/summary', side: 'seller', ok: 200, mine: (body) => body.lifetimeMicros > 0 },
    { method: 'GET', path: '/v1/market/earnings/timeseries', side: 'seller', ok: 200, mine: (body) => body.points.length > 0 },
    { method: 'GET', path: '/v1/market/earnings/monthly', side: 'seller', ok: 200, mine: (body) => body.months.length > 0 },
    {
      method: 'GET',
      path: '/v1/market/earnings/reserve?includeReleased=true',
      side: 'seller',
      ok: 200,
      mine: (body) => ours(body.entries.map((e: { requestId: string }) => e.requestId)),
    },
  ];

  function expected(credential: CredentialName, route: Route): [number, string | null] {
    switch (credential) {
      case 'none':
      case 'basic':
      case 'forgedJwt':
      case 'forgedMk':
      case 'mkDisabled':
        return [401, 'UNAUTHENTICATED'];
      case 'buyerKey':
        return [403, 'FORBIDDEN'];
      case 'mkBuyer':
        return route.side === 'seller' ? [403, 'FORBIDDEN'] : [route.ok, null];
      case 'mkSeller':
        // The balance is buyer money too: a seller-scope key may not read it.
        return route.side === 'buyer' ? [403, 'FORBIDDEN'] : [route.ok, null];
      case 'jwt':
      case 'mkFull':
      case 'otherJwt':
      case 'otherMk':
        return [route.ok, null];
    }
  }

  const tokens = (): Record<CredentialName, string | undefined> => ({
    none: undefined,
    basic: undefined,
    forgedJwt: c.jwtForged,
    forgedMk: c.mkForged,
    buyerKey: c.buyerKey,
    mkDisabled: c.mkDisabled,
    jwt: c.jwt,
    mkBuyer: c.mkBuyer,
    mkSeller: c.mkSeller,
    mkFull: c.mkFull,
    otherJwt: c.other.jwt,
    otherMk: c.other.mkFull,
  });
  const names: CredentialName[] = [
    'none',
    'basic',
    'forgedJwt',
    'forgedMk',
    'buyerKey',
    'mkDisabled',
    'jwt',
    'mkBuyer',
    'mkSeller',
    'mkFull',
    'otherJwt',
    'otherMk',
  ];
  const table = names.flatMap((credential) => routes.map((route) => [credential, `${route.method} ${route.path}`, route] as const));

  it.each(table)('%s × %s', async (credential, _name, route) => {
    const [status, code] = expected(credential, route);
    const token = tokens()[credential];
    const headers: Record<string, string> =
      credential === 'basic' ? { authorization: 'Basic dXNlcjpwYXNz' } : token ? { authorization: `Bearer ${token}` } : {};
    const response = await call(route.method, route.path, undefined, { body: route.body, headers });
    if (code) return expectError('dragonfly', response, status, code);
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(await route.mine(response.body)).toBe(!credential.startsWith('other'));
  });
});

describe('rate limit', () => {
  it(`answers 429 RATE_LIMITED with Retry-After past ${RATE_LIMIT} requests a minute per credential`, async () => {
    await insideOneMinuteWindow();
    const owner = await signup(stack.url, 'busy');
    let first429: Response | null = null;
    let sent = 0;
    // Cheap requests (a 400 from the adapter); a minute boundary can reset the count once.
    while (!first429 && sent < RATE_LIMIT * 2 + 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => call('GET', '/api/billing/transactions?page=x', owner.jwt)));
      const index = batch.findIndex((response) => response.status === 429);
      if (index >= 0) first429 = batch[index];
      sent += batch.length;
    }
    expect(first429).not.toBeNull();
    expectError('dragonfly', first429!, 429, 'RATE_LIMITED');
    const retryAfter = Number(first429!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await call('GET', '/api/billing/balance', c.mkFull)).status).toBe(200);
  });
});
