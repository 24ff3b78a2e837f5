// Faults and money on the data plane, with the simulator's fault knobs: fallback before the first
// byte (500, 429, timeout, reset), a clean error after it, failed requests never charged, a retried
// request charged once, budgets holding under 200 concurrent requests, and usage surviving a
// billing outage. Keys changed take effect on the very next request.
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import {
  AccountSetKeyEnabledDocument,
  BillingGenerationDocument,
  BillingOverviewDocument,
  FixtureCreateRoutingProfileDocument,
} from '../../schema/generated/graphql';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { expectLedgerBalanced } from '../helpers/ledger';

describe('data plane faults and money', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let cheap: string; // listing on sk-flaky: routed first (cheaper)
  let dear: string; // listing on sk-good: the fallback
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-flaky', 'sk-sim-good2', 'sk-sim-budget', 'sk-sim-solo'] });
    stack = await startEmbeddedStack({
      SIMULATOR_URL: sim.url,
      CONTRACT_CHECK_INTERVAL_MS: '0',
      LISTING_COOLDOWN_MS: '0',
      MANAGEMENT_RATE_LIMIT_PER_MINUTE: '100000',
    });
    const seller = await signup(stack.url, 'seller');
    const flaky = await poolKey(stack.url, seller.jwt, 'sk-sim-flaky');
    const good = await poolKey(stack.url, seller.jwt, 'sk-sim-good2');
    cheap = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: flaky,
      model: 'acme/fault-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    dear = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: good,
      model: 'acme/fault-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '2',
      outputPricePerMTok: '2',
    });
    const budgetKey = await poolKey(stack.url, seller.jwt, 'sk-sim-budget');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: budgetKey,
      model: 'acme/budget-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0',
      outputPricePerMTok: '1',
    });
    const soloKey = await poolKey(stack.url, seller.jwt, 'sk-sim-solo');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: soloKey,
      model: 'acme/solo-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
      caps: { maxConcurrency: 1 },
    });
    buyer = await fundedBuyer(stack.url, '50');
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  afterEach(async () => {
    sim.setKeyFaults('sk-sim-flaky', null);
    sim.setKeyFaults('sk-sim-good2', null);
    await expectLedgerBalanced(stack);
  });

  const ask = (c = client, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
    c.chat.completions
      .create({ model: 'acme/fault-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, ...extra })
      .withResponse();

  async function servedBy(requestId: string, jwt = buyer.jwt): Promise<{ listingId: string | null; cost: number; status: string }> {
    for (let i = 0; i < 100; i++) {
      const result = await graphql(
        stack.url,
        `query ($id: ID!) { generation(id: $id) { listingId status cost { micros } } }`,
        { id: requestId },
        jwt,
      );
      const g = (result.data as { generation?: { listingId: string | null; status: string; cost: { micros: number } } } | null)?.generation;
      if (g) return { listingId: g.listingId, cost: g.cost.micros, status: g.status };
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error(`no record for ${requestId}`);
  }

  it('routes to the cheaper listing while it is healthy', async () => {
    sim.setKeyFaults('sk-sim-flaky', null);
    const jobs: JobFinishedEvent[] = [];
    const unsubscribe = stack.bus.subscribe('job.finished', (job) => jobs.push(job));
    const { response } = await ask();
    expect((await servedBy(response.headers.get('x-request-id')!)).listingId).toBe(cheap);
    unsubscribe();
    const job = jobs.find((j) => j.id === response.headers.get('x-request-id'));
    expect(job).toMatchObject({ listingId: cheap });
    expect(job!.swappedFrom).toBeUndefined();
  });

  it.each([
    ['a 500', { status: 500 }],
    ['a 429 with Retry-After', { status: 429, retryAfter: 2 }],
    ['a reset before the first byte', { cutAfter: 0 }],
  ])('falls back on %s and charges the serving listing once', async (_name, faults) => {
    sim.setKeyFaults('sk-sim-flaky', faults);
    const jobs: JobFinishedEvent[] = [];
    const unsubscribe = stack.bus.subscribe('job.finished', (job) => jobs.push(job));
    const { data, response } = await ask();
    expect(data.choices[0].message.content!.length).toBeGreaterThan(0);
    const requestId = response.headers.get('x-request-id')!;
    const record = await servedBy(requestId);
    expect(record.listingId).toBe(dear);
    // The job event names the listing it moved away from (the network's noSwapRatio).
    unsubscribe();
    expect(jobs.find((job) => job.id === requestId)).toMatchObject({ listingId: dear, status: 'completed', swappedFrom: [cheap] });
    const expected = Math.ceil((data.usage!.prompt_tokens * 2_000_000 + data.usage!.completion_tokens * 2_000_000) / 1_000_000);
    expect(record.cost).toBe(expected);
    sim.setKeyFaults('sk-sim-flaky', null);
  });

  it('falls back on a timeout (the routing profile allows 1 s)', async () => {
    const owner = await fundedBuyer(stack.url, '1');
    const profile = await graphql(
      stack.url,
      FixtureCreateRoutingProfileDocument,
      { input: { name: 'impatient', timeoutMs: 1000 } },
      owner.jwt,
    );
    expect(profile.errors).toBeUndefined();
    const keyed = await graphql(
      stack.url,
      `mutation ($id: ID!, $p: ID!) { updateApiKey(id: $id, input: { routingProfileId: $p }) { id } }`,
      { id: owner.keyId, p: profile.data!.createRoutingProfile.id },
      owner.jwt,
    );
    expect(keyed.errors).toBeUndefined();
    sim.setKeyFaults('sk-sim-flaky', { latencyMs: 4000 });
    const impatient = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: owner.key, maxRetries: 0 });
    const started = Date.now();
    const { response } = await ask(impatient);
    expect(Date.now() - started).toBeLessThan(3500);
    expect((await servedBy(response.headers.get('x-request-id')!, owner.jwt)).listingId).toBe(dear);
    sim.setKeyFaults('sk-sim-flaky', null);
  });

  it('ends a stream broken after the first byte with an error event, and charges nothing', async () => {
    // Live failures reported by earlier tests may have degraded the cheap listing (ranked last then): break both.
    sim.setKeyFaults('sk-sim-flaky', { cutAfter: 3 });
    sim.setKeyFaults('sk-sim-good2', { cutAfter: 3 });
    const before = (await graphql(stack.url, BillingOverviewDocument, {}, buyer.jwt)).data!.me.balance!.micros;
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'acme/fault-chat', messages: [{ role: 'user', content: 'stream' }], max_tokens: 20, stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"content"');
    expect(text).toContain('"type":"api_error"');
    expect(text).not.toContain('[DONE]');
    const record = await servedBy(response.headers.get('x-request-id')!);
    expect(record).toMatchObject({ status: 'failed', cost: 0 });
    expect([cheap, dear]).toContain(record.listingId);
    await new Promise((r) => setTimeout(r, 100));
    expect((await graphql(stack.url, BillingOverviewDocument, {}, buyer.jwt)).data!.me.balance!.micros).toBe(before);
    sim.setKeyFaults('sk-sim-flaky', null);
  });

  it('answers 502 when every listing fails, and charges nothing', async () => {
    sim.setKeyFaults('sk-sim-flaky', { status: 500 });
    sim.setKeyFaults('sk-sim-good2', { status: 503 });
    const failed = await ask().catch((e) => e);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failed.status).toBe(502);
    const record = await servedBy(failed.headers.get('x-request-id') ?? failed.request_id ?? '');
    expect(record).toMatchObject({ status: 'failed', cost: 0 });
    sim.setKeyFaults('sk-sim-flaky', null);
    sim.setKeyFaults('sk-sim-good2', null);
  });

  it('answers 503 when the only listing is at its concurrency cap, and charges nothing for it', async () => {
    sim.setKeyFaults('sk-sim-solo', { latencyMs: 1500 });
    const slow = ask(client, { model: 'acme/solo-chat' });
    await new Promise((r) => setTimeout(r, 300));
    const busy = await ask(client, { model: 'acme/solo-chat' }).catch((e) => e);
    expect(busy).toBeInstanceOf(OpenAI.APIError);
    expect(busy.status).toBe(503);
    expect(busy.error).toMatchObject({ type: 'api_error', code: 'service_unavailable' });
    await expect(slow).resolves.toBeDefined();
    sim.setKeyFaults('sk-sim-solo', null);
  });

  it('lets at most 10 of 200 concurrent requests through on a key whose limit covers 10', async () => {
    // $1 per million output tokens, 1000 tokens each: exactly 1000 micro-USD per request, worst case and actual.
    const limited = await fundedBuyer(stack.url, '5', { limit: '0.01', cycle: 'DAILY' });
    const c = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: limited.key, maxRetries: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () =>
        c.chat.completions.create({ model: 'acme/budget-chat', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000 }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 402);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThanOrEqual(10);
    expect(ok.length + refused.length).toBe(200);
    let spent = 0;
    for (let i = 0; i < 100; i++) {
      const overview = await graphql(stack.url, `{ usage { requests cost { micros } } }`, {}, limited.jwt);
      const usage = (overview.data as { usage: { requests: number; cost: { micros: number } } }).usage;
      spent = usage.cost.micros;
      if (usage.requests >= ok.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(spent).toBeLessThanOrEqual(10_000);
    expect(spent).toBe(ok.length * 1000);
  });

  it('refuses a disabled key on its very next request, and accepts it again when enabled', async () => {
    const owner = await fundedBuyer(stack.url, '1');
    const c = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: owner.key, maxRetries: 0 });
    await ask(c);
    await graphql(stack.url, AccountSetKeyEnabledDocument, { id: owner.keyId, enabled: false }, owner.jwt);
    await expect(ask(c)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await graphql(stack.url, AccountSetKeyEnabledDocument, { id: owner.keyId, enabled: true }, owner.jwt);
    await expect(ask(c)).resolves.toBeDefined();
  });

  it('applies every usage event exactly once after billing was down for 30 s under traffic', async () => {
    const billing = stack.platform!.runtimes.find((r) => r.name === 'billing')!;
    const original = billing.execute.bind(billing);
    let down = true;
    billing.execute = async (request, headers) => {
      if (down && String(request.query).includes('applyUsage')) throw new Error('billing is down');
      return original(request, headers);
    };
    const customer = await fundedBuyer(stack.url, '5');
    const c = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: customer.key, maxRetries: 0 });
    const ids: string[] = [];
    let charged = 0;
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const { data, response } = await ask(c, { model: 'acme/budget-chat', max_tokens: 10 });
      ids.push(response.headers.get('x-request-id')!);
      charged += Math.round((data.usage as unknown as { cost_usd: number }).cost_usd * 1_000_000);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(stack.platform!.gateway.usagePending()).toBeGreaterThanOrEqual(ids.length);
    down = false;
    for (let i = 0; i < 200 && stack.platform!.gateway.usagePending() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(stack.platform!.gateway.usagePending()).toBe(0);
    billing.execute = original;
    const usage = await graphql(stack.url, `{ usage { requests cost { micros } } me { balance { micros } } }`, {}, customer.jwt);
    const figures = usage.data as { usage: { requests: number; cost: { micros: number } }; me: { balance: { micros: number } } };
    expect(figures.usage.requests).toBe(ids.length);
    expect(figures.usage.cost.micros).toBe(charged);
    expect(figures.me.balance.micros).toBe(5_100_000 - charged);
    for (const id of ids.slice(0, 5)) {
      const g = await graphql(stack.url, BillingGenerationDocument, { id }, customer.jwt);
      expect(g.data!.generation.status).toBe('completed');
    }
  }, 60_000);
});
