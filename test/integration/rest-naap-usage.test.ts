// NaaP's GET /api/v1/developer/usage through the whole embedded stack: key counts from accounts
// (revoked, disabled and expired keys; more than one page of keys), requests and cost from
// billing over the last 366 days (cost truncated to 4 decimals), NaaP's envelope, credentials.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingTopUpDocument, CreateApiKeyDocument } from '../../schema/generated/graphql';
import type { UsageEvent } from '../../subgraphs/common/events';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { graphql, rest, insideOneMinuteWindow } from '../helpers/graphql';
import { asService } from '../helpers/service';
import { startTestStack, type TestStack } from '../helpers/stack';
import { expectError } from '../helpers/expect-error';
import { eventually } from '../helpers/eventually';

const PATH = '/api/v1/developer/usage';
const RATE_LIMIT = 60;
const APPLY = 'mutation ($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied duplicates } }';
const DAY = 86_400_000;

let stack: TestStack;
let creds: Credentials;

beforeAll(async () => {
  stack = await startTestStack({ MANAGEMENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
  creds = await credentials(stack.url);
});
afterAll(async () => {
  await stack?.stop();
});

type Response = Awaited<ReturnType<typeof rest>>;

async function createKey(jwt: string, name = `key-${randomUUID().slice(0, 6)}`): Promise<string> {
  const result = await graphql(stack.url, CreateApiKeyDocument, { input: { name } }, jwt);
  expect(result.errors).toBeUndefined();
  return result.data!.createApiKey.apiKey.id;
}

/** Usage as billing receives it, after a top-up that covers it (a balance never goes below zero). */
async function apply(account: { accountId: string; jwt: string }, keyId: string, spends: { costMicros: number; daysAgo?: number }[]) {
  const total = spends.reduce((sum, s) => sum + s.costMicros, 0);
  const topUp = await graphql(stack.url, BillingTopUpDocument, { amount: (total / 1_000_000 + 1).toFixed(6) }, account.jwt);
  expect(topUp.errors).toBeUndefined();
  const events: UsageEvent[] = spends.map(({ costMicros, daysAgo = 0 }) => ({
    requestId: `req_${randomUUID()}`,
    keyId,
    buyerId: account.accountId,
    model: 'dragonfly/sim-chat',
    capability: 'chat',
    inputTokens: 10,
    outputTokens: 5,
    characters: 0,
    costMicros,
    latencyMs: 50,
    status: 'completed',
    occurredAt: new Date(Date.now() - daysAgo * DAY - 60_000).toISOString(),
  }));
  const result = await asService<{ applyUsage: { applied: number } }>(stack, 'billing', APPLY, { events });
  expect(result.data?.applyUsage.applied, JSON.stringify(result.errors)).toBe(events.length);
}

const usage = async (jwt: string) => {
  const response = await rest(stack.url, 'GET', PATH, { token: jwt });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
};

describe('GET /api/v1/developer/usage', () => {
  it('a new account: no keys, no requests, cost "0.0000"', async () => {
    const { jwt } = await signup(stack.url, 'empty');
    const body = await usage(jwt);
    expect(body).toEqual({ success: true, data: { totalKeys: 0, activeKeys: 0, totalRequests: 0, totalCost: '0.0000' } });
    expect(Object.keys(body.data)).toEqual(['totalKeys', 'activeKeys', 'totalRequests', 'totalCost']);
  });

  it('counts requests and truncates the cost to 4 decimals: 3 × 1,000,001 micros → "3.0000"', async () => {
    const account = await signup(stack.url, 'spender');
    const key = await createKey(account.jwt);
    await apply(account, key, [{ costMicros: 1_000_001 }, { costMicros: 1_000_001 }, { costMicros: 1_000_001 }]);
    expect((await usage(account.jwt)).data).toEqual({ totalKeys: 1, activeKeys: 1, totalRequests: 3, totalCost: '3.0000' });
    // 3,000,003 + 234,564 = 3,234,567 micros: truncated, never rounded up to 3.2346.
    await apply(account, key, [{ costMicros: 234_564 }]);
    expect((await usage(account.jwt)).data).toMatchObject({ totalRequests: 4, totalCost: '3.2345' });
  });

  it('covers the last 366 days: usage 365 days ago counts, 367 days ago does not', async () => {
    const account = await signup(stack.url, 'old-usage');
    const key = await createKey(account.jwt);
    await apply(account, key, [
      { costMicros: 10_000, daysAgo: 365 },
      { costMicros: 20_000, daysAgo: 367 },
    ]);
    expect((await usage(account.jwt)).data).toMatchObject({ totalRequests: 1, totalCost: '0.0100' });
  });

  it('counts every key; active ones are neither revoked, disabled nor expired', async () => {
    const { jwt } = await signup(stack.url, 'statuses');
    const [revoked, disabled, expiring] = [await createKey(jwt), await createKey(jwt), await createKey(jwt)];
    await createKey(jwt);
    await createKey(jwt);
    expect((await graphql(stack.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', { id: revoked }, jwt)).errors).toBeUndefined();
    expect(
      (await graphql(stack.url, 'mutation ($id: ID!) { setApiKeyEnabled(id: $id, enabled: false) { id } }', { id: disabled }, jwt)).errors,
    ).toBeUndefined();
    const soon = new Date(Date.now() + 1000).toISOString();
    expect(
      (
        await graphql(
          stack.url,
          'mutation ($id: ID!, $at: DateTimeISO) { updateApiKey(id: $id, input: { expiredAt: $at }) { id } }',
          { id: expiring, at: soon },
          jwt,
        )
      ).errors,
    ).toBeUndefined();
    expect((await usage(jwt)).data).toMatchObject({ totalKeys: 5, activeKeys: 3 });
    // The expiry passes within the second.
    await eventually(async () => expect((await usage(jwt)).data).toMatchObject({ totalKeys: 5, activeKeys: 2 }));
  });

  it('counts past the first page of keys (more than 100)', async () => {
    const { jwt } = await signup(stack.url, 'many-keys');
    const ids: string[] = [];
    for (let batch = 0; batch < 7; batch++) ids.push(...(await Promise.all(Array.from({ length: 15 }, () => createKey(jwt)))));
    await graphql(stack.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', { id: ids[0] }, jwt);
    expect((await usage(jwt)).data).toEqual({ totalKeys: 105, activeKeys: 104, totalRequests: 0, totalCost: '0.0000' });
  });

  it("another account's figures are never included", async () => {
    const before = (await usage(creds.other.jwt)).data;
    const key = await createKey(creds.jwt);
    await apply(creds, key, [{ costMicros: 5_000_000 }]);
    expect((await usage(creds.other.jwt)).data).toEqual(before);
    expect((await usage(creds.jwt)).data).toMatchObject({ totalRequests: 1, totalCost: '5.0000' });
  });
});

describe('credentials (dashboard session only)', () => {
  it.each([
    ['none', () => ({}), 401, 'UNAUTHORIZED'],
    ['a non-Bearer header', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), 401, 'UNAUTHORIZED'],
    ['a forged JWT', () => ({ authorization: `Bearer ${creds.jwtForged}` }), 401, 'UNAUTHORIZED'],
    ['a forged management key', () => ({ authorization: `Bearer ${creds.mkForged}` }), 401, 'UNAUTHORIZED'],
    ['a disabled management key', () => ({ authorization: `Bearer ${creds.mkDisabled}` }), 401, 'UNAUTHORIZED'],
    ['a buyer key', () => ({ authorization: `Bearer ${creds.buyerKey}` }), 403, 'FORBIDDEN'],
    ['a buyer-scope management key', () => ({ authorization: `Bearer ${creds.mkBuyer}` }), 403, 'FORBIDDEN'],
    ['a seller-scope management key', () => ({ authorization: `Bearer ${creds.mkSeller}` }), 403, 'FORBIDDEN'],
    ['a full-scope management key', () => ({ authorization: `Bearer ${creds.mkFull}` }), 403, 'FORBIDDEN'],
    ["another account's management key", () => ({ authorization: `Bearer ${creds.other.mkFull}` }), 403, 'FORBIDDEN'],
  ])('%s → %i %s', async (_name, headers, status, code) => {
    expectError('naap', await rest(stack.url, 'GET', PATH, { headers: headers() }), status, code);
  });

  it.each([
    ['the JWT', () => creds.jwt],
    ["another account's JWT (its own figures)", () => creds.other.jwt],
  ])('%s → 200 in the envelope', async (_name, token) => {
    const response = await rest(stack.url, 'GET', PATH, { token: token() });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['success', 'data']);
    expect(response.body.data).toEqual({
      totalKeys: expect.any(Number),
      activeKeys: expect.any(Number),
      totalRequests: expect.any(Number),
      totalCost: expect.stringMatching(/^\d+\.\d{4}$/),
    });
  });

  it(`answers 429 RATE_LIMITED with Retry-After past ${RATE_LIMIT} requests a minute`, async () => {
    await insideOneMinuteWindow();
    const { jwt } = await signup(stack.url, 'busy');
    const responses: Response[] = [];
    // A minute boundary can reset the count once.
    while (!responses.some((response) => response.status === 429) && responses.length < RATE_LIMIT * 2 + 40) {
      responses.push(...(await Promise.all(Array.from({ length: 20 }, () => rest(stack.url, 'GET', PATH, { token: jwt })))));
    }
    const limited = responses.find((response) => response.status === 429)!;
    expect(limited).toBeDefined();
    expectError('naap', limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
