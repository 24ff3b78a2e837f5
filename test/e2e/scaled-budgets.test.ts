// Budgets hold across gateway replicas: two gateway processes share one Redis budget counter, so
// 200 concurrent requests spread over both on a key whose limit covers 10 let at most 10 through;
// and a top-up while requests are in flight raises the balance ceiling by exactly its amount.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, TEST_REDIS_URL, logSkip } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';

if (!HAVE_SCALED_SERVICES) logSkip('budgets across two gateway processes on Redis');

describe.skipIf(!HAVE_SCALED_SERVICES)('scaled: budgets across two gateway replicas (PostgreSQL, Redis)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-scaled', 'sk-sim-topup'] });
    stack = await startScaledStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' }, 2);
    const seller = await signup(stack.url, 'seller');
    const key = await poolKey(stack.url, seller.jwt, 'sk-sim-scaled');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'acme/budget-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0',
      outputPricePerMTok: '1',
    });
    // 100 output tokens at $250/M: every request reserves, and costs, exactly $0.025.
    const topUpKey = await poolKey(stack.url, seller.jwt, 'sk-sim-topup');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: topUpKey,
      model: 'acme/topup-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0',
      outputPricePerMTok: '250',
    });
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
      Array.from({ length: 200 }, (_, i) =>
        clients[i % 2].chat.completions.create({ model: 'acme/budget-chat', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000 }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 402).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(10);
    expect(ok + refused).toBe(200);
    let spent = -1;
    for (let i = 0; i < 100; i++) {
      const usage = (await graphql(stack.url, `{ usage { requests cost { micros } } }`, {}, buyer.jwt)).data as
        | { usage: { requests: number; cost: { micros: number } } }
        | undefined;
      spent = usage?.usage.cost.micros ?? -1;
      if (usage && usage.usage.requests >= ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(spent).toBe(ok * 1000);
    expect(spent).toBeLessThanOrEqual(10_000);
  });

  it('a top-up mid-flight raises the ceiling by its amount: spend never exceeds the balance plus the top-up, and the balance stays at or above zero', async () => {
    const buyer = await fundedBuyer(stack.url, '0'); // the $0.10 trial credit only
    const balance = async () => (await rest(stack.url, 'GET', '/api/billing/balance', { token: buyer.jwt })).body.balanceMicros as number;
    await eventually(async () => expect(await balance()).toBe(100_000));
    const redis = new Redis(TEST_REDIS_URL!);
    const counter = `${stack.config.busNamespace}:budget:balance:${buyer.accountId}`;
    const clients = stack.gatewayUrls.map((url) => new OpenAI({ baseURL: `${url}/v1`, apiKey: buyer.key, maxRetries: 0 }));
    const wave = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        clients[i % 2].chat.completions.create({ model: 'acme/topup-chat', messages: [{ role: 'user', content: 'x' }], max_tokens: 100 }),
      );
    const status = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? 200 : (r.reason as { status?: number }).status);
    try {
      // The provider holds each answer, so the granted requests keep their reservations while the top-up lands.
      sim.setKeyFaults('sk-sim-topup', { latencyMs: 4_000 });
      const refusedFirst: number[] = [];
      const first = wave(12).map((p) => p.catch((error: { status?: number }) => void refusedFirst.push(error.status ?? 0)));
      // $0.10 holds 4 of $0.025 across both replicas; the other 8 are refused at once (402, insufficient balance).
      await eventually(() => expect(refusedFirst).toEqual(Array(8).fill(402)));
      expect(Number(await redis.hget(counter, 'limit'))).toBe(100_000);

      const topUp = await rest(stack.url, 'POST', '/api/billing/topups', { token: buyer.jwt, body: { amount: '0.05' } });
      expect(topUp.status).toBe(201);
      // One replica applies it (once); the held reservations (or, if answered already, their spend) stay counted.
      await eventually(async () => expect(Number(await redis.hget(counter, 'limit'))).toBe(150_000));
      const [spent, reserved] = (await redis.hmget(counter, 'spent', 'reserved')).map(Number);
      expect(spent + reserved).toBe(100_000);

      sim.setKeyFaults('sk-sim-topup', null);
      const second = await Promise.allSettled(wave(12));
      await Promise.all(first);
      const ok = 12 - refusedFirst.length + second.filter((r) => r.status === 'fulfilled').length;
      expect(second.map(status).filter((s) => s !== 200)).toEqual(Array(10).fill(402));
      // $0.10 + $0.05 = 6 requests of $0.025, not one more.
      expect(ok).toBe(6);

      const usage = await eventually(async () => {
        const u = (
          (await graphql(stack.url, `{ usage { requests cost { micros } } }`, {}, buyer.jwt)).data as {
            usage: { requests: number; cost: { micros: number } };
          }
        ).usage;
        expect(u.requests).toBe(ok);
        return u;
      });
      expect(usage.cost.micros).toBe(ok * 25_000);
      expect(usage.cost.micros).toBeLessThanOrEqual(100_000 + 50_000);
      await eventually(async () => expect(await balance()).toBe(150_000 - usage.cost.micros));
      expect(await balance()).toBeGreaterThanOrEqual(0);
    } finally {
      sim.setKeyFaults('sk-sim-topup', null);
      await redis.quit();
    }
  }, 60_000);
});
