// The spine, end to end through the gateway: sessions, a key, a listing, one query across all four
// subgraphs, and a live job event over graphql-ws with fields from other subgraphs. The same suite
// runs embedded (SQLite, in-memory bus, one process) and scaled (PostgreSQL, Redis, five processes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  CreateApiKeyDocument,
  CreateListingDocument,
  DashboardDocument,
  JobFeedDocument,
  LiveJobFeedDocument,
} from '../../schema/generated/graphql';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { graphql, rest, wsClient } from '../helpers/graphql';
import { startEmbeddedStack, startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { print } from 'graphql';
import { waitUntil } from '../helpers/eventually';

function job(overrides: Partial<JobFinishedEvent> = {}): JobFinishedEvent {
  const now = Date.now();
  return {
    id: `req_${randomUUID()}`,
    pipeline: 'llm',
    model: 'dragonfly/sim-chat',
    status: 'completed',
    startedAt: new Date(now - 1500).toISOString(),
    finishedAt: new Date(now).toISOString(),
    latencyMs: 1500,
    ...overrides,
  };
}

const modes: [string, () => Promise<TestStack>][] = [['embedded (SQLite, in-memory bus)', () => startEmbeddedStack()]];
if (HAVE_SCALED_SERVICES) modes.push(['scaled (PostgreSQL, Redis, separate processes)', () => startScaledStack()]);
else logSkip('spine suite in scaled mode');

describe.each(modes)('spine — %s', (_name, start) => {
  let stack: TestStack;
  let token: string;
  let email: string;
  let listingId: string;

  beforeAll(async () => {
    stack = await start();
    email = `seller-${randomUUID().slice(0, 8)}@example.com`;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await rest(stack.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await rest(stack.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.subgraphs).toEqual(['accounts', 'market', 'billing', 'network']);
  });

  it('signs up over REST: 201 {token, account} with the email shown to its owner', async () => {
    const response = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email, password: 'correct horse', name: 'Acme Seller' } });
    expect(response.status).toBe(201);
    expect(response.body.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(response.body.account).toMatchObject({ email, name: 'Acme Seller' });
    token = response.body.token;
  });

  it('logs in: 200 with a working token; wrong password 401; taken email 409', async () => {
    const ok = await rest(stack.url, 'POST', '/api/auth/login', { body: { email: email.toUpperCase(), password: 'correct horse' } });
    expect(ok.status).toBe(200);
    expect(ok.body.account.email).toBe(email);
    const wrong = await rest(stack.url, 'POST', '/api/auth/login', { body: { email, password: 'wrong horse!' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHENTICATED');
    const unknown = await rest(stack.url, 'POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'whatever1' } });
    expect(unknown.status).toBe(401);
    const taken = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email, password: 'another pass' } });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('CONFLICT');
  });

  it('creates a buyer key and a listing through GraphQL', async () => {
    const key = await graphql(stack.url, CreateApiKeyDocument, { input: { name: 'prod' } }, token);
    expect(key.errors).toBeUndefined();
    expect(key.data!.createApiKey.rawKey).toMatch(/^sk-df-[A-Za-z0-9_-]{43}$/);
    expect(key.data!.createApiKey.apiKey.preview).toMatch(/^sk-df-.{4}….{4}$/);
    expect(key.data!.createApiKey.apiKey.preview).not.toContain(key.data!.createApiKey.rawKey.slice(10, 30));

    const listing = await graphql(
      stack.url,
      CreateListingDocument,
      { input: { model: 'dragonfly/sim-chat', inputPricePerMTok: '0.50', outputPricePerMTok: '1.5' } },
      token,
    );
    expect(listing.errors).toBeUndefined();
    expect(listing.data!.createListing).toMatchObject({ model: 'dragonfly/sim-chat', capability: 'CHAT', status: 'PENDING' });
    listingId = listing.data!.createListing.id;
  });

  it('answers ONE query that crosses all four subgraphs', async () => {
    const result = await graphql(stack.url, DashboardDocument, {}, token);
    expect(result.errors).toBeUndefined();
    const me = result.data!.me;
    expect(me.email).toBe(email);
    expect(me.balance).toEqual({ micros: 100_000, usd: '0.100000' }); // billing: the trial credit
    expect(me.apiKeys).toHaveLength(1); // accounts
    expect(me.apiKeys[0].usageInTotal).toEqual({ micros: 0, usd: '0.000000' }); // billing through ApiKey
    expect(me.listings).toHaveLength(1); // market
    expect(me.listings[0]).toMatchObject({
      id: listingId,
      inputPricePerMTok: { usd: '0.500000' },
      outputPricePerMTok: { usd: '1.500000' },
    });
    expect(me.listings[0].seller).toMatchObject({ id: me.id, name: 'Acme Seller', email }); // back to accounts
    expect(me.listings[0].servedJobs).toBe(0); // network
  });

  it('refuses bad credentials and anonymous callers on private fields', async () => {
    const anonymous = await graphql(stack.url, DashboardDocument, {});
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await graphql(stack.url, DashboardDocument, {}, token.slice(0, -4) + 'AAAA');
    expect(forged.status).toBe(401);
    expect(forged.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const buyerKey = await graphql(stack.url, DashboardDocument, {}, 'sk-df-' + 'a'.repeat(43));
    expect(buyerKey.status).toBe(403);
  });

  it('delivers a jobFeed event over graphql-ws with fields owned by market and accounts, filtered by pipeline', async () => {
    const client = wsClient(stack.url, token);
    const events: any[] = [];
    const iterator = client.iterate({ query: print(LiveJobFeedDocument), variables: { pipeline: 'llm' } });
    const received = (async () => {
      for await (const event of iterator) {
        events.push(event);
        if (events.length === 1) break;
      }
    })();
    // The upstream subscription opens asynchronously: publish a pair each round until one arrives.
    const published = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (events.length === 0 && Date.now() < deadline) {
      await stack.bus.publish('job.finished', job({ listingId, pipeline: 'embeddings', model: 'dragonfly/sim-embed' }));
      const wanted = job({ listingId, pipeline: 'llm' });
      published.add(wanted.id);
      await stack.bus.publish('job.finished', wanted);
      await new Promise((r) => setTimeout(r, 200));
    }
    if (events.length === 0) await client.dispose();
    await received;
    await client.dispose();
    expect(events).toHaveLength(1);
    const entry = events[0].data.jobFeed;
    expect(published.has(entry.id)).toBe(true);
    expect(entry).toMatchObject({ pipeline: 'llm', status: 'completed', latencyMs: 1500 });
    expect(entry.orchestrator).toMatchObject({ id: listingId, model: 'dragonfly/sim-chat' }); // market
    expect(entry.orchestrator.seller.name).toBe('Acme Seller'); // accounts
  });

  /** Lets jobs published by earlier tests land before counting. */
  async function waitForQuietFeed() {
    await new Promise((r) => setTimeout(r, 300));
  }

  it('counts served jobs per listing once each (a redelivered event is ignored)', async () => {
    await waitForQuietFeed();
    const before = (await graphql(stack.url, DashboardDocument, {}, token)).data!.me.listings[0].servedJobs;
    const event = job({ listingId });
    await stack.bus.publish('job.finished', event);
    await stack.bus.publish('job.finished', event);
    await stack.bus.publish('job.finished', job({ listingId }));
    const count = await waitUntil(async () => {
      const result = await graphql(stack.url, DashboardDocument, {}, token);
      const served = result.data?.me.listings[0].servedJobs;
      return served && served >= before + 2 ? served : null;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect((await graphql(stack.url, DashboardDocument, {}, token)).data!.me.listings[0].servedJobs).toBe(before + 2);
    expect(count).toBe(before + 2);
    const feed = await graphql(stack.url, JobFeedDocument, { limit: 10 });
    expect(feed.data!.jobFeed.map((j) => j.id)).toContain(event.id);
    const tooMany = await graphql(stack.url, JobFeedDocument, { limit: 1000 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('closes the WebSocket with 4403 when connection_init carries a bad credential', async () => {
    const client = wsClient(stack.url, 'not-a-token');
    const closed = new Promise<number>((resolve) => client.on('closed', (event: any) => resolve(event.code)));
    const sink = client.iterate({ query: print(LiveJobFeedDocument), variables: {} });
    sink.next().catch(() => {});
    expect(await closed).toBe(4403);
    await client.dispose();
  });

  it('keeps a signup under REST input validation: 400s with a useful message', async () => {
    const cases: [unknown, string | null][] = [
      [{ email: 'not-an-email', password: 'long enough' }, 'email'],
      [{ email: 'x@example.com', password: 'short' }, 'password'],
      [{ email: 42, password: 'long enough' }, null],
      [{ password: 'long enough' }, null],
      [['an', 'array'], null],
    ];
    for (const [body, field] of cases) {
      const response = await rest(stack.url, 'POST', '/api/auth/signup', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.message.length).toBeGreaterThan(5);
      if (field) expect(response.body.error.message).toContain(field);
    }
    const malformed = await rest(stack.url, 'POST', '/api/auth/signup', { rawBody: '{"email":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BAD_REQUEST');
    const huge = await rest(stack.url, 'POST', '/api/auth/signup', {
      rawBody: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
