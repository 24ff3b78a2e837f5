// Ownership of referenced ids: a buyer key may only name its own account's routing profile
// (accounts learns ownership from market's routing-profile.changed events), and a profile edit
// reaches the data plane on the very next request (the routing cache drops the profile's tables).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { FixtureCreateRoutingProfileDocument } from '../../schema/generated/graphql';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';

const UPDATE_KEY = 'mutation ($id: ID!, $p: ID) { updateApiKey(id: $id, input: { routingProfileId: $p }) { id routingProfileId } }';
const CREATE_KEY = 'mutation ($p: ID) { createApiKey(input: { name: "bound", routingProfileId: $p }) { apiKey { id routingProfileId } } }';

describe('a buyer key names only its own routing profile', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let other: Awaited<ReturnType<typeof fundedBuyer>>;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-owner'] });
    stack = await startEmbeddedStack({
      SIMULATOR_URL: sim.url,
      CONTRACT_CHECK_INTERVAL_MS: '0',
      LISTING_COOLDOWN_MS: '0',
      MANAGEMENT_RATE_LIMIT_PER_MINUTE: '100000',
    });
    const seller = await signup(stack.url, 'seller');
    const key = await poolKey(stack.url, seller.jwt, 'sk-sim-owner');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'acme/owned-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    buyer = await fundedBuyer(stack.url, '10');
    other = await fundedBuyer(stack.url, '0');
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const profileOf = async (jwt: string, input: Record<string, unknown> = {}) => {
    const created = await graphql(
      stack.url,
      FixtureCreateRoutingProfileDocument,
      { input: { name: `p-${Math.random().toString(36).slice(2)}`, ...input } },
      jwt,
    );
    expect(created.errors).toBeUndefined();
    return created.data!.createRoutingProfile.id as string;
  };

  it('binds a key to a profile of its own account at once after creating it (GraphQL and REST)', async () => {
    const mine = await profileOf(buyer.jwt);
    const bound = await graphql<any, any>(stack.url, UPDATE_KEY, { id: buyer.keyId, p: mine }, buyer.jwt);
    expect(bound.errors).toBeUndefined();
    expect(bound.data.updateApiKey.routingProfileId).toBe(mine);
    const created = await graphql<any, any>(stack.url, CREATE_KEY, { p: mine }, buyer.jwt);
    expect(created.data?.createApiKey.apiKey.routingProfileId, JSON.stringify(created.errors)).toBe(mine);
    const rebound = await rest(stack.url, 'PATCH', `/api/keys/${buyer.keyId}`, {
      token: buyer.jwt,
      body: { routingProfileId: await profileOf(buyer.jwt) },
    });
    expect(rebound.status, JSON.stringify(rebound.body)).toBe(200);
    expect(
      (await graphql<any, any>(stack.url, UPDATE_KEY, { id: buyer.keyId, p: null }, buyer.jwt)).data.updateApiKey.routingProfileId,
    ).toBeNull();
  });

  it("another account's profile, a made-up id and a deleted profile are NOT_FOUND (GraphQL) and 404 (REST)", async () => {
    const theirs = await profileOf(other.jwt);
    const gone = await profileOf(buyer.jwt);
    const deleted = await graphql(stack.url, 'mutation ($id: ID!) { deleteRoutingProfile(id: $id) { id } }', { id: gone }, buyer.jwt);
    expect(deleted.errors).toBeUndefined();
    for (const id of [theirs, '00000000-0000-4000-8000-000000000000', gone]) {
      const updated = await graphql<any, any>(stack.url, UPDATE_KEY, { id: buyer.keyId, p: id }, buyer.jwt);
      expect(updated.errors?.[0]?.extensions?.code, id).toBe('NOT_FOUND');
      const created = await graphql<any, any>(stack.url, CREATE_KEY, { p: id }, buyer.jwt);
      expect(created.errors?.[0]?.extensions?.code, id).toBe('NOT_FOUND');
      const patched = await rest(stack.url, 'PATCH', `/api/keys/${buyer.keyId}`, { token: buyer.jwt, body: { routingProfileId: id } });
      expect({ status: patched.status, code: patched.body?.error?.code }, JSON.stringify(patched.body)).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
      const posted = await rest(stack.url, 'POST', '/api/keys', { token: buyer.jwt, body: { name: 'foreign', routingProfileId: id } });
      expect({ status: posted.status, code: posted.body?.error?.code }, JSON.stringify(posted.body)).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    // The owner can still bind its own.
    expect(
      (await graphql<any, any>(stack.url, UPDATE_KEY, { id: other.keyId, p: theirs }, other.jwt)).data?.updateApiKey.routingProfileId,
    ).toBe(theirs);
  });

  it('a profile edit takes effect on the very next data-plane request', async () => {
    const profile = await profileOf(buyer.jwt);
    expect((await graphql<any, any>(stack.url, UPDATE_KEY, { id: buyer.keyId, p: profile }, buyer.jwt)).errors).toBeUndefined();
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({ model: 'acme/owned-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 });
    // Served once: the profile's table for this model is now cached.
    expect((await ask()).choices[0].message.content).toBeTruthy();
    const denied = await graphql(
      stack.url,
      'mutation ($id: ID!) { updateRoutingProfile(id: $id, input: { denyProviders: ["simulator"] }) { id } }',
      { id: profile },
      buyer.jwt,
    );
    expect(denied.errors).toBeUndefined();
    // The only listing is now denied: the next request finds no route.
    await expect(ask()).rejects.toMatchObject({ status: expect.any(Number) });
    const error = await ask().catch((e: { status: number }) => e);
    expect((error as { status: number }).status).toBeGreaterThanOrEqual(400);
    const allowed = await graphql(
      stack.url,
      'mutation ($id: ID!) { updateRoutingProfile(id: $id, input: { denyProviders: null }) { id } }',
      { id: profile },
      buyer.jwt,
    );
    expect(allowed.errors).toBeUndefined();
    expect((await ask()).choices[0].message.content).toBeTruthy();
  });

  it('knows profiles made before accounts listened: market announces every profile at start', async () => {
    const mine = await profileOf(buyer.jwt);
    // An upgraded store: accounts never heard of the profile.
    const accounts = stack.platform!.runtimes.find((r) => r.name === 'accounts')!;
    await accounts.db.orm.em.fork().getConnection().execute('delete from routing_profile_owners');
    expect((await graphql<any, any>(stack.url, UPDATE_KEY, { id: buyer.keyId, p: mine }, buyer.jwt)).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );
    const restarted = await startEmbeddedStack({
      DATA_DIR: stack.config.dataDir,
      PLATFORM_SECRET: stack.config.platformSecret,
      SIMULATOR_URL: sim.url,
      CONTRACT_CHECK_INTERVAL_MS: '0',
    });
    try {
      const bound = await graphql<any, any>(restarted.url, UPDATE_KEY, { id: buyer.keyId, p: mine }, buyer.jwt);
      expect(bound.errors, JSON.stringify(bound.errors)).toBeUndefined();
      expect(bound.data.updateApiKey.routingProfileId).toBe(mine);
    } finally {
      await restarted.stop();
    }
  });
});
