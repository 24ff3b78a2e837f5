// The NaaP network overview over REST (/api/v1/dashboard/*) and GraphQL: a known synthetic traffic
// pattern injected through the bus, then every figure checked to the unit; defaults, clamps, 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { waitUntil } from '../helpers/eventually';

type Job = JobFinishedEvent & { costMicros?: number };

const L1 = `l1-${randomUUID().slice(0, 8)}`;
const L2 = `l2-${randomUUID().slice(0, 8)}`;
const L3 = `l3-${randomUUID().slice(0, 8)}`;

function job(durationMs: number, overrides: Partial<Job>): Job {
  const finished = Date.now() - 1000;
  return {
    id: `req_${randomUUID()}`,
    pipeline: 'llm',
    model: 'acme/chat',
    status: 'completed',
    startedAt: new Date(finished - durationMs).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    latencyMs: durationMs,
    ...overrides,
  };
}

describe('network overview — REST and GraphQL', () => {
  let stack: TestStack;
  const llm = [
    // Sent to L3 first, which failed it: L3 has a swap away and no session.
    job(60_000, { listingId: L1, outputUnits: 600, costMicros: 3000, swappedFrom: [L3] }),
    job(60_000, { listingId: L1, outputUnits: 600, costMicros: 3000 }),
    job(60_000, { listingId: L1, outputUnits: 600, costMicros: 3000, status: 'failed' }),
  ];
  // L1 failed this one, which moved to L2: L1 kept 3 of the 4 jobs sent to it first.
  const embed = job(30_000, {
    listingId: L2,
    pipeline: 'embeddings',
    model: 'acme/embed',
    outputUnits: 1000,
    costMicros: 500,
    swappedFrom: [L1],
  });

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    for (const event of [...llm, embed]) await stack.bus.publish('job.finished', event);
    await stack.bus.publish('job.finished', llm[0]); // redelivered: counted once
    await waitUntil(async () => (await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed?refresh=1')).body.streams.length === 4);
  }, 20_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('kpi: exact figures for the window, deltas against an empty previous window, hourly series', async () => {
    const response = await rest(stack.url, 'GET', '/api/v1/dashboard/kpi');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const kpi = response.body;
    expect(kpi.timeframeHours).toBe(24);
    expect(kpi.successRate).toEqual({ value: 75, delta: 75 });
    expect(kpi.orchestratorsOnline).toEqual({ value: 2, delta: 100 });
    expect(kpi.dailyUsageMins).toEqual({ value: 3.5, delta: 100 });
    expect(kpi.dailySessionCount).toEqual({ value: 4, delta: 100 });
    expect(kpi.dailyNetworkFeesEth.value).toBeCloseTo(0.0065 / 3000, 12);
    expect(kpi.hourlyUsage).toHaveLength(24);
    expect(kpi.hourlySessions.reduce((acc: number, b: { value: number }) => acc + b.value, 0)).toBe(4);
    expect(kpi.hourlyUsage.reduce((acc: number, b: { value: number }) => acc + b.value, 0)).toBeCloseTo(3.5, 6);
    expect(kpi.hourlyUsage[0].hour).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
  });

  it('kpi: filters by pipeline and model_id; timeframe clamped 1–168, default 24', async () => {
    const filtered = (await rest(stack.url, 'GET', '/api/v1/dashboard/kpi?pipeline=embeddings')).body;
    expect(filtered.dailySessionCount.value).toBe(1);
    expect(filtered.dailyUsageMins.value).toBe(0.5);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/kpi?model_id=acme/chat')).body.dailySessionCount.value).toBe(3);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/kpi?timeframe=500')).body.timeframeHours).toBe(168);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/kpi?timeframe=0')).body.timeframeHours).toBe(1);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/kpi?timeframe=abc')).body.timeframeHours).toBe(24);
    const week = (await rest(stack.url, 'GET', '/api/v1/dashboard/kpi?timeframe=168')).body;
    expect(week.hourlyUsage).toHaveLength(168);
    expect(week.dailySessionCount.value).toBe(4);
  });

  it('pipelines: bare array by minutes, per-model rows, limit default 5 and at most 200', async () => {
    const response = await rest(stack.url, 'GET', '/api/v1/dashboard/pipelines');
    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      {
        name: 'llm',
        mins: 3,
        sessions: 3,
        avgFps: 10,
        color: expect.any(String),
        modelMins: [{ model: 'acme/chat', mins: 3, sessions: 3, avgFps: 10 }],
      },
      {
        name: 'embeddings',
        mins: 0.5,
        sessions: 1,
        avgFps: 33.3,
        color: expect.any(String),
        modelMins: [{ model: 'acme/embed', mins: 0.5, sessions: 1, avgFps: 33.3 }],
      },
    ]);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/pipelines?limit=1')).body.map((p: { name: string }) => p.name)).toEqual([
      'llm',
    ]);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/pipelines?limit=100000')).body).toHaveLength(2);
  });

  it('fees: USD and ETH at 3000, day and week series; days default 180, 7–365 else 400', async () => {
    const response = await rest(stack.url, 'GET', '/api/v1/dashboard/fees');
    expect(response.status).toBe(200);
    const fees = response.body;
    expect(fees.totalUsd).toBeCloseTo(0.0065, 9);
    expect(fees.totalEth).toBeCloseTo(0.0065 / 3000, 12);
    expect(fees.oneDayVolumeUsd).toBeCloseTo(0.0065, 9);
    expect(fees.oneWeekVolumeUsd).toBeCloseTo(0.0065, 9);
    expect(fees.volumeChangeUsd).toBeNull();
    expect(fees.weeklyVolumeChangeEth).toBeNull();
    expect(fees.dayData).toHaveLength(180);
    expect(fees.dayData[179].dateS % 86400).toBe(0);
    expect(fees.dayData.reduce((acc: number, d: { volumeUsd: number }) => acc + d.volumeUsd, 0)).toBeCloseTo(0.0065, 9);
    for (const week of fees.weeklyData) expect(new Date(week.date * 1000).getUTCDay()).toBe(1);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/fees?days=7')).body.dayData).toHaveLength(7);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/fees?days=365')).body.dayData).toHaveLength(365);
    for (const bad of ['6', '366', 'abc', '7.5', '-7']) {
      const rejected = await rest(stack.url, 'GET', `/api/v1/dashboard/fees?days=${bad}`);
      expect(rejected.status).toBe(400);
      expect(rejected.body.error.code).toBe('BAD_REQUEST');
      expect(rejected.body.error.message).toMatch(new RegExp(`^Invalid days: ${bad.replace('.', '\\.')}`));
      expect(rejected.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('pricing: price paid per unit, highest first', async () => {
    const pricing = (await rest(stack.url, 'GET', '/api/v1/dashboard/pricing')).body;
    expect(pricing.map((p: { pipeline: string }) => p.pipeline)).toEqual(['llm', 'embeddings']);
    expect(pricing[0]).toMatchObject({
      model: 'acme/chat',
      unit: 'token',
      outputPerDollar: '~300K tokens',
      capacity: 1,
      pixelsPerUnit: null,
    });
    expect(pricing[0].price).toBeCloseTo(6000 / 1e6 / 1800, 15);
    expect(pricing[1]).toMatchObject({
      model: 'acme/embed',
      unit: 'token',
      avgWeiPerUnit: '166666666',
      outputPerDollar: '~2M tokens',
      price: 5e-7,
    });
  });

  it('orchestrators: one row per listing with sessions, success and no-swap ratios; period default 24h', async () => {
    const rows = (await rest(stack.url, 'GET', '/api/v1/dashboard/orchestrators')).body;
    expect(rows).toEqual([
      expect.objectContaining({
        address: L1,
        uris: [L1],
        knownSessions: 3,
        successSessions: 2,
        successRatio: 66.7,
        effectiveSuccessRate: 66.7,
        noSwapRatio: 75,
        slaScore: null,
        pipelines: ['llm'],
        pipelineModels: [{ pipelineId: 'llm', modelIds: ['acme/chat'] }],
        gpuCount: 0,
      }),
      expect.objectContaining({
        address: L2,
        knownSessions: 1,
        successSessions: 1,
        successRatio: 100,
        noSwapRatio: 100,
        pipelines: ['embeddings'],
      }),
      // Only ever failed over from: known, no session, nothing kept.
      expect.objectContaining({
        address: L3,
        knownSessions: 0,
        successSessions: 0,
        successRatio: 0,
        effectiveSuccessRate: null,
        noSwapRatio: 0,
        pipelines: [],
        pipelineModels: [],
      }),
    ]);
    expect(new Date(rows[0].lastSeen).toISOString()).toBe(rows[0].lastSeen);
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/orchestrators?period=1h')).status).toBe(200);
  });

  it('pipeline-catalog, protocol, gpu-capacity: shapes', async () => {
    const catalog = (await rest(stack.url, 'GET', '/api/v1/dashboard/pipeline-catalog')).body;
    expect(catalog).toEqual([
      { id: 'llm', name: 'LLM', models: ['acme/chat'], regions: [] },
      { id: 'embeddings', name: 'Embeddings', models: ['acme/embed'], regions: [] },
      { id: 'text-to-speech', name: 'Text to speech', models: [], regions: [] },
    ]);
    const protocol = await rest(stack.url, 'GET', '/api/v1/dashboard/protocol');
    expect(protocol.headers.get('cache-control')).toMatch(/max-age/);
    expect(protocol.body).toEqual({
      currentRound: Math.floor(Date.now() / 86_400_000),
      blockProgress: expect.any(Number),
      totalBlocks: 1440,
      totalStakedLPT: 0,
    });
    // The traffic names listings market does not know (no declared hardware): no GPUs at all.
    // Declared GPUs with known traffic: network-capacity.test.ts.
    const gpu = (await rest(stack.url, 'GET', '/api/v1/dashboard/gpu-capacity?timeframe=24')).body;
    expect(gpu).toEqual({ totalGPUs: 0, activeGPUs: 0, availableCapacity: 0, models: [], pipelineGPUs: [] });
  });

  it('job-feed: streams, Cache-Control keyed to pollMs, refresh=1 bypasses the server cache', async () => {
    const first = await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed?pollMs=30000');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    expect(first.body).toMatchObject({ clickhouseConfigured: false, queryFailed: false });
    expect(first.body.streams).toHaveLength(4);
    // NaaP's JobFeedEntry, every field: the embeddings job ran 30 s for 1,000 units on L2.
    expect(first.body.streams.find((s: { id: string }) => s.id === embed.id)).toEqual({
      id: embed.id,
      pipeline: 'embeddings',
      model: 'acme/embed',
      status: 'completed',
      startedAt: embed.startedAt,
      latencyMs: 30_000,
      gateway: null,
      orchestratorUrl: L2,
      inputFps: null,
      outputFps: 33.3,
      lastSeen: embed.finishedAt,
      durationSeconds: 30,
      runningFor: '30s',
    });
    expect(first.body.streams.find((s: { id: string }) => s.id === llm[2].id)).toMatchObject({
      status: 'failed',
      orchestratorUrl: L1,
      outputFps: 10,
      runningFor: '1m 0s',
    });
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed?pollMs=5000')).headers.get('cache-control')).toBe('public, max-age=5');
    expect((await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed')).headers.get('cache-control')).toBe('public, max-age=15');

    const extra = job(1000, { listingId: L1 });
    await stack.bus.publish('job.finished', extra);
    await waitUntil(
      async () => (await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed?refresh=1&pollMs=90000')).body.streams.length === 5,
    );
    const cached = await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed?pollMs=30000');
    expect(cached.body.streams).toHaveLength(4);
    const fresh = await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed?pollMs=30000&nocache=1');
    expect(fresh.body.streams).toHaveLength(5);
  });

  // Runs after the job-feed test's extra llm job: llm has 4 requests, 3 completed.
  it('the same data as GraphQL, with NaaP type names', async () => {
    const response = await graphql<any, unknown>(
      stack.url,
      `{ kpi(timeframe: "24", pipeline: "llm") { __typename dailySessionCount { __typename value delta } successRate { value } timeframeHours hourlySessions { __typename } }
         pipelines(limit: 1) { __typename name modelMins { __typename model } }
         fees(days: 7) { __typename dayData { __typename } weeklyData { __typename } }
         pipelineCatalog { __typename id } protocol { __typename totalBlocks } pricing { __typename pipeline }
         gpuCapacity { __typename models { __typename } pipelineGPUs { __typename models { __typename } } }
         orchestrators(period: "24h") { __typename address pipelineModels { __typename } listing { id } } }`,
    );
    expect(response.errors).toBeUndefined();
    const data = response.data;
    expect(data.kpi).toMatchObject({
      __typename: 'KPI',
      dailySessionCount: { __typename: 'MetricDelta', value: 4 },
      successRate: { value: 75 },
      timeframeHours: 24,
    });
    expect(data.kpi.hourlySessions[0].__typename).toBe('HourlyBucket');
    expect(data.pipelines).toEqual([
      { __typename: 'PipelineUsage', name: 'llm', modelMins: [{ __typename: 'PipelineModelMins', model: 'acme/chat' }] },
    ]);
    expect(data.fees.__typename).toBe('FeesInfo');
    expect(data.fees.dayData[0].__typename).toBe('FeeDayData');
    expect(data.fees.weeklyData[0].__typename).toBe('FeeWeeklyData');
    expect(data.pipelineCatalog[0].__typename).toBe('PipelineCatalogEntry');
    expect(data.protocol).toEqual({ __typename: 'Protocol', totalBlocks: 1440 });
    expect(data.pricing[0].__typename).toBe('PipelinePricing');
    expect(data.gpuCapacity).toEqual({ __typename: 'GPUCapacity', models: [], pipelineGPUs: [] });
    expect(data.orchestrators[0]).toMatchObject({ __typename: 'OrchestratorRow', address: L1, listing: { id: L1 } });
    expect(data.orchestrators[0].pipelineModels[0].__typename).toBe('PipelineModelOffer');
    const bad = await graphql<any, unknown>(stack.url, '{ fees(days: 3) { totalUsd } }');
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('network overview — a failing store', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
    const network = stack.platform!.runtimes.find((runtime) => runtime.name === 'network')!;
    await network.definition.db.close();
  }, 20_000);
  afterAll(async () => {
    await stack?.stop().catch(() => {});
  });

  it('dashboard routes answer 503 SERVICE_UNAVAILABLE; job-feed answers 200 with queryFailed', async () => {
    for (const path of ['kpi', 'pipelines', 'pipeline-catalog', 'orchestrators', 'gpu-capacity', 'pricing', 'fees']) {
      const response = await rest(stack.url, 'GET', `/api/v1/dashboard/${path}`);
      expect(response.status, path).toBe(503);
      expect(response.body, path).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) } });
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    const feed = await rest(stack.url, 'GET', '/api/v1/dashboard/job-feed?pollMs=5000');
    expect(feed.status).toBe(200);
    expect(feed.body).toEqual({ streams: [], clickhouseConfigured: false, queryFailed: true });
    expect(feed.headers.get('cache-control')).toBe('public, max-age=5');
  });
});
