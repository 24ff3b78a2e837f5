// Budgets hold across gateway replicas: two gateway processes share one Redis budget counter, so
// 200 concurrent requests spread over both on a key whose limit covers 10 let at most 10 through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';

if (!HAVE_SCALED_SERVICES) logSkip('budgets across two gateway processes on Redis');

describe.skipIf(!HAVE_SCALED_SERVICES)('scaled: budgets across two gateway replicas (PostgreSQL, Redis)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-scaled'] });
    stack = await startScaledStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' }, 2);
    const seller = await signup(stack.url, 'seller');
    const key = await poolKey(stack.url, seller.jwt, 'sk-sim-scaled');
    await admittedListing(stack.url, seller.jwt, { poolKeyId: key, model: 'acme/budget-chat', upstreamModel: 'sim-chat', capability: 'CHAT', inputPricePerMTok: '0', outputPricePerMTok: '1' });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  it('lets at most 10 of 200 concurrent requests through, and spend never exceeds the limit', async () => {
    expect(stack.gatewayUrls).toHaveLength(2);
    const buyer = await fundedBuyer(stack.url, '5', { limit: '0.01', cycle: 'DAILY' });
    const clients = stack.gatewayUrls.map((url) => new OpenAI({ baseURL: `${url}/v1`, apiKey: buyer.key, maxRetries: 0 }));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => clients[i % 2].chat.completions.create({ model: 'acme/budget-chat', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 429).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(10);
    expect(ok + refused).toBe(200);
    let spent = -1;
    for (let i = 0; i < 100; i++) {
      const usage = (await graphql(stack.url, `{ usage { requests cost { micros } } }`, {}, buyer.jwt)).data as { usage: { requests: number; cost: { micros: number } } } | undefined;
      spent = usage?.usage.cost.micros ?? -1;
      if (usage && usage.usage.requests >= ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(spent).toBe(ok * 1000);
    expect(spent).toBeLessThanOrEqual(10_000);
  });
});
