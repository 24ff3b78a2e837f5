// Disputes from the hostile side, through the whole embedded stack: an overcharge the metering
// evidence shows is refunded at once from the seller's reserve; a seller's acceptance and its
// silence refund the buyer; a contest follows its window to the seller; one dispute per request,
// none after 30 days, none on another account's request; REST and GraphQL envelopes; bad bodies;
// a credential × route matrix. Time moves through settleEarnings(at:), never by sleeping; the
// ledger is balanced after every test.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/knex';
import {
  DisputeAcceptDocument,
  DisputeContestDocument,
  DisputeGetDocument,
  DisputeListDocument,
  DisputeOpenDocument,
  DisputeSellerListDocument,
  MoneyBalanceDocument,
} from '../../schema/generated/graphql';
import type { UsageEvent } from '../../subgraphs/common/events';
import { lockBalances, post } from '../../subgraphs/billing/services/ledger';
import { sqlFor } from '../../subgraphs/billing/sql';
import { credentials, type Credentials } from '../helpers/credentials';
import { graphql, rest } from '../helpers/graphql';
import { expectLedgerBalanced } from '../helpers/ledger';
import { asService } from '../helpers/service';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { billingFixtures } from '../helpers/billing';
import { expectError } from '../helpers/expect-error';

const LOST = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Listing { disputesLost } } }';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

let stack: TestStack;
let c: Credentials;

beforeAll(async () => {
  stack = await startEmbeddedStack({ SETTLEMENT_INTERVAL_MS: '0', MANAGEMENT_RATE_LIMIT_PER_MINUTE: '10000' });
  c = await credentials(stack.url);
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(async () => {
  if (stack) await expectLedgerBalanced(stack);
});

const h = billingFixtures(() => stack);
const { billing, usage, settle, buckets, deposit, account, call } = h;
/** Applies the events; every one of them must be new. */
const apply = async (...events: UsageEvent[]) => expect(await h.apply(...events)).toBe(events.length);

async function lost(listingId: string): Promise<number> {
  const result = await asService<{ _entities: { disputesLost: number }[] }>(stack, 'billing', LOST, {
    r: [{ __typename: 'Listing', id: listingId }],
  });
  return result.data!._entities[0].disputesLost;
}

/** A buyer with paid money (its trial spent) and a seller. */
async function parties(label: string) {
  const buyer = await account(`${label}-buyer`);
  const seller = await account(`${label}-seller`);
  await deposit(buyer.accountId, 50_000_000);
  await apply(usage(buyer, null, { costMicros: 100_000 }));
  return { buyer, seller };
}

describe('disputes', () => {
  it('refunds an overcharge the metering evidence shows at once, from the seller reserve', async () => {
    const { buyer, seller } = await parties('auto');
    const clean = usage(buyer, seller, { costMicros: 20_000_000 });
    const overcharged = usage(buyer, seller, { costMicros: 1_000_000, reportedOutputTokens: 900, meteringFlags: 'completion_over_count' });
    await apply(clean, overcharged);
    await settle(new Date());
    // 70% of each charge, 20% of that held in reserve.
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, available: 11_200_000 + 560_000, reserved: 2_800_000 + 140_000 });
    const buyerBefore = await buckets(buyer.accountId);
    const platformBefore = await buckets('platform');

    const response = await call('POST', '/api/billing/disputes', buyer.jwt, {
      requestId: overcharged.requestId,
      reason: 'the answer was 50 tokens, I was billed for more',
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body).toMatchObject({
      requestId: overcharged.requestId,
      listingId: overcharged.listingId,
      model: 'dragonfly/sim-chat',
      charged: 1,
      chargedMicros: 1_000_000,
      status: 'resolved_buyer',
      resolution: 'auto',
      evidence: ['completion_over_count'],
      sellerResponse: null,
      refund: 1,
      refundMicros: 1_000_000,
    });
    expect(response.body.resolvedAt).toEqual(expect.any(String));
    // The seller's 700,000 share comes out of its reserve; available is untouched. The buyer gets
    // its paid charge back in balance; the platform gives back its 300,000 fee.
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, available: 11_760_000, reserved: 2_940_000 - 700_000 });
    expect(await buckets(buyer.accountId)).toMatchObject({ balance: buyerBefore.balance + 1_000_000, promo: buyerBefore.promo });
    expect((await buckets('platform')).balance).toBe(platformBefore.balance - 300_000);
    const refunds = (await billing()
      .db.orm.em.fork()
      .getConnection()
      .execute(
        "select account_id, bucket, amount_micros from ledger_entries where type = 'refund' and reference like ? order by reference",
        [`dispute:${response.body.id}:%`],
      )) as { account_id: string; bucket: string; amount_micros: number }[];
    expect(refunds.map((r) => [r.account_id, r.bucket, Number(r.amount_micros)])).toEqual([
      [buyer.accountId, 'balance', 1_000_000],
      ['platform', 'balance', -300_000],
      [seller.accountId, 'earnings_reserved', -700_000],
    ]);
    expect(await lost(overcharged.listingId!)).toBe(1);
    // The reserve release later moves only what the reserve still holds: the seller ends with its
    // share of the clean request alone, nothing created.
    await settle(new Date(Date.now() + 8 * DAY));
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, reserved: 0, available: 14_000_000 });
    // GraphQL answers the same dispute; a second dispute of the request is a conflict.
    const again = await graphql(stack.url, DisputeOpenDocument, { requestId: overcharged.requestId, reason: 'again' }, buyer.jwt);
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
    const read = await graphql(stack.url, DisputeGetDocument, { id: response.body.id }, buyer.jwt);
    expect(read.data!.dispute).toMatchObject({ status: 'RESOLVED_BUYER', resolution: 'AUTO', refund: { micros: 1_000_000 } });
  });

  it('refunds the promo-funded part into promo, and takes a cooling share from pending', async () => {
    const buyer = await account('promo-buyer');
    const seller = await account('promo-seller');
    await deposit(buyer.accountId, 1_000_000);
    // 100,000 of trial credit, then 900,000 paid; the prompt was reported 10x what the gateway counted.
    const event = usage(buyer, seller, { costMicros: 1_000_000, reportedInputTokens: 1000, occurredAt: new Date().toISOString() });
    await apply(event);
    expect(await buckets(buyer.accountId)).toMatchObject({ balance: 100_000, promo: 0 });
    const opened = await graphql(stack.url, DisputeOpenDocument, { requestId: event.requestId, reason: 'prompt over-reported' }, buyer.jwt);
    expect(opened.data!.openDispute).toMatchObject({
      status: 'RESOLVED_BUYER',
      resolution: 'AUTO',
      evidence: ['prompt_over_count'],
      refund: { micros: 1_000_000 },
    });
    expect(await buckets(buyer.accountId)).toMatchObject({ balance: 1_000_000, promo: 100_000 });
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, available: 0, reserved: 0 });
    // Cooling it later moves nothing (the share is gone) and no bucket goes below zero.
    await settle(new Date(Date.now() + 20 * MINUTE));
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, available: 0, reserved: 0 });
  });

  it('has the platform cover a seller share its earnings no longer hold', async () => {
    const { buyer, seller } = await parties('cover');
    const event = usage(buyer, seller, { costMicros: 2_000_000, meteringFlags: 'completion_over_max' });
    await apply(event);
    // The seller's earnings went elsewhere (a test posting stands in for a payout that left).
    const em = billing().db.orm.em.fork() as EntityManager;
    await em.transactional(async (tem) => {
      const sql = sqlFor(tem as EntityManager);
      await lockBalances(sql, new Date(), [seller.accountId]);
      await post(sql, { newId: () => randomUUID() }, new Date(), [
        {
          accountId: seller.accountId,
          bucket: 'earnings_pending',
          type: 'adjustment',
          amountMicros: -1_000_000,
          reference: `test-drain:${randomUUID()}`,
          description: 'test',
        },
      ]);
    });
    const platformBefore = (await buckets('platform')).balance;
    const opened = await graphql(stack.url, DisputeOpenDocument, { requestId: event.requestId, reason: 'over max_tokens' }, buyer.jwt);
    expect(opened.data!.openDispute.refund.micros).toBe(2_000_000);
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, available: 0, reserved: 0 });
    // The 600,000 fee and the 1,000,000 of the share the seller no longer held.
    expect((await buckets('platform')).balance).toBe(platformBefore - 600_000 - 1_000_000);
    const [row] = (await em
      .getConnection()
      .execute('select seller_debit_micros, platform_cover_micros from disputes where id = ?', [opened.data!.openDispute.id])) as Record<
      string,
      number
    >[];
    expect([Number(row.seller_debit_micros), Number(row.platform_cover_micros)]).toEqual([400_000, 1_000_000]);
  });

  it('waits for the seller; a seller acceptance refunds the buyer from its earnings', async () => {
    const { buyer, seller } = await parties('accept');
    const event = usage(buyer, seller, { costMicros: 3_000_000 });
    await apply(event);
    const opened = await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: event.requestId, reason: 'the answer was empty' });
    expect(opened.body).toMatchObject({ status: 'open', resolution: null, evidence: [], refundMicros: 0 });
    expect(new Date(opened.body.respondBy).getTime() - new Date(opened.body.openedAt).getTime()).toBe(72 * HOUR);
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 2_100_000 });
    const listed = await call('GET', '/v1/market/disputes?status=open', seller.jwt);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ total: 1, page: 1, pageSize: 20 });
    expect(listed.body.disputes[0]).toMatchObject({ id: opened.body.id, reason: 'the answer was empty', status: 'open' });
    // The buyer's list has it too; another account's list does not.
    expect((await call('GET', '/api/billing/disputes', buyer.jwt)).body.disputes.map((d: { id: string }) => d.id)).toEqual([
      opened.body.id,
    ]);
    expect((await call('GET', '/api/billing/disputes', c.jwt)).body.disputes.some((d: { id: string }) => d.id === opened.body.id)).toBe(
      false,
    );
    // Another seller cannot accept it.
    expectError('dragonfly', await call('POST', `/v1/market/disputes/${opened.body.id}/accept`, c.jwt), 404, 'NOT_FOUND');
    const accepted = await call('POST', `/v1/market/disputes/${opened.body.id}/accept`, seller.jwt);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'resolved_buyer', resolution: 'seller_accepted', refundMicros: 3_000_000 });
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, available: 0, reserved: 0 });
    expectError('dragonfly', await call('POST', `/v1/market/disputes/${opened.body.id}/accept`, seller.jwt), 409, 'CONFLICT');
    expectError(
      'dragonfly',
      await call('POST', `/v1/market/disputes/${opened.body.id}/contest`, seller.jwt, { reason: 'too late' }),
      409,
      'CONFLICT',
    );
    expect(await lost(event.listingId!)).toBe(1);
  });

  it('refunds the buyer when the seller lets the response window pass', async () => {
    const { buyer, seller } = await parties('silent');
    const event = usage(buyer, seller, { costMicros: 500_000, occurredAt: new Date().toISOString() });
    await apply(event);
    const opened = (await graphql(stack.url, DisputeOpenDocument, { requestId: event.requestId, reason: 'wrong model' }, buyer.jwt)).data!
      .openDispute;
    expect(opened.status).toBe('OPEN');
    const balanceBefore = (await buckets(buyer.accountId)).balance;
    await settle(new Date(Date.now() + 71 * HOUR));
    expect((await graphql(stack.url, DisputeGetDocument, { id: opened.id }, buyer.jwt)).data!.dispute.status).toBe('OPEN');
    await settle(new Date(Date.now() + 73 * HOUR));
    const closed = (await graphql(stack.url, DisputeGetDocument, { id: opened.id }, seller.jwt)).data!.dispute;
    expect(closed).toMatchObject({ status: 'RESOLVED_BUYER', resolution: 'WINDOW_EXPIRED', refund: { micros: 500_000 } });
    expect((await buckets(buyer.accountId)).balance).toBe(balanceBefore + 500_000);
    // The job round closes disputes before it cools earnings: the share came back from pending, and
    // cooling the record afterwards moved nothing.
    expect(await buckets(seller.accountId)).toMatchObject({ pending: 0, available: 0, reserved: 0 });
  });

  it('follows a contested dispute through its window to the seller: no refund, no reputation cost', async () => {
    const { buyer, seller } = await parties('contest');
    const event = usage(buyer, seller, { costMicros: 800_000, occurredAt: new Date().toISOString() });
    await apply(event);
    const opened = (await graphql(stack.url, DisputeOpenDocument, { requestId: event.requestId, reason: 'I did not like it' }, buyer.jwt))
      .data!.openDispute;
    const missing = await call('POST', `/v1/market/disputes/${opened.id}/contest`, seller.jwt, {});
    expectError('dragonfly', missing, 400, 'BAD_USER_INPUT', 'reason');
    const contested = await graphql(
      stack.url,
      DisputeContestDocument,
      { id: opened.id, reason: 'served exactly what was asked; see the record' },
      seller.jwt,
    );
    expect(contested.data!.contestDispute).toMatchObject({
      status: 'OPEN',
      sellerResponse: 'served exactly what was asked; see the record',
    });
    expect(contested.data!.contestDispute.contestedAt).toEqual(expect.any(String));
    expect(
      (await graphql(stack.url, DisputeContestDocument, { id: opened.id, reason: 'again' }, seller.jwt)).errors?.[0].extensions?.code,
    ).toBe('CONFLICT');
    const before = { buyer: await buckets(buyer.accountId), seller: await buckets(seller.accountId) };
    await settle(new Date(Date.now() + 73 * HOUR));
    const closed = (await graphql(stack.url, DisputeGetDocument, { id: opened.id }, buyer.jwt)).data!.dispute;
    expect(closed).toMatchObject({ status: 'RESOLVED_SELLER', resolution: 'CONTESTED', refund: { micros: 0 } });
    expect((await buckets(buyer.accountId)).balance).toBe(before.buyer.balance);
    // The seller's share only cooled (560,000 × 80% available, 20% reserved); nothing was taken.
    const after = await buckets(seller.accountId);
    expect(after.pending + after.available + after.reserved).toBe(before.seller.pending + before.seller.available + before.seller.reserved);
    expect(await lost(event.listingId!)).toBe(0);
    const sellerList = await graphql(stack.url, DisputeSellerListDocument, { page: 1, pageSize: 5, status: 'RESOLVED_SELLER' }, seller.jwt);
    expect(sellerList.data!.sellerDisputes.items.map((d) => d.id)).toEqual([opened.id]);
  });

  it('refuses a dispute after the 30-day window, a second dispute, an uncharged request and another account’s request', async () => {
    const { buyer, seller } = await parties('refusals');
    const old = usage(buyer, seller, { occurredAt: new Date(Date.now() - 31 * DAY).toISOString() });
    const recent = usage(buyer, seller, { occurredAt: new Date(Date.now() - 29 * DAY).toISOString() });
    const free = usage(buyer, seller, { costMicros: 0 });
    await apply(old, recent, free);
    const late = await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: old.requestId, reason: 'late' });
    expectError('dragonfly', late, 400, 'BAD_USER_INPUT', 'requestId');
    expect(late.body.error.message).toMatch(/within 30 days/);
    const lateGql = await graphql(stack.url, DisputeOpenDocument, { requestId: old.requestId, reason: 'late' }, buyer.jwt);
    expect(lateGql.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(lateGql.errors?.[0].message).toMatch(/within 30 days/);
    expect((await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: recent.requestId, reason: 'in time' })).status).toBe(201);
    const twice = await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: recent.requestId, reason: 'twice' });
    expectError('dragonfly', twice, 409, 'CONFLICT');
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: free.requestId, reason: 'free' }),
      400,
      'BAD_USER_INPUT',
      'requestId',
    );
    // Another account's request, and one that does not exist, are the same NOT_FOUND.
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', c.jwt, { requestId: recent.requestId, reason: 'not mine' }),
      404,
      'NOT_FOUND',
    );
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', c.jwt, { requestId: `req_${randomUUID()}`, reason: 'nobody' }),
      404,
      'NOT_FOUND',
    );
    const gql = await graphql(stack.url, DisputeOpenDocument, { requestId: recent.requestId, reason: 'not mine' }, c.other.jwt);
    expect(gql.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // The seller cannot dispute its own sale, nor read a dispute of another account.
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', seller.jwt, { requestId: recent.requestId, reason: 'seller' }),
      404,
      'NOT_FOUND',
    );
    const mine = (await call('GET', '/api/billing/disputes', buyer.jwt)).body.disputes[0];
    expectError('dragonfly', await call('GET', `/api/billing/disputes/${mine.id}`, c.jwt), 404, 'NOT_FOUND');
    expect((await call('GET', `/api/billing/disputes/${mine.id}`, seller.jwt)).status).toBe(200);
  });

  it('refuses bad bodies and query strings in the Dragonfly envelope', async () => {
    const { buyer, seller } = await parties('bad');
    const event = usage(buyer, seller);
    await apply(event);
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: event.requestId }),
      400,
      'BAD_USER_INPUT',
      'reason',
    );
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: event.requestId, reason: '   ' }),
      400,
      'BAD_USER_INPUT',
      'reason',
    );
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: event.requestId, reason: 'x'.repeat(1001) }),
      400,
      'BAD_USER_INPUT',
      'reason',
    );
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: event.requestId, reason: 42 }),
      400,
      'BAD_USER_INPUT',
      'reason',
    );
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', buyer.jwt, { reason: 'no id' }),
      400,
      'BAD_USER_INPUT',
      'requestId',
    );
    expectError(
      'dragonfly',
      await call('POST', '/api/billing/disputes', buyer.jwt, { requestId: event.requestId, reason: 'r', extra: 1 }),
      400,
      'BAD_USER_INPUT',
    );
    expectError('dragonfly', await call('POST', '/api/billing/disputes', buyer.jwt, [1, 2]), 400, 'BAD_REQUEST');
    expectError(
      'dragonfly',
      await rest(stack.url, 'POST', '/api/billing/disputes', {
        token: buyer.jwt,
        rawBody: '{"requestId":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'BAD_REQUEST',
    );
    expectError('dragonfly', await call('GET', '/api/billing/disputes?page=0', buyer.jwt), 400, 'BAD_USER_INPUT', 'page');
    expectError('dragonfly', await call('GET', '/api/billing/disputes?pageSize=abc', buyer.jwt), 400, 'BAD_USER_INPUT', 'pageSize');
    expectError('dragonfly', await call('GET', '/v1/market/disputes?status=closed', seller.jwt), 400, 'BAD_USER_INPUT', 'status');
    expectError('dragonfly', await call('GET', '/api/billing/disputes/not-an-id', buyer.jwt), 404, 'NOT_FOUND');
    const gql = await graphql(stack.url, 'mutation { openDispute(requestId: "x") { id } }', {}, buyer.jwt);
    expect(gql.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(
      (await graphql(stack.url, DisputeOpenDocument, { requestId: event.requestId, reason: '' }, buyer.jwt)).errors?.[0].extensions?.code,
    ).toBe('BAD_USER_INPUT');
    expect((await graphql(stack.url, DisputeListDocument, { page: 1, pageSize: 101 }, buyer.jwt)).errors?.[0].extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('keeps each route to its credentials', async () => {
    // c's own request, disputed by c; its seller is a fresh account.
    const seller = await account('matrix-seller');
    await deposit(c.accountId, 10_000_000);
    const events = Array.from({ length: 8 }, () => usage(c, seller, { costMicros: 10_000 }));
    await apply(...events);
    const opened = await call('POST', '/api/billing/disputes', c.jwt, { requestId: events[0].requestId, reason: 'matrix' });
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    let next = 1;
    type Cred = { name: string; token?: string; buyer: number | 'not-found'; seller: number | 'not-found' };
    // buyer routes are c's (the buyer); seller routes are c's too only as a seller of nothing (NOT_FOUND on c's dispute).
    const creds: Cred[] = [
      { name: 'none', token: undefined, buyer: 401, seller: 401 },
      { name: 'forged jwt', token: c.jwtForged, buyer: 401, seller: 401 },
      { name: 'forged mk', token: c.mkForged, buyer: 401, seller: 401 },
      { name: 'disabled mk', token: c.mkDisabled, buyer: 401, seller: 401 },
      { name: 'buyer key', token: c.buyerKey, buyer: 403, seller: 403 },
      { name: 'jwt', token: c.jwt, buyer: 200, seller: 'not-found' },
      { name: 'mk buyer', token: c.mkBuyer, buyer: 200, seller: 403 },
      { name: 'mk seller', token: c.mkSeller, buyer: 403, seller: 'not-found' },
      { name: 'mk full', token: c.mkFull, buyer: 200, seller: 'not-found' },
      { name: 'other account', token: c.other.jwt, buyer: 'not-found', seller: 'not-found' },
    ];
    for (const cred of creds) {
      const expectStatus = (response: Awaited<ReturnType<typeof rest>>, expected: number | 'not-found', ok: number, label: string) => {
        const status = expected === 'not-found' ? 404 : expected === 200 ? ok : expected;
        expect(response.status, `${cred.name} ${label}: ${JSON.stringify(response.body)}`).toBe(status);
        if (status >= 400) expect(Object.keys(response.body)).toEqual(['error']);
      };
      const requestId = cred.buyer === 200 ? events[next++].requestId : events[7].requestId;
      expectStatus(await call('POST', '/api/billing/disputes', cred.token, { requestId, reason: 'matrix' }), cred.buyer, 201, 'open');
      const list = await call('GET', '/api/billing/disputes', cred.token);
      expectStatus(list, cred.buyer === 'not-found' ? 200 : cred.buyer, 200, 'list');
      if (cred.buyer === 'not-found') expect(list.body.disputes.some((d: { id: string }) => d.id === id)).toBe(false);
      // A dispute is its buyer's or its seller's: a seller-scope key of an account that is neither finds nothing.
      expectStatus(
        await call('GET', `/api/billing/disputes/${id}`, cred.token),
        cred.name === 'mk seller' ? 'not-found' : cred.buyer,
        200,
        'get',
      );
      expectStatus(
        await call('GET', '/v1/market/disputes', cred.token),
        cred.seller === 'not-found' ? 200 : cred.seller,
        200,
        'seller list',
      );
      expectStatus(await call('POST', `/v1/market/disputes/${id}/accept`, cred.token), cred.seller, 200, 'accept');
      expectStatus(await call('POST', `/v1/market/disputes/${id}/contest`, cred.token, { reason: 'no' }), cred.seller, 200, 'contest');
    }
    // The dispute's own seller, by each of its credentials' kinds.
    const sellerMk = await graphql(stack.url, DisputeAcceptDocument, { id }, c.buyerKey);
    expect(sellerMk.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const accepted = await call('POST', `/v1/market/disputes/${id}/accept`, seller.jwt);
    expect(accepted.body.status).toBe('resolved_buyer');
    expect((await graphql(stack.url, MoneyBalanceDocument, {}, c.jwt)).data!.me.balance).toBeTruthy();
  });
});
