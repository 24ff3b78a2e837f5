// NaaP developer models over REST (/api/v1/developer/models, /models/{id}, /network-models):
// the catalog reflects admitted supply only (a listing whose admission probe fails is not listed
// until a probe passes), its figures follow the listings (two sellers of one model, prices,
// capacity), NaaP's shapes and filters, bad query strings, and the dashboard-session-only matrix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketCreateListingDocument, MarketProbeListingDocument } from '../../schema/generated/graphql';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { graphql, rest } from '../helpers/graphql';
import { admittedListing, poolKey } from '../helpers/market';
import { startTestStack, type TestStack } from '../helpers/stack';
import { expectError } from '../helpers/expect-error';

// NaaP's documented fields, then the supply's metadata (additional fields, which NaaP's clients ignore).
const MODEL_KEYS = [
  'id',
  'name',
  'tagline',
  'type',
  'featured',
  'realtime',
  'costPerMin',
  'latencyP50',
  'coldStart',
  'fps',
  'useCases',
  'badges',
  'contextLength',
  'supportedParameters',
  'quantizations',
];
const ROW_KEYS = ['Pipeline', 'Model', 'WarmOrchCount', 'TotalCapacity', 'PriceMin', 'PriceMax', 'PriceAvg', 'PriceUnit'];
const FLAKY_KEY = 'sk-sim-naap-flaky-0123456789abcdef';

type Response = Awaited<ReturnType<typeof rest>>;

let sim: Simulator;
let stack: TestStack;
let c: Credentials;
/** The listing whose admission failed at first (acme/late-chat). */
let lateListingId: string;
let sellerA: { jwt: string };

beforeAll(async () => {
  sim = await startSimulator();
  stack = await startTestStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
  c = await credentials(stack.url);
  sellerA = await signup(stack.url, 'seller-a');
  const sellerB = await signup(stack.url, 'seller-b');
  const keyA = await poolKey(stack.url, sellerA.jwt, 'sk-sim-naap-a-0123456789abcdef');
  const keyB = await poolKey(stack.url, sellerB.jwt, 'sk-sim-naap-b-0123456789abcdef');
  await Promise.all([
    admittedListing(stack.url, sellerA.jwt, {
      poolKeyId: keyA,
      model: 'dragonfly/sim-chat',
      upstreamModel: 'sim-chat',
      inputPricePerMTok: '1',
      outputPricePerMTok: '2',
      caps: { maxConcurrency: 4 },
      hardware: { gpuModel: 'H100', gpuCount: 2 },
      quantization: 'fp8',
    }),
    admittedListing(stack.url, sellerB.jwt, {
      poolKeyId: keyB,
      model: 'dragonfly/sim-chat',
      upstreamModel: 'sim-chat',
      inputPricePerMTok: '1.5',
      outputPricePerMTok: '4',
    }),
    admittedListing(stack.url, sellerA.jwt, {
      poolKeyId: keyA,
      model: 'dragonfly/sim-embed',
      upstreamModel: 'sim-embed',
      capability: 'EMBEDDINGS',
      inputPricePerMTok: '0.02',
    }),
    admittedListing(stack.url, sellerA.jwt, {
      poolKeyId: keyA,
      model: 'dragonfly/sim-tts',
      upstreamModel: 'sim-tts',
      capability: 'SPEECH',
      pricePerMChars: '15',
    }),
    admittedListing(stack.url, sellerB.jwt, {
      poolKeyId: keyB,
      model: 'dragonfly/sim-chat-large',
      upstreamModel: 'sim-chat',
      inputPricePerMTok: '0.27',
      outputPricePerMTok: '1.1',
    }),
  ]);
  // A listing whose upstream fails its admission probe: PENDING, so not on the market yet.
  const flakyKey = await poolKey(stack.url, sellerA.jwt, FLAKY_KEY);
  sim.setKeyFaults(FLAKY_KEY, { status: 500 });
  const late = await graphql(
    stack.url,
    MarketCreateListingDocument,
    { input: { poolKeyId: flakyKey, model: 'acme/late-chat', upstreamModel: 'sim-chat', inputPricePerMTok: '1', outputPricePerMTok: '1' } },
    sellerA.jwt,
  );
  lateListingId = late.data!.createListing.id;
  const failed = await graphql(stack.url, MarketProbeListingDocument, { id: lateListingId }, sellerA.jwt); // joins the background admission
  expect(failed.data!.probeListing.passed).toBe(false);
});
afterAll(async () => {
  await stack?.stop();
  await sim?.close();
});

const get = (path: string, token: string | undefined, headers: Record<string, string> = {}) =>
  rest(stack.url, 'GET', path, { token, headers });

const ids = (response: Response) => response.body.data.models.map((model: { id: string }) => model.id);

describe('GET /api/v1/developer/models', () => {
  it('lists the models with ACTIVE supply, in NaaP shape, sorted by id', async () => {
    const response = await get('/api/v1/developer/models', c.jwt);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['success', 'data']);
    expect(response.body.success).toBe(true);
    expect(Object.keys(response.body.data)).toEqual(['models', 'total']);
    expect(ids(response)).toEqual(['dragonfly/sim-chat', 'dragonfly/sim-chat-large', 'dragonfly/sim-embed', 'dragonfly/sim-tts']);
    expect(response.body.data.total).toBe(4);
    for (const model of response.body.data.models) expect(Object.keys(model)).toEqual(MODEL_KEYS);

    const [chat, deepseek, embed, tts] = response.body.data.models;
    expect(chat).toEqual({
      id: 'dragonfly/sim-chat',
      name: 'Sim Chat',
      tagline: expect.any(String),
      type: 'llm',
      featured: false,
      realtime: true,
      costPerMin: { min: expect.any(Number), max: expect.any(Number) },
      latencyP50: expect.any(Number),
      coldStart: expect.any(Number),
      fps: expect.any(Number),
      useCases: expect.arrayContaining(['chat']),
      badges: expect.arrayContaining(['streaming', 'multi-seller']),
      // Neither listing declares metadata: the canonical model's context and parameters; seller A declares fp8.
      contextLength: 16384,
      supportedParameters: ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop'],
      quantizations: ['fp8'],
    });
    expect(chat.costPerMin.min).toBeGreaterThan(0);
    expect(chat.costPerMin.max).toBeGreaterThanOrEqual(chat.costPerMin.min);
    expect(embed).toMatchObject({
      type: 'embeddings',
      realtime: false,
      costPerMin: null,
      fps: null,
      latencyP50: expect.any(Number),
      contextLength: 8192,
      supportedParameters: [],
      quantizations: [],
    });
    expect(embed.badges).not.toContain('multi-seller');
    expect(tts).toMatchObject({ type: 'text-to-speech', realtime: true, costPerMin: null, coldStart: expect.any(Number) });
    expect(deepseek).toMatchObject({ name: 'Dragonfly Simulated Chat Large', featured: true, type: 'llm' });
  });

  it('lists a model once its listing is admitted, not before', async () => {
    expect(ids(await get('/api/v1/developer/models', c.jwt))).not.toContain('acme/late-chat');
    expectError('naap', await get('/api/v1/developer/models/acme%2Flate-chat', c.jwt), 404, 'NOT_FOUND');
    sim.setKeyFaults(FLAKY_KEY, null);
    const passed = await graphql(stack.url, MarketProbeListingDocument, { id: lateListingId }, sellerA.jwt);
    expect(passed.data!.probeListing.passed).toBe(true);
    expect(ids(await get('/api/v1/developer/models', c.jwt))).toContain('acme/late-chat');
    expect((await get('/api/v1/developer/models/acme%2Flate-chat', c.jwt)).status).toBe(200);
  });

  it.each([
    ['type=llm', ['acme/late-chat', 'dragonfly/sim-chat', 'dragonfly/sim-chat-large']],
    ['type=chat', ['acme/late-chat', 'dragonfly/sim-chat', 'dragonfly/sim-chat-large']],
    ['type=embeddings', ['dragonfly/sim-embed']],
    ['type=text-to-speech', ['dragonfly/sim-tts']],
    ['type=speech', ['dragonfly/sim-tts']],
    ['type=video', []],
    ['featured=true', ['dragonfly/sim-chat-large']],
    ['featured=false', ['acme/late-chat', 'dragonfly/sim-chat', 'dragonfly/sim-chat-large', 'dragonfly/sim-embed', 'dragonfly/sim-tts']],
    ['realtime=true', ['acme/late-chat', 'dragonfly/sim-chat', 'dragonfly/sim-chat-large', 'dragonfly/sim-tts']],
    ['type=llm&featured=true&realtime=true', ['dragonfly/sim-chat-large']],
    ['type=embeddings&realtime=true', []],
    ['type=', ['acme/late-chat', 'dragonfly/sim-chat', 'dragonfly/sim-chat-large', 'dragonfly/sim-embed', 'dragonfly/sim-tts']],
  ])('?%s → %j', async (query, expected) => {
    const response = await get(`/api/v1/developer/models?${query}`, c.jwt);
    expect(response.status).toBe(200);
    expect(ids(response)).toEqual(expected);
    expect(response.body.data.total).toBe(expected.length);
  });

  it.each(['featured=yes', 'featured=1', 'realtime=TRUE', 'realtime=no', 'type=llm&type=embeddings', 'featured=true&featured=false'])(
    '?%s → 400 BAD_REQUEST',
    async (query) => {
      expectError('naap', await get(`/api/v1/developer/models?${query}`, c.jwt), 400, 'BAD_REQUEST');
    },
  );
});

describe('GET /api/v1/developer/models/{id}', () => {
  it('answers one model by its URL-encoded id, or as two path segments', async () => {
    const list = await get('/api/v1/developer/models', c.jwt);
    const chat = list.body.data.models.find((model: { id: string }) => model.id === 'dragonfly/sim-chat');
    const encoded = await get('/api/v1/developer/models/dragonfly%2Fsim-chat', c.jwt);
    expect(encoded.status).toBe(200);
    expect(encoded.body).toEqual({ success: true, data: { model: chat } });
    const segments = await get('/api/v1/developer/models/dragonfly/sim-chat', c.jwt);
    expect(segments.body).toEqual({ success: true, data: { model: chat } });
    expect((await get('/api/v1/developer/models/dragonfly/sim-chat-large', c.jwt)).body.data.model).toMatchObject({
      id: 'dragonfly/sim-chat-large',
      featured: true,
    });
  });

  it.each([
    ['an unknown model', '/api/v1/developer/models/acme%2Fnope'],
    ['an unknown model as two segments', '/api/v1/developer/models/acme/nope'],
    ['an id without a vendor', '/api/v1/developer/models/sim-chat'],
    ['an overlong id', `/api/v1/developer/models/acme%2F${'x'.repeat(300)}`],
    ['three segments', '/api/v1/developer/models/acme/sim/chat'],
    ['an empty id', '/api/v1/developer/models/'],
  ])('%s → 404 NOT_FOUND', async (_name, path) => {
    expectError('naap', await get(path, c.jwt), 404, 'NOT_FOUND');
  });
});

describe('GET /api/v1/developer/network-models', () => {
  it('answers one row per model with supply and prices, without an envelope', async () => {
    const response = await get('/api/v1/developer/network-models', c.jwt);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['models', 'count', 'total']);
    expect(response.body.count).toBe(5);
    expect(response.body.total).toBe(5);
    for (const row of response.body.models) expect(Object.keys(row)).toEqual(ROW_KEYS);
    const row = (model: string) => response.body.models.find((r: { Model: string }) => r.Model === model);
    // Two sellers: 2 warm; capacity 4 (its cap) + 1 (no cap); output prices $2 and $4 per 1M tokens.
    expect(row('dragonfly/sim-chat')).toEqual({
      Pipeline: 'llm',
      Model: 'dragonfly/sim-chat',
      WarmOrchCount: 2,
      TotalCapacity: 5,
      PriceMin: 2,
      PriceMax: 4,
      PriceAvg: 3,
      PriceUnit: 'USD per 1M output tokens',
    });
    expect(row('dragonfly/sim-embed')).toEqual({
      Pipeline: 'embeddings',
      Model: 'dragonfly/sim-embed',
      WarmOrchCount: 1,
      TotalCapacity: 1,
      PriceMin: 0.02,
      PriceMax: 0.02,
      PriceAvg: 0.02,
      PriceUnit: 'USD per 1M input tokens',
    });
    expect(row('dragonfly/sim-tts')).toEqual({
      Pipeline: 'text-to-speech',
      Model: 'dragonfly/sim-tts',
      WarmOrchCount: 1,
      TotalCapacity: 1,
      PriceMin: 15,
      PriceMax: 15,
      PriceAvg: 15,
      PriceUnit: 'USD per 1M characters',
    });
    expect(row('dragonfly/sim-chat-large')).toMatchObject({ WarmOrchCount: 1, PriceMin: 1.1, PriceMax: 1.1, PriceAvg: 1.1 });
  });

  it('?limit trims the rows (count) and keeps the total; above 200 it is clamped', async () => {
    const two = await get('/api/v1/developer/network-models?limit=2', c.jwt);
    expect(two.body).toMatchObject({ count: 2, total: 5 });
    expect(two.body.models.map((r: { Model: string }) => r.Model)).toEqual(['acme/late-chat', 'dragonfly/sim-chat']);
    for (const limit of ['200', '201', '5000', '99999999999999']) {
      const response = await get(`/api/v1/developer/network-models?limit=${limit}`, c.jwt);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ count: 5, total: 5 });
    }
  });

  it.each(['0', '-1', '1.5', 'abc', '1e3', '10&limit=20'])('?limit=%s → 400 BAD_REQUEST', async (limit) => {
    expectError('naap', await get(`/api/v1/developer/network-models?limit=${limit}`, c.jwt), 400, 'BAD_REQUEST');
  });
});

describe('credentials × model routes (dashboard session only)', () => {
  const paths = [
    '/api/v1/developer/models',
    '/api/v1/developer/models/dragonfly%2Fsim-chat',
    '/api/v1/developer/models/dragonfly/sim-chat',
    '/api/v1/developer/network-models',
  ];
  const refused: [string, () => string | undefined, number, string][] = [
    ['none', () => undefined, 401, 'UNAUTHORIZED'],
    ['forged JWT', () => c.jwtForged, 401, 'UNAUTHORIZED'],
    ['forged management key', () => c.mkForged, 401, 'UNAUTHORIZED'],
    ['disabled management key', () => c.mkDisabled, 401, 'UNAUTHORIZED'],
    ['buyer key', () => c.buyerKey, 403, 'FORBIDDEN'],
    ['management key (buyer scope)', () => c.mkBuyer, 403, 'FORBIDDEN'],
    ['management key (seller scope)', () => c.mkSeller, 403, 'FORBIDDEN'],
    ['management key (full scope)', () => c.mkFull, 403, 'FORBIDDEN'],
    ["another account's management key", () => c.other.mkFull, 403, 'FORBIDDEN'],
  ];
  it.each(paths.flatMap((path) => refused.map(([who, token, status, code]) => [path, who, token, status, code] as const)))(
    'GET %s with %s → refused',
    async (path, _who, token, status, code) => {
      expectError('naap', await get(path, token()), status, code);
    },
  );

  it.each(paths)('GET %s with a Basic header → 401', async (path) => {
    expectError('naap', await get(path, undefined, { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'UNAUTHORIZED');
  });

  // The catalog is public market data: every session sees the same answer.
  it.each(paths)('GET %s: the owner, another account and a seller see the same catalog', async (path) => {
    const mine = await get(path, c.jwt);
    expect(mine.status).toBe(200);
    expect((await get(path, c.other.jwt)).body).toEqual(mine.body);
    expect((await get(path, sellerA.jwt)).body).toEqual(mine.body);
  });
});
