// Routing that respects listings and buyers, end to end through the gateway with the simulator and
// a seeded random source: near-equal sellers share traffic, a denied seller never gets any, a
// pinned one always does while healthy, tools only reach listings that declare them, and the
// weights follow reputation from live traffic (down with injected faults, back after recovery).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { expectLedgerBalanced } from '../helpers/ledger';
import { seededRandom } from '../helpers/random';

const MODEL = 'dragonfly/sim-chat';
const PROFILE = `mutation ($input: CreateRoutingProfileInput!) { createRoutingProfile(input: $input) { id } }`;
const SET_PROFILE = `mutation ($id: ID!, $p: ID!) { updateApiKey(id: $id, input: { routingProfileId: $p }) { id } }`;

describe('per-request routing over live supply', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  const listings: Record<string, string> = {};
  let toolsOnly: string;
  let noTools: string;
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let client: OpenAI;
  const jobs = new Map<string, JobFinishedEvent>();
  let question = 0;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-alpha', 'sk-sim-beta', 'sk-sim-gamma', 'sk-sim-delta-1', 'sk-sim-delta-2'] });
    stack = await startEmbeddedStack(
      {
        SIMULATOR_URL: sim.url,
        CONTRACT_CHECK_INTERVAL_MS: '0',
        LISTING_COOLDOWN_MS: '0',
        MANAGEMENT_RATE_LIMIT_PER_MINUTE: '100000',
        REPUTATION_REFRESH_MS: '3600000',
        CONTRACT_LIVE_FAILURE_BURST: '100000',
      },
      { random: seededRandom(20261204) },
    );
    stack.bus.subscribe('job.finished', (job) => jobs.set(job.id, job));
    // (Contract health is left out of it: a listing's live failures here move its reputation, not its contract.)
    // Three sellers of the canonical model: alpha and beta one micro-dollar apart, gamma 20% dearer.
    for (const [handle, input, output] of [
      ['alpha', '1', '1'],
      ['beta', '1.000001', '1'],
      ['gamma', '1.2', '1.2'],
    ] as const) {
      const seller = await signup(stack.url, `seller-${handle}`);
      const claimed = await graphql(
        stack.url,
        `mutation ($h: String!) { claimSellerHandle(handle: $h) { handle } }`,
        { h: handle },
        seller.jwt,
      );
      expect(claimed.errors).toBeUndefined();
      const key = await poolKey(stack.url, seller.jwt, `sk-sim-${handle}`);
      listings[handle] = await admittedListing(stack.url, seller.jwt, {
        poolKeyId: key,
        model: MODEL,
        upstreamModel: 'sim-chat',
        capability: 'CHAT',
        inputPricePerMTok: input,
        outputPricePerMTok: output,
      });
    }
    // One seller's own model twice: the cheaper listing does not declare tools.
    const delta = await signup(stack.url, 'seller-delta');
    await graphql(stack.url, `mutation { claimSellerHandle(handle: "delta") { handle } }`, {}, delta.jwt);
    noTools = await admittedListing(stack.url, delta.jwt, {
      poolKeyId: await poolKey(stack.url, delta.jwt, 'sk-sim-delta-1'),
      model: 'delta/chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '0.5',
      supportedParameters: [],
    });
    toolsOnly = await admittedListing(stack.url, delta.jwt, {
      poolKeyId: await poolKey(stack.url, delta.jwt, 'sk-sim-delta-2'),
      model: 'delta/chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
      supportedParameters: ['tools', 'tool_choice'],
    });
    buyer = await fundedBuyer(stack.url, '50');
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  /** Who served each of `count` fresh conversations (a new question each: no stickiness between them). */
  async function servedBy(count: number, extra: Record<string, unknown> = {}, c = client): Promise<Map<string, number>> {
    const served = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const { response } = await c.chat.completions
        .create({
          model: MODEL,
          messages: [{ role: 'user', content: `question ${++question}` }],
          max_tokens: 4,
          ...extra,
        } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .withResponse();
      const id = response.headers.get('x-request-id')!;
      const job = jobs.get(id);
      expect(job, `job ${id}`).toBeDefined();
      served.set(job!.listingId!, (served.get(job!.listingId!) ?? 0) + 1);
    }
    return served;
  }

  it('shares traffic between near-equal sellers, and gives the 20% dearer one its 1/price² share', async () => {
    const served = await servedBy(90);
    // Weights 1 : ~1 : 1/1.2² = 0.69 → about 37% / 37% / 26% of 90; each well above zero.
    expect(served.get(listings.alpha)!).toBeGreaterThanOrEqual(20);
    expect(served.get(listings.beta)!).toBeGreaterThanOrEqual(20);
    expect(served.get(listings.gamma)!).toBeGreaterThanOrEqual(8);
    expect(served.get(listings.gamma)!).toBeLessThan(served.get(listings.alpha)! + served.get(listings.beta)!);
    await expectLedgerBalanced(stack);
  });

  it('never sends a denied seller anything (routing profile by handle, and provider.ignore)', async () => {
    const owner = await fundedBuyer(stack.url, '5');
    const profile = await graphql<{ createRoutingProfile: { id: string } }, unknown>(
      stack.url,
      PROFILE,
      { input: { name: 'no-beta', denySupply: ['beta'] } },
      owner.jwt,
    );
    expect(profile.errors).toBeUndefined();
    expect(
      (await graphql(stack.url, SET_PROFILE, { id: owner.keyId, p: profile.data!.createRoutingProfile.id }, owner.jwt)).errors,
    ).toBeUndefined();
    const denied = await servedBy(30, {}, new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: owner.key, maxRetries: 0 }));
    expect(denied.get(listings.beta)).toBeUndefined();
    expect(denied.size).toBe(2);
    const ignored = await servedBy(30, { provider: { ignore: ['alpha', listings.gamma] } });
    expect([...ignored.keys()]).toEqual([listings.beta]);
  });

  it('always sends a pinned seller the traffic while it is healthy, and falls back when it is not', async () => {
    const pinned = await servedBy(20, { provider: { order: ['gamma'] } });
    expect([...pinned.keys()]).toEqual([listings.gamma]);
    // A routing profile's supply order pins the same way.
    const owner = await fundedBuyer(stack.url, '5');
    const profile = await graphql<{ createRoutingProfile: { id: string } }, unknown>(
      stack.url,
      PROFILE,
      { input: { name: 'gamma-first', supplyOrder: [listings.gamma] } },
      owner.jwt,
    );
    expect(profile.errors).toBeUndefined();
    expect(
      (await graphql(stack.url, SET_PROFILE, { id: owner.keyId, p: profile.data!.createRoutingProfile.id }, owner.jwt)).errors,
    ).toBeUndefined();
    const viaProfile = await servedBy(20, {}, new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: owner.key, maxRetries: 0 }));
    expect([...viaProfile.keys()]).toEqual([listings.gamma]);
    sim.setKeyFaults('sk-sim-gamma', { status: 500 });
    try {
      const fallen = await servedBy(5, { provider: { order: ['gamma'] } });
      expect(fallen.get(listings.gamma)).toBeUndefined();
      expect(fallen.size).toBeGreaterThan(0);
      // Only gamma, with no fallbacks: the buyer's own choice fails as it asked.
      const strict = await client.chat.completions
        .create({
          model: MODEL,
          messages: [{ role: 'user', content: 'strict' }],
          max_tokens: 4,
          provider: { order: ['gamma'], allow_fallbacks: false },
        } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e) => e);
      expect(strict.status).toBe(502);
    } finally {
      sim.setKeyFaults('sk-sim-gamma', null);
    }
  });

  it('sends requests with tools only to the listing that declares them, though another is cheaper', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } },
    ];
    const served = new Map<string, number>();
    for (let i = 0; i < 15; i++) {
      const { response } = await client.chat.completions
        .create({ model: 'delta/chat', messages: [{ role: 'user', content: `tool question ${i}` }], tools, max_tokens: 16 })
        .withResponse();
      const job = jobs.get(response.headers.get('x-request-id')!)!;
      served.set(job.listingId!, (served.get(job.listingId!) ?? 0) + 1);
    }
    expect([...served.keys()]).toEqual([toolsOnly]);
    // Without tools the cheaper one serves (it is more than 1.5× cheaper: no draw).
    const { response } = await client.chat.completions
      .create({ model: 'delta/chat', messages: [{ role: 'user', content: 'plain' }], max_tokens: 4 })
      .withResponse();
    expect(jobs.get(response.headers.get('x-request-id')!)!.listingId).toBe(noTools);
    // A model nobody serves with tools: a 404 that names the parameter, and nothing billed.
    sim.setKeyFaults('sk-sim-delta-2', { status: 500 });
    try {
      const required = await client.chat.completions
        .create({
          model: 'delta/chat',
          messages: [{ role: 'user', content: 'x' }],
          tools,
          provider: { only: [noTools] },
        } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e) => e);
      expect(required.status).toBe(404);
      expect(required.error).toMatchObject({ code: 'no_endpoints', param: 'tools' });
    } finally {
      sim.setKeyFaults('sk-sim-delta-2', null);
    }
  });

  it('refuses bad routing preferences with a 400 that names the field, before anything is reserved', async () => {
    for (const [provider, param] of [
      [{ sort: 'cheapest' }, 'provider.sort'],
      [{ order: 'alpha' }, 'provider.order'],
      [{ max_price: { prompt: -1 } }, 'provider.max_price.prompt'],
      [{ speed: 'max' }, 'provider.speed'],
    ] as const) {
      const answer = await rest(stack.url, 'POST', '/v1/chat/completions', {
        token: buyer.key,
        body: { model: MODEL, messages: [{ role: 'user', content: 'x' }], provider },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param });
    }
    const variant = await rest(stack.url, 'POST', '/v1/chat/completions', {
      token: buyer.key,
      body: { model: `${MODEL}:turbo`, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(variant.status).toBe(400);
    expect(variant.body.error.code).toBe('invalid_model_variant');
    // :floor goes to the cheapest every time.
    const floor = await servedBy(10, { model: `${MODEL}:floor` });
    expect([...floor.keys()]).toEqual([listings.alpha]);
  });

  it('keeps a conversation on one listing (x-df-session)', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const answer = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json', 'x-df-session': 'conversation-1' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: `turn ${i}` }], max_tokens: 4 }),
      });
      expect(answer.status).toBe(200);
      served.add(jobs.get(answer.headers.get('x-request-id')!)!.listingId!);
    }
    expect(served.size).toBe(1);
  });

  it('moves weight away from a failing listing and gives it back when it recovers', async () => {
    const table = stack.platform!.gateway.reputation;
    // Alpha fails 40 requests in a row (each falls back to another listing: the buyer is served).
    sim.setKeyFaults('sk-sim-alpha', { status: 500 });
    try {
      await servedBy(40, { provider: { order: ['alpha'] } });
    } finally {
      sim.setKeyFaults('sk-sim-alpha', null);
    }
    await table.refresh();
    const failing = table.weightOf(listings.alpha);
    expect(failing).toBeLessThan(0.5 * table.weightOf(listings.beta));
    const down = await servedBy(60);
    expect(down.get(listings.alpha) ?? 0).toBeLessThan(down.get(listings.beta)! / 2);
    // Healthy again, and it has the traffic to show it (pinned): its weight comes back.
    await servedBy(300, { provider: { order: ['alpha'] } });
    await table.refresh();
    expect(table.weightOf(listings.alpha)).toBeGreaterThan(Math.max(0.6, 2 * failing));
    const up = await servedBy(60);
    expect(up.get(listings.alpha) ?? 0).toBeGreaterThan(down.get(listings.alpha) ?? 0);
    await expectLedgerBalanced(stack);
  });
});
