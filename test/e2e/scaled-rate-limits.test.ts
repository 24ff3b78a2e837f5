// Rate limits hold across gateway replicas: two gateway processes take a key's requests per
// minute and requests in flight, and a listing's cap, from one set of Redis counters (the same Lua
// script as the budgets), so 200 concurrent requests spread over both let exactly the limit through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../gateway/simulator/server';
import { insideOneMinuteWindow, rest } from '../helpers/graphql';
import { startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';

if (!HAVE_SCALED_SERVICES) logSkip('rate limits across two gateway processes on Redis');

type Answer = Awaited<ReturnType<typeof rest>>;

describe.skipIf(!HAVE_SCALED_SERVICES)('scaled: rate limits across two gateway replicas (PostgreSQL, Redis)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-scaled-rl', 'sk-sim-scaled-slow', 'sk-sim-scaled-capped'] });
    stack = await startScaledStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', LISTING_COOLDOWN_MS: '0' }, 2);
    const seller = await signup(stack.url, 'seller');
    const list = async (apiKey: string, model: string, caps?: Record<string, number>) =>
      admittedListing(stack.url, seller.jwt, {
        poolKeyId: await poolKey(stack.url, seller.jwt, apiKey),
        model,
        upstreamModel: 'sim-chat',
        capability: 'CHAT',
        inputPricePerMTok: '1',
        outputPricePerMTok: '1',
        ...(caps ? { caps } : {}),
      });
    await list('sk-sim-scaled-rl', 'acme/scaled-rl-chat');
    await list('sk-sim-scaled-slow', 'acme/scaled-slow-chat');
    await list('sk-sim-scaled-capped', 'acme/scaled-capped-chat', { rpm: 9 });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const chat = (i: number, key: string, model: string) =>
    rest(stack.gatewayUrls[i % 2], 'POST', '/v1/chat/completions', {
      token: key,
      body: { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
    });
  const burst = (n: number, send: (i: number) => Promise<Answer>) => Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  const statuses = (answers: Answer[]) =>
    answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});

  it("lets exactly a key's rpm of 200 concurrent requests through, over both replicas", async () => {
    expect(stack.gatewayUrls).toHaveLength(2);
    const buyer = await fundedBuyer(stack.url, '5', { rpmLimit: 30 });
    await insideOneMinuteWindow(20_000);
    const answers = await burst(200, (i) => chat(i, buyer.key, 'acme/scaled-rl-chat'));
    expect(statuses(answers)).toEqual({ 200: 30, 429: 170 });
    // Each replica had 100 of them: counted apart, each would have let 30 through.
    expect(answers.filter((a, i) => i % 2 === 1 && a.status === 429).length).toBeGreaterThan(0);
    expect(answers.filter((a, i) => i % 2 === 0 && a.status === 429).length).toBeGreaterThan(0);
    for (const refused of answers.filter((a) => a.status === 429)) {
      const retry = Number(refused.headers.get('retry-after'));
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
      expect(refused.body.error.metadata).toEqual({ limit_scope: 'key', limit: 'rpm', limit_value: 30 });
    }
  }, 60_000);

  it('holds exactly maxParallelRequests of 200 concurrent requests in flight over both replicas, and gives the slots back', async () => {
    const buyer = await fundedBuyer(stack.url, '5', { maxParallelRequests: 6 });
    sim.setKeyFaults('sk-sim-scaled-slow', { latencyMs: 8_000 });
    try {
      const answers = await burst(200, (i) => chat(i, buyer.key, 'acme/scaled-slow-chat'));
      expect(statuses(answers)).toEqual({ 200: 6, 429: 194 });
      expect(answers.find((a) => a.status === 429)!.body.error.metadata).toEqual({ limit_scope: 'key', limit: 'parallel', limit_value: 6 });
    } finally {
      sim.setKeyFaults('sk-sim-scaled-slow', null);
    }
    expect(statuses(await burst(6, (i) => chat(i, buyer.key, 'acme/scaled-slow-chat')))).toEqual({ 200: 6 });
  }, 60_000);

  it("shares a listing's rpm between the replicas: 9 served, the rest 503 with retry-after", async () => {
    const buyer = await fundedBuyer(stack.url, '5');
    await insideOneMinuteWindow(20_000);
    const answers = await burst(40, (i) => chat(i, buyer.key, 'acme/scaled-capped-chat'));
    expect(statuses(answers)).toEqual({ 200: 9, 503: 31 });
    const refused = answers.find((a) => a.status === 503)!;
    expect(refused.body.error.message).toContain('capacity');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
