// Reputation from live traffic and the public supply pages, end to end on the simulator: figures
// move with injected faults (errors, slow first tokens) and recover as the window slides on the
// injected clock; buyer faults (provider-refused requests, aborts) move nothing; the data plane's
// weights follow, from a table it never fetches per request; the NaaP slaScore; and /v1/models,
// /v1/models/{id}, /v1/models/{id}/endpoints against the openai SDK's types and OpenRouter's names.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { eventually } from '../helpers/eventually';
import { envelopeProblem } from '../helpers/rest-surfaces';
import { reputationWeight } from '../../gateway/inference/reputation';

interface Rep {
  listingId: string;
  windowMinutes: number;
  requests: number;
  successRate: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  tokensPerSecond: number | null;
}

const REP_FIELDS = 'listingId windowMinutes requests successRate ttftP50Ms ttftP95Ms latencyP50Ms latencyP95Ms tokensPerSecond';

// The OpenRouter field names (their models and endpoints API reference).
const OPENROUTER_MODEL_FIELDS = [
  'id',
  'name',
  'created',
  'description',
  'context_length',
  'architecture',
  'pricing',
  'top_provider',
  'per_request_limits',
  'supported_parameters',
];
const OPENROUTER_ARCHITECTURE_FIELDS = ['modality', 'input_modalities', 'output_modalities', 'tokenizer', 'instruct_type'];
const OPENROUTER_PRICING_FIELDS = ['prompt', 'completion', 'request', 'image'];
const OPENROUTER_TOP_PROVIDER_FIELDS = ['context_length', 'max_completion_tokens', 'is_moderated'];
const OPENROUTER_ENDPOINT_FIELDS = [
  'name',
  'provider_name',
  'tag',
  'context_length',
  'pricing',
  'quantization',
  'status',
  'uptime_last_30m',
  'supported_parameters',
  'max_completion_tokens',
  'max_prompt_tokens',
];

describe('reputation from live traffic and the supply pages', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let client: OpenAI;
  let cheap: string; // acme/rep-chat on sk-sim-rep-a (routed first)
  let dear: string; // acme/rep-chat on sk-sim-rep-b (the fallback)
  let slow: string; // acme/rep-slow on sk-sim-rep-c
  let sellerJwt: string;
  // The clock moves only when a test moves it.
  let nowMs = Date.now();
  const clock = { now: () => new Date(nowMs) };

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-rep-a', 'sk-sim-rep-b', 'sk-sim-rep-c'] });
    // REPUTATION_REFRESH_MS: an hour, so the table only refreshes when a test says so (and at start).
    stack = await startEmbeddedStack(
      { SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', LISTING_COOLDOWN_MS: '0', REPUTATION_REFRESH_MS: '3600000' },
      { clock },
    );
    const seller = await signup(stack.url, 'seller');
    sellerJwt = seller.jwt;
    const a = await poolKey(stack.url, seller.jwt, 'sk-sim-rep-a');
    const b = await poolKey(stack.url, seller.jwt, 'sk-sim-rep-b');
    const c = await poolKey(stack.url, seller.jwt, 'sk-sim-rep-c');
    // The cheap one declares its metadata (its context length is verified at admission); the dear one declares none.
    cheap = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: a,
      model: 'acme/rep-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '1.5',
      contextLength: 8192,
      maxOutputTokens: 2048,
      quantization: 'fp16',
      region: 'eu-west',
      dataPolicy: { zeroRetention: true },
    });
    dear = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: b,
      model: 'acme/rep-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '2',
      outputPricePerMTok: '3',
    });
    slow = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: c,
      model: 'acme/rep-slow',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    buyer = await fundedBuyer(stack.url, '50');
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });
  afterEach(() => {
    for (const key of ['sk-sim-rep-a', 'sk-sim-rep-b', 'sk-sim-rep-c']) sim.setKeyFaults(key, null);
  });

  const ask = (model = 'acme/rep-chat', extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, ...extra });

  /** Public: a model's endpoints with their reputation (GraphQL). */
  async function reputations(model: string, windowMinutes = 15): Promise<Map<string, Rep>> {
    const result = await graphql(
      stack.url,
      `query ($id: ID!, $w: Int!) { model(id: $id) { endpoints { id reputation(windowMinutes: $w) { ${REP_FIELDS} } } } }`,
      { id: model, w: windowMinutes },
    );
    expect(result.errors).toBeUndefined();
    const endpoints = (result.data as { model: { endpoints: { id: string; reputation: Rep }[] } }).model.endpoints;
    return new Map(endpoints.map((e) => [e.id, e.reputation]));
  }

  /** A listing's reputation as its seller reads it (whatever its contract's state). */
  async function reputationOf(listingId: string, windowMinutes = 15): Promise<Rep> {
    const result = await graphql(
      stack.url,
      `query ($id: ID!, $w: Int!) { listing(id: $id) { reputation(windowMinutes: $w) { ${REP_FIELDS} } } }`,
      { id: listingId, w: windowMinutes },
      sellerJwt,
    );
    expect(result.errors).toBeUndefined();
    return (result.data as { listing: { reputation: Rep } }).listing.reputation;
  }

  /** Waits until network has recorded `requests` counted requests for the listing. */
  const settled = (listingId: string, requests: number, windowMinutes = 15) =>
    eventually(async () => {
      const rep = await reputationOf(listingId, windowMinutes);
      expect(rep.requests).toBe(requests);
      return rep;
    });

  const gatewayTable = () => stack.platform!.gateway.reputation;

  it('a healthy listing: full success rate, latency and TTFT figures, weight 1', async () => {
    for (let i = 0; i < 6; i++) await ask();
    const rep = await settled(cheap, 6);
    expect(rep).toMatchObject({ listingId: cheap, windowMinutes: 15, successRate: 1 });
    expect(rep.latencyP50Ms).toBeGreaterThan(0);
    expect(rep.ttftP50Ms).toBeGreaterThan(0);
    expect(rep.latencyP95Ms!).toBeGreaterThanOrEqual(rep.latencyP50Ms!);
    expect(rep.tokensPerSecond).toBeGreaterThan(0);
    // The same figures on the public model page (GraphQL).
    expect((await reputations('acme/rep-chat')).get(cheap)).toEqual(rep);
    await gatewayTable().refresh();
    expect(gatewayTable().weightOf(cheap)).toBe(1);
  });

  it("the buyer's faults move nothing: requests the provider refuses (400) and streams the buyer aborts", async () => {
    const before = await reputationOf(cheap);
    expect(before.requests).toBe(6);
    sim.setKeyFaults('sk-sim-rep-a', { status: 400 });
    for (let i = 0; i < 4; i++) await expect(ask()).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    // A slow stream (fast first token, so the listing's first-byte figure stays as it was) the buyer leaves after one chunk.
    sim.setKeyFaults('sk-sim-rep-a', { chunks: 40, chunkDelayMs: 100 });
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        { model: 'acme/rep-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 64, stream: true },
        { signal: controller.signal },
      );
      // The SDK may end the iteration quietly or throw on abort; the job feed below says what happened.
      await (async () => {
        for await (const _ of stream) controller.abort();
      })().catch(() => {});
    }
    // Every one of those requests was recorded on the job feed...
    await eventually(async () => {
      const feed = await graphql(stack.url, '{ jobFeed(limit: 50) { id status } }', {});
      const statuses = ((feed.data as { jobFeed: { status: string }[] } | null)?.jobFeed ?? []).map((j) => j.status);
      expect(statuses.filter((s) => s === 'cancelled').length).toBeGreaterThanOrEqual(3);
      expect(statuses.filter((s) => s === 'failed').length).toBeGreaterThanOrEqual(4);
    });
    // ...and none of them counts for or against the listing.
    expect(await reputationOf(cheap)).toEqual(before);
  });

  it('provider errors lower the listing (its failures counted when requests move away), and its weight follows', async () => {
    sim.setKeyFaults('sk-sim-rep-a', { status: 500 });
    const served: string[] = [];
    for (let i = 0; i < 6; i++) served.push((await ask()).id); // each tried on cheap (until it degrades), then dear serves it
    const rep = await eventually(async () => {
      const r = await reputationOf(cheap);
      expect(r.requests).toBeGreaterThan(6);
      expect((await reputationOf(dear)).requests).toBe(6);
      return r;
    });
    // Its successes so far, over all it was counted for: every counted request after the 6 failed.
    expect(rep.successRate).toBeCloseTo(6 / rep.requests, 4);
    expect(rep.successRate!).toBeLessThanOrEqual(0.75);
    expect((await reputationOf(dear)).successRate).toBe(1);
    await gatewayTable().refresh();
    expect(gatewayTable().reputationOf(cheap)?.successRate).toBe(rep.successRate);
    expect(gatewayTable().weightOf(cheap)).toBeCloseTo(reputationWeight(rep), 4);
    expect(gatewayTable().weightOf(cheap)).toBeLessThan(0.35);
    expect(gatewayTable().weightOf(dear)).toBe(1);
  });

  it('a slow-TTFT fault raises TTFT p95 and lowers the weight', async () => {
    const stream = async () => {
      const s = await client.chat.completions.create({
        model: 'acme/rep-slow',
        messages: [{ role: 'user', content: 'hello' }],
        max_tokens: 4,
        stream: true,
      });
      for await (const _ of s) void _;
    };
    for (let i = 0; i < 5; i++) await stream();
    const fast = await settled(slow, 5);
    expect(fast.ttftP95Ms!).toBeLessThan(1_000);
    sim.setKeyFaults('sk-sim-rep-c', { ttftMs: 2_500 });
    await Promise.all(Array.from({ length: 15 }, () => stream()));
    const slowed = await settled(slow, 20);
    expect(slowed.successRate).toBe(1);
    expect(slowed.ttftP95Ms!).toBeGreaterThan(2_000);
    expect(slowed.ttftP50Ms!).toBeGreaterThan(2_000);
    await gatewayTable().refresh();
    expect(gatewayTable().weightOf(slow)).toBeLessThan(0.5);
  }, 30_000);

  it("the NaaP orchestrators' slaScore is the success rate times the latency factor", async () => {
    const result = await graphql(stack.url, '{ orchestrators { address slaScore } }', {});
    expect(result.errors).toBeUndefined();
    const rows = new Map(
      (result.data as { orchestrators: { address: string; slaScore: number | null }[] }).orchestrators.map((r) => [r.address, r.slaScore]),
    );
    const cheapRep = await reputationOf(cheap, 60);
    expect(rows.get(cheap)).toBe(Math.round(100 * cheapRep.successRate! * Math.min(1, 2000 / cheapRep.ttftP95Ms!)));
    expect(rows.get(cheap)).toBeLessThan(80);
    expect(rows.get(dear)).toBe(100);
    const slowRep = await reputationOf(slow, 60);
    expect(rows.get(slow)).toBe(Math.round(100 * Math.min(1, 2000 / slowRep.ttftP95Ms!)));
    expect(rows.get(slow)).toBeLessThan(100);
  });

  it('no per-request I/O: requests do not fetch the reputation table', async () => {
    const fetches = gatewayTable().fetches;
    for (let i = 0; i < 10; i++) await ask();
    expect(gatewayTable().fetches).toBe(fetches);
  });

  it('recovers once the failing minutes leave the window (the clock moves 16 minutes)', async () => {
    nowMs += 16 * 60_000;
    await expect(settled(cheap, 0)).resolves.toMatchObject({ successRate: null });
    // Only cheap left to serve (it is DEGRADED, so it is tried after healthy listings).
    const paused = await graphql(
      stack.url,
      'mutation ($id: ID!) { setListingPaused(id: $id, paused: true) { id paused } }',
      { id: dear },
      sellerJwt,
    );
    expect(paused.errors).toBeUndefined();
    await eventually(async () => {
      await ask();
      expect((await reputationOf(cheap)).requests).toBeGreaterThan(0);
    });
    const already = (await reputationOf(cheap)).requests;
    for (let i = already; i < 6; i++) await ask();
    const recovered = await settled(cheap, 6);
    expect(recovered.successRate).toBe(1);
    // The hour still remembers: the 60-minute window holds the failures too.
    const hour = await reputationOf(cheap, 60);
    expect(hour.requests).toBeGreaterThan(12);
    expect(hour.successRate!).toBeLessThan(1);
    await gatewayTable().refresh();
    expect(gatewayTable().weightOf(cheap)).toBe(1);
    await graphql(stack.url, 'mutation ($id: ID!) { setListingPaused(id: $id, paused: false) { id } }', { id: dear }, sellerJwt);
  });

  it('refuses a reputation window outside 1–60 minutes as bad input', async () => {
    const result = await graphql(
      stack.url,
      `query ($id: ID!) { model(id: $id) { endpoints { reputation(windowMinutes: 61) { requests } } } }`,
      { id: 'acme/rep-chat' },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('the platform-only reputation table is not in the public API', async () => {
    const result = await graphql(stack.url, '{ listingReputations { listingId } }', {}, buyer.jwt);
    expect(result.errors?.[0]?.message).toMatch(/listingReputations/);
    expect(result.data ?? null).toBeNull();
  });

  describe('GET /v1/models', () => {
    it('lists models as the openai SDK types them, with OpenRouter fields', async () => {
      const page = await client.models.list();
      const model = page.data.find((m) => m.id === 'acme/rep-chat')! as OpenAI.Models.Model & Record<string, unknown>;
      // OpenAI's Model
      expect(model).toMatchObject({ id: 'acme/rep-chat', object: 'model', owned_by: 'acme' });
      expect(Number.isInteger(model.created)).toBe(true);
      expect(model.created).toBeGreaterThan(1_600_000_000);
      // OpenRouter's
      for (const field of OPENROUTER_MODEL_FIELDS) expect(model).toHaveProperty(field);
      for (const field of OPENROUTER_ARCHITECTURE_FIELDS) expect(model.architecture).toHaveProperty(field);
      for (const field of OPENROUTER_PRICING_FIELDS) expect(typeof (model.pricing as Record<string, unknown>)[field]).toBe('string');
      for (const field of OPENROUTER_TOP_PROVIDER_FIELDS) expect(model.top_provider).toHaveProperty(field);
      expect(model.architecture).toMatchObject({ modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'] });
      // The lowest price, USD per token as exact decimal strings: 0.5 and 1.5 USD per million.
      expect(model.pricing).toMatchObject({ prompt: '0.0000005', completion: '0.0000015', request: '0' });
      expect(model.supported_parameters).toEqual(expect.arrayContaining(['max_tokens', 'temperature']));
      expect(model.per_request_limits).toBeNull();
      // The listings' real metadata: the largest context, the cheapest endpoint's limits, what the simulator honours.
      expect(model.context_length).toBe(8192);
      expect(model.top_provider).toEqual({ context_length: 8192, max_completion_tokens: 2048, is_moderated: false });
      expect(model.supported_parameters).toEqual(
        expect.arrayContaining(['tools', 'tool_choice', 'response_format', 'structured_outputs', 'stop', 'seed']),
      );
    });

    it('retrieves one model (the SDK encodes the slash) and refuses unknown or malformed ids', async () => {
      const model = await client.models.retrieve('acme/rep-chat');
      expect(model).toMatchObject({ id: 'acme/rep-chat', object: 'model' });
      await expect(client.models.retrieve('acme/nobody')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const long = await rest(stack.url, 'GET', `/v1/models/${'x'.repeat(201)}/endpoints`, { token: buyer.key });
      expect(long.status).toBe(400);
      expect(
        envelopeProblem('openai', {
          method: 'GET',
          route: '/v1/models/*',
          status: long.status,
          headers: new Headers({ 'content-type': 'application/json' }),
          text: JSON.stringify(long.body),
          json: long.body,
        }),
      ).toBeNull();
    });

    it('needs a buyer key, in the openai envelope', async () => {
      for (const token of [undefined, 'sk-not-a-key']) {
        for (const path of ['/v1/models', '/v1/models/acme/rep-chat', '/v1/models/acme/rep-chat/endpoints']) {
          const answer = await rest(stack.url, 'GET', path, token ? { token } : {});
          expect(answer.status).toBe(401);
          expect((answer.body as { error: { type: string } }).error).toMatchObject({ type: expect.any(String) });
        }
      }
    });
  });

  describe('GET /v1/models/{id}/endpoints', () => {
    it("lists every endpoint in OpenRouter's shape, cheapest first, with reputation", async () => {
      const answer = await rest(stack.url, 'GET', '/v1/models/acme/rep-chat/endpoints', { token: buyer.key });
      expect(answer.status).toBe(200);
      const data = (answer.body as { data: Record<string, unknown> & { endpoints: Record<string, unknown>[] } }).data;
      expect(data).toMatchObject({ id: 'acme/rep-chat', name: expect.any(String), created: expect.any(Number) });
      for (const field of OPENROUTER_ARCHITECTURE_FIELDS) expect(data.architecture).toHaveProperty(field);
      expect(data.endpoints.map((e) => e.listing_id)).toEqual([cheap, dear]);
      for (const endpoint of data.endpoints) {
        for (const field of OPENROUTER_ENDPOINT_FIELDS) expect(endpoint).toHaveProperty(field);
        // The seller's handle, taken with its first listing under it.
        expect(endpoint).toMatchObject({ provider_name: 'acme', tag: 'acme', name: 'acme | acme/rep-chat' });
        expect(endpoint.supported_parameters).toEqual(
          expect.arrayContaining(['tools', 'tool_choice', 'response_format', 'structured_outputs', 'stop', 'seed', 'max_tokens']),
        );
      }
      const [declared, bare] = data.endpoints;
      expect(declared).toMatchObject({
        context_length: 8192,
        max_completion_tokens: 2048,
        quantization: 'fp16',
        region: 'eu-west',
        data_policy: { retains_prompts: false, trains_on_prompts: false, zero_retention: true },
        verification: { status: 'PASSED', checked_at: expect.any(String), canonical_model: null },
      });
      expect((declared.verification as { checks: { name: string; passed: boolean }[] }).checks.map((c) => [c.name, c.passed])).toEqual([
        ['tools', true],
        ['json_schema', true],
        ['context', true],
      ]);
      // Nothing declared: unknown context and quantization, no region, a data policy of all false; its declared parameters verified.
      expect(bare).toMatchObject({
        context_length: null,
        max_completion_tokens: null,
        quantization: 'unknown',
        region: null,
        data_policy: { retains_prompts: false, trains_on_prompts: false, zero_retention: false },
        verification: {
          status: 'PASSED',
          canonical_model: null,
          checks: [expect.objectContaining({ name: 'tools' }), expect.objectContaining({ name: 'json_schema' })],
        },
      });
      expect(data.endpoints[0].pricing).toMatchObject({ prompt: '0.0000005', completion: '0.0000015' });
      expect(data.endpoints[1].pricing).toMatchObject({ prompt: '0.000002', completion: '0.000003' });
      const reputation = data.endpoints[0].reputation as Record<string, unknown>;
      expect(reputation).toMatchObject({ window_minutes: 15, requests: expect.any(Number), success_rate: expect.any(Number) });
      expect(typeof data.endpoints[0].uptime_last_30m).toBe('number');
      // cheap failed its share in the last 30 minutes: degraded (-1); dear never did.
      expect(data.endpoints[0].uptime_last_30m as number).toBeGreaterThan(0);
      expect(data.endpoints[0].uptime_last_30m as number).toBeLessThan(95);
      expect(data.endpoints[0].status).toBe(-1);
      expect(data.endpoints[1]).toMatchObject({ uptime_last_30m: 100, status: 0 });
    });

    it('answers 404 in the openai envelope for a model without supply', async () => {
      const answer = await rest(stack.url, 'GET', '/v1/models/acme/nobody/endpoints', { token: buyer.key });
      expect(answer.status).toBe(404);
      expect((answer.body as { error: { code: string } }).error.code).toBe('model_not_found');
    });
  });
});
