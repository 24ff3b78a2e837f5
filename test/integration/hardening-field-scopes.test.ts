// Scopes hold on every field that returns owned data, not only on root fields: a federated field
// reached through another subgraph's object (the account, the job feed's orchestrator) asks the
// same action table a root field would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../gateway/simulator/server';
import { canAccess, canPerformAction, ACTIONS, type Action } from '../../subgraphs/common/actions';
import type { Principal } from '../../subgraphs/common/principal';
import { graphql } from '../helpers/graphql';
import { managementKey, signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { eventually } from '../helpers/eventually';

describe('the action table', () => {
  const principals: Record<string, Principal> = {
    user: { kind: 'user', accountId: 'a1' } as Principal,
    buyerMk: { kind: 'management', accountId: 'a1', scope: 'buyer' } as Principal,
    sellerMk: { kind: 'management', accountId: 'a1', scope: 'seller' } as Principal,
    fullMk: { kind: 'management', accountId: 'a1', scope: 'full' } as Principal,
    buyerKey: { kind: 'buyer-key', accountId: 'a1', keyId: 'k1' } as Principal,
    service: { kind: 'service', name: 'test' } as Principal,
    anonymous: { kind: 'anonymous' } as Principal,
  };

  it.each([
    ['keys:read', ['user', 'buyerMk', 'fullMk', 'service']],
    ['supply:read', ['user', 'sellerMk', 'fullMk', 'service']],
    ['money:buyer', ['user', 'buyerMk', 'fullMk', 'service']],
    ['money:seller', ['user', 'sellerMk', 'fullMk', 'service']],
    ['account:manage', ['user']],
    ['request:read', ['user', 'buyerMk', 'fullMk', 'buyerKey', 'service']],
    ['platform', ['service']],
  ] as [Action, string[]][])('%s is allowed to exactly %j', (action, allowed) => {
    expect(Object.keys(principals).filter((name) => canPerformAction(principals[name], action))).toEqual(allowed);
  });

  it('grants owned data only to its owner (or the platform), whatever the action allows', () => {
    expect(canAccess(principals.user, 'keys:read', 'a1')).toBe(true);
    expect(canAccess(principals.user, 'keys:read', 'a2')).toBe(false);
    expect(canAccess(principals.sellerMk, 'keys:read', 'a1')).toBe(false);
    expect(canAccess(principals.service, 'money:seller', 'anyone')).toBe(true);
    expect(canAccess(principals.user, 'keys:read', null)).toBe(false);
    expect(Object.keys(ACTIONS).length).toBeGreaterThan(10);
  });
});

describe('field-level scopes through the federated graph', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let seller: Awaited<ReturnType<typeof signup>>;
  let listingId: string;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-scopes'] });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    seller = await signup(stack.url, 'scoped-seller');
    const pool = await poolKey(stack.url, seller.jwt, 'sk-sim-scopes');
    listingId = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: pool,
      model: 'scopes/chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    // The seller is also a buyer (its own key) and earns from one served request.
    await graphql(stack.url, 'mutation { createApiKey(input: { name: "own" }) { rawKey } }', {}, seller.jwt);
    const buyer = await fundedBuyer(stack.url, '1');
    const answer = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'scopes/chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    expect(answer.status).toBe(200);
    await eventually(async () => {
      const earned = await graphql(
        stack.url,
        'query ($id: ID!) { listing(id: $id) { earnings { micros } } }',
        { id: listingId },
        seller.jwt,
      );
      expect((earned.data as { listing: { earnings: { micros: number } | null } }).listing.earnings!.micros).toBeGreaterThan(0);
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  it('a seller-scope management key reads no buyer keys through me { apiKeys }', async () => {
    const sellerMk = await managementKey(stack.url, seller.jwt, 'SELLER');
    const buyerMk = await managementKey(stack.url, seller.jwt, 'BUYER');
    const query = '{ me { apiKeys { id name } } }';
    const read = async (token: string) =>
      ((await graphql(stack.url, query, {}, token)).data as { me: { apiKeys: { id: string }[] } }).me.apiKeys;
    expect(await read(seller.jwt)).toHaveLength(1);
    expect(await read(buyerMk.rawKey)).toHaveLength(1);
    expect(await read(sellerMk.rawKey)).toEqual([]);
  });

  it('a buyer-scope management key reads no listing earnings through jobFeed { orchestrator { earnings } }', async () => {
    const buyerMk = await managementKey(stack.url, seller.jwt, 'BUYER');
    const sellerMk = await managementKey(stack.url, seller.jwt, 'SELLER');
    const query = '{ jobFeed(limit: 20) { orchestrator { id earnings { micros } } } }';
    const earnings = async (token: string) =>
      (
        (await graphql(stack.url, query, {}, token)).data as {
          jobFeed: { orchestrator: { id: string; earnings: { micros: number } | null } | null }[];
        }
      ).jobFeed
        .filter((j) => j.orchestrator?.id === listingId)
        .map((j) => j.orchestrator!.earnings);
    await eventually(async () => expect((await earnings(seller.jwt)).length).toBeGreaterThan(0));
    expect((await earnings(seller.jwt)).every((e) => e !== null && e.micros > 0)).toBe(true);
    expect((await earnings(sellerMk.rawKey)).every((e) => e !== null && e.micros > 0)).toBe(true);
    expect((await earnings(buyerMk.rawKey)).every((e) => e === null)).toBe(true);
    // And a stranger, or nobody, sees none either.
    const stranger = await signup(stack.url, 'stranger');
    expect((await earnings(stranger.jwt)).every((e) => e === null)).toBe(true);
  });

  it('a buyer-scope management key sees no seller listings through me { listings }', async () => {
    const buyerMk = await managementKey(stack.url, seller.jwt, 'BUYER');
    const query = '{ me { listings { id } } }';
    const read = async (token: string) =>
      ((await graphql(stack.url, query, {}, token)).data as { me: { listings: { id: string }[] } }).me.listings;
    expect((await read(seller.jwt)).map((l) => l.id)).toContain(listingId);
    expect(await read(buyerMk.rawKey)).toEqual([]);
  });
});
