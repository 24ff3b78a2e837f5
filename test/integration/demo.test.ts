// The first-run demo `npm start` prints: a key that calls the demo models, GPU figures on the
// network overview from the demo listings' declared hardware, and a fresh key on each start
// (the previous one revoked, the accounts reused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../gateway/demo';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { waitUntil } from '../helpers/eventually';

describe('the npm start demo', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('prints a key that calls the demo models, and the overview shows the declared GPUs once admitted', async () => {
    const demo = await seedDemo(stack.platform!.gateway, stack.config.dataDir);
    expect(demo.key).toMatch(/^sk-df-[A-Za-z0-9_-]{43}$/);
    expect(demo.models).toEqual(['demo/sim-chat', 'demo/sim-embed', 'demo/sim-tts']);
    // GraphQL (uncached) while the admission probes run; REST once at the end (it caches 15 s).
    const gpuNow = async () =>
      (
        await graphql<{ gpuCapacity: { totalGPUs: number; activeGPUs: number; models: { model: string; count: number }[] } }, unknown>(
          stack.url,
          '{ gpuCapacity(timeframe: "1") { totalGPUs activeGPUs models { model count } } }',
        )
      ).data!.gpuCapacity;
    const gpu = await waitUntil(
      async () => {
        const figures = await gpuNow();
        return figures.totalGPUs === 11 ? figures : null;
      },
      'the demo listings are admitted',
      { timeoutMs: 15_000 },
    );
    expect(gpu).toEqual({
      totalGPUs: 11,
      activeGPUs: 0,
      models: [
        { model: 'H100', count: 8 },
        { model: 'L4', count: 3 },
      ],
    });
    const answer = await rest(stack.url, 'POST', '/v1/chat/completions', {
      token: demo.key,
      body: { model: 'demo/sim-chat', messages: [{ role: 'user', content: 'Hello' }] },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.model).toBe('demo/sim-chat');
    // Served now: the chat listing's 8 GPUs are busy in the last hour.
    await waitUntil(async () => (await gpuNow()).activeGPUs === 8, 'the chat listing is busy', { timeoutMs: 15_000 });
    const viaRest = (await rest(stack.url, 'GET', '/api/v1/dashboard/gpu-capacity?timeframe=1')).body;
    expect(viaRest).toMatchObject({ totalGPUs: 11, activeGPUs: 8, availableCapacity: 27.3 });
  });

  it('replaces the key on the next start: the old one is refused, the new one works', async () => {
    const first = await seedDemo(stack.platform!.gateway, stack.config.dataDir);
    const second = await seedDemo(stack.platform!.gateway, stack.config.dataDir);
    expect(second.key).not.toBe(first.key);
    const ask = (key: string) => rest(stack.url, 'GET', '/v1/models', { token: key });
    expect((await ask(second.key)).status).toBe(200);
    expect((await ask(first.key)).status).toBe(401);
  });
});
