// The network overview's facts that other subgraphs own, through federation: GPU figures from the
// hardware sellers declare on listings (market) and the listings busy in the window (network),
// each orchestrator's declared GPUs (market), and the sellers' reserve held as totalStakedLPT
// (billing). Known supply and traffic, exact figures, over REST and GraphQL; embedded (the gateway
// calls the subgraphs in process) and scaled (HTTP between five processes) when available.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { MarketSetListingPausedDocument } from '../../schema/generated/graphql';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { splitPrice } from '../../subgraphs/billing/settings';
import { signup } from '../helpers/credentials';
import { graphql, rest } from '../helpers/graphql';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { asService } from '../helpers/service';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { startEmbeddedStack, startScaledStack, type TestStack } from '../helpers/stack';
import { waitUntil } from '../helpers/eventually';

const HOUR = 3_600_000;
const SPLIT = { sellerShareBps: 7000, reserveBps: 2000 };
/** Earnings cool at once and the settlement job runs often: a request's reserve is held within moments. */
const OVERRIDES = { CONTRACT_CHECK_INTERVAL_MS: '0', EARNINGS_COOLDOWN_MS: '0', SETTLEMENT_INTERVAL_MS: '200' };

function job(
  overrides: Partial<JobFinishedEvent> & Pick<JobFinishedEvent, 'listingId' | 'model'>,
  startedAt = Date.now() - 2000,
): JobFinishedEvent {
  return {
    id: `req_${randomUUID()}`,
    pipeline: 'llm',
    status: 'completed',
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(startedAt + 1000).toISOString(),
    latencyMs: 1000,
    ...overrides,
  };
}

const modes: [string, (overrides: Record<string, string>) => Promise<TestStack>][] = [
  ['embedded (in process)', (o) => startEmbeddedStack(o)],
];
if (HAVE_SCALED_SERVICES) modes.push(['scaled (HTTP between processes)', (o) => startScaledStack(o)]);
else logSkip('network capacity suite in scaled mode');

describe.each(modes)('network overview: declared GPUs, busy listings, reserve held — %s', (_name, start) => {
  let sim: Simulator;
  let stack: TestStack;
  let seller: { accountId: string; jwt: string };
  /** 8×H100 (llm), 4×A100 (embeddings), nothing declared (llm), 2×L4 paused (llm). */
  const L: Record<'h100' | 'a100' | 'none' | 'paused', string> = { h100: '', a100: '', none: '', paused: '' };
  let expectedReserveMicros = 0;

  beforeAll(async () => {
    sim = await startSimulator();
    stack = await start({ SIMULATOR_URL: sim.url, ...OVERRIDES });
    seller = await signup(stack.url, 'gpu-seller');
    const key = await poolKey(stack.url, seller.jwt, `sk-sim-gpu-${randomUUID().slice(0, 8)}-0123456789`);
    const chat = { poolKeyId: key, upstreamModel: 'sim-chat', inputPricePerMTok: '100', outputPricePerMTok: '200' };
    [L.h100, L.a100, L.none, L.paused] = await Promise.all([
      admittedListing(stack.url, seller.jwt, { ...chat, model: 'gpu/chat-h100', hardware: { gpuModel: 'H100', gpuCount: 8 } }),
      admittedListing(stack.url, seller.jwt, {
        poolKeyId: key,
        model: 'gpu/embed-a100',
        upstreamModel: 'sim-embed',
        capability: 'EMBEDDINGS',
        inputPricePerMTok: '1',
        hardware: { gpuModel: 'A100', gpuCount: 4 },
      }),
      admittedListing(stack.url, seller.jwt, { ...chat, model: 'gpu/chat-plain' }),
      admittedListing(stack.url, seller.jwt, { ...chat, model: 'gpu/chat-paused', hardware: { gpuModel: 'L4', gpuCount: 2 } }),
    ]);
    const paused = await graphql(stack.url, MarketSetListingPausedDocument, { id: L.paused, paused: true }, seller.jwt);
    expect(paused.data?.setListingPaused.paused, JSON.stringify(paused.errors)).toBe(true);

    // Traffic: one real request on the H100 listing (metered: the seller's reserve), jobs on the
    // listing without hardware and on the paused one (it served before its pause), and one on the
    // A100 listing three hours ago (busy in a 24-hour window, not in a 1-hour one).
    await stack.bus.publish('job.finished', job({ listingId: L.none, model: 'gpu/chat-plain' }));
    await stack.bus.publish('job.finished', job({ listingId: L.paused, model: 'gpu/chat-paused' }));
    await stack.bus.publish(
      'job.finished',
      job({ listingId: L.a100, model: 'gpu/embed-a100', pipeline: 'embeddings' }, Date.now() - 3 * HOUR),
    );
    const buyer = await fundedBuyer(stack.url, '10');
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.key}` },
      body: JSON.stringify({ model: 'gpu/chat-h100', messages: [{ role: 'user', content: 'Count the GPUs.' }], max_tokens: 16 }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const requestId = response.headers.get('x-request-id')!;
    const record = await waitUntil(
      async () => {
        const generation = await fetch(`${stack.url}/v1/generation?id=${requestId}`, { headers: { authorization: `Bearer ${buyer.key}` } });
        return generation.status === 200 ? ((await generation.json()) as { data: { cost: { micros: number } } }).data : null;
      },
      'the request is metered',
      { timeoutMs: 15_000 },
    );
    expect(record.cost.micros).toBeGreaterThan(0);
    expectedReserveMicros = splitPrice(record.cost.micros, SPLIT).reserveMicros;
    if (stack.mode === 'embedded') {
      // And a known amount: 1,000,001 micros → the seller's 700,000 → 140,000 held in reserve.
      const usage = {
        requestId: `req_${randomUUID()}`,
        keyId: buyer.keyId,
        buyerId: buyer.accountId,
        listingId: L.a100,
        sellerId: seller.accountId,
        model: 'gpu/embed-a100',
        capability: 'embeddings',
        inputTokens: 10,
        outputTokens: 0,
        characters: 0,
        costMicros: 1_000_001,
        latencyMs: 5,
        status: 'completed',
        occurredAt: new Date().toISOString(),
      };
      const applied = await asService(
        stack,
        'billing',
        'mutation ($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied } }',
        { events: [usage] },
      );
      expect(applied.data?.applyUsage.applied, JSON.stringify(applied.errors)).toBe(1);
      expectedReserveMicros += 140_000;
    }
    // Network has recorded all four jobs; billing's settlement has moved the reserve.
    await waitUntil(
      async () => (await rest(stack.url, 'GET', '/api/v1/dashboard/orchestrators?period=24h&refresh=1')).body?.length === 4,
      'four orchestrators',
      { timeoutMs: 15_000 },
    );
    await waitUntil(
      async () =>
        (await graphql<any, unknown>(stack.url, '{ protocol { reserveHeld { micros } } }')).data?.protocol.reserveHeld.micros ===
        expectedReserveMicros,
      'the reserve is held',
      { timeoutMs: 15_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const declared = {
    totalGPUs: 12, // 8 + 4 + 0; the paused listing's 2 are not admitted supply
    models: [
      { model: 'H100', count: 8 },
      { model: 'A100', count: 4 },
    ],
    pipelineGPUs: [
      { name: 'llm', gpus: 8, models: [{ model: 'gpu/chat-h100', gpus: 8 }] },
      { name: 'embeddings', gpus: 4, models: [{ model: 'gpu/embed-a100', gpus: 4 }] },
    ],
  };

  it('GET /api/v1/dashboard/gpu-capacity: declared GPUs, busy ones in the window, the share available', async () => {
    const day = await rest(stack.url, 'GET', '/api/v1/dashboard/gpu-capacity?timeframe=24&refresh=1');
    expect(day.status).toBe(200);
    expect(day.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    // Busy in 24 hours: H100 (8) and A100 (4); the listing without hardware adds 0, the paused one is not admitted.
    expect(day.body).toEqual({ activeGPUs: 12, availableCapacity: 0, ...declared });
    expect(Object.keys(day.body)).toEqual(['totalGPUs', 'activeGPUs', 'availableCapacity', 'models', 'pipelineGPUs']);
    // The last hour: only the H100 listing served; 4 of 12 GPUs are free.
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/gpu-capacity?timeframe=1&refresh=1')).body).toEqual({
      activeGPUs: 8,
      availableCapacity: 33.3,
      ...declared,
    });
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/gpu-capacity?refresh=1')).body).toEqual(day.body);
  });

  it('GET /api/v1/dashboard/orchestrators: each listing its declared GPUs', async () => {
    const rows: { address: string; gpuCount: number; knownSessions: number }[] = (
      await rest(stack.url, 'GET', '/api/v1/dashboard/orchestrators?period=24h&refresh=1')
    ).body;
    const gpus = Object.fromEntries(rows.map((row) => [row.address, row.gpuCount]));
    expect(gpus).toEqual({ [L.h100]: 8, [L.a100]: 4, [L.none]: 0, [L.paused]: 2 });
    expect(rows.every((row) => row.knownSessions === 1)).toBe(true);
    // The last hour: the A100 job is older.
    const hour: { address: string }[] = (await rest(stack.url, 'GET', '/api/v1/dashboard/orchestrators?period=1h&refresh=1')).body;
    expect(hour.map((row) => row.address).sort()).toEqual([L.h100, L.none, L.paused].sort());
  });

  it("GET /api/v1/dashboard/protocol: totalStakedLPT is the sellers' reserve held, in USD", async () => {
    const protocol = await rest(stack.url, 'GET', '/api/v1/dashboard/protocol?refresh=1');
    expect(protocol.status).toBe(200);
    expect(protocol.body).toEqual({
      currentRound: expect.any(Number),
      blockProgress: expect.any(Number),
      totalBlocks: 1440,
      totalStakedLPT: expectedReserveMicros / 1e6,
    });
    expect(Object.keys(protocol.body)).toEqual(['currentRound', 'blockProgress', 'totalBlocks', 'totalStakedLPT']);
    expect(protocol.body.totalStakedLPT).toBeGreaterThan(0);
  });

  it('the same through GraphQL, with NaaP type names; busyListingIds stays inside the graph', async () => {
    const response = await graphql<any, unknown>(
      stack.url,
      `{ day: gpuCapacity(timeframe: "24") { __typename timeframeHours totalGPUs activeGPUs availableCapacity models { __typename model count } pipelineGPUs { __typename name gpus models { __typename model gpus } } }
         hour: gpuCapacity(timeframe: "1h") { timeframeHours totalGPUs activeGPUs availableCapacity }
         orchestrators(period: "24h") { __typename address gpuCount listing { id hardware { gpuModel gpuCount } } }
         protocol { __typename currentRound totalStakedLPT reserveHeld { micros usd } } }`,
    );
    expect(response.errors).toBeUndefined();
    const data = response.data;
    expect(data.day).toMatchObject({ __typename: 'GPUCapacity', timeframeHours: 24, totalGPUs: 12, activeGPUs: 12, availableCapacity: 0 });
    expect(data.day.models[0]).toEqual({ __typename: 'GPUModelCapacity', model: 'H100', count: 8 });
    expect(data.day.pipelineGPUs[0]).toEqual({
      __typename: 'GPUCapacityPipeline',
      name: 'llm',
      gpus: 8,
      models: [{ __typename: 'GPUCapacityPipelineModel', model: 'gpu/chat-h100', gpus: 8 }],
    });
    expect(data.hour).toEqual({ timeframeHours: 1, totalGPUs: 12, activeGPUs: 8, availableCapacity: 33.3 });
    const row = data.orchestrators.find((r: { address: string }) => r.address === L.h100);
    expect(row).toEqual({
      __typename: 'OrchestratorRow',
      address: L.h100,
      gpuCount: 8,
      listing: { id: L.h100, hardware: { gpuModel: 'H100', gpuCount: 8 } },
    });
    expect(data.protocol).toMatchObject({
      __typename: 'Protocol',
      totalStakedLPT: expectedReserveMicros / 1e6,
      reserveHeld: { micros: expectedReserveMicros },
    });
    expect(data.protocol.reserveHeld.usd).toBe((expectedReserveMicros / 1e6).toFixed(6));

    const hidden = await graphql<any, unknown>(stack.url, '{ gpuCapacity { busyListingIds } }');
    expect(hidden.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a listing paused or given hardware changes the figures at once (no copy to go stale)', async () => {
    const resumed = await graphql(stack.url, MarketSetListingPausedDocument, { id: L.paused, paused: false }, seller.jwt);
    expect(resumed.errors).toBeUndefined();
    const body = (await rest(stack.url, 'GET', '/api/v1/dashboard/gpu-capacity?timeframe=24&refresh=1')).body;
    // 14 declared, all busy in 24 hours (the resumed L4 listing served earlier).
    expect(body).toMatchObject({
      totalGPUs: 14,
      activeGPUs: 14,
      availableCapacity: 0,
      models: [
        { model: 'H100', count: 8 },
        { model: 'A100', count: 4 },
        { model: 'L4', count: 2 },
      ],
    });
    expect(body.pipelineGPUs[0]).toEqual({
      name: 'llm',
      gpus: 10,
      models: [
        { model: 'gpu/chat-h100', gpus: 8 },
        { model: 'gpu/chat-paused', gpus: 2 },
      ],
    });
  });
});
