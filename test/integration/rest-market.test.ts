// Dragonfly seller supply over REST (/v1/pool/*, /v1/market/listings…, /v1/market/contracts…,
// /v1/market/reviews) through the whole embedded stack and a simulated upstream: the documented
// shapes (money as USD numbers with exact …Micros, lowercase enums), an end-to-end seller flow over
// REST only, the contract lifecycle, bad bodies and query strings, and a credential × route matrix
// (another seller's ids are always 404).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketCreateListingDocument, MarketCreatePoolKeyDocument, MarketUpdateListingDocument } from '../../schema/generated/graphql';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { graphql, rest, insideOneMinuteWindow } from '../helpers/graphql';
import { startTestStack, type TestStack } from '../helpers/stack';
import { expectError } from '../helpers/expect-error';
import { readUntil } from '../helpers/eventually';

const RATE_LIMIT = 400;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

type Response = Awaited<ReturnType<typeof rest>>;

let sim: Simulator;
let stack: TestStack;
let c: Credentials;

beforeAll(async () => {
  sim = await startSimulator(); // any non-empty key is accepted unless a fault says otherwise
  stack = await startTestStack({
    SIMULATOR_URL: sim.url,
    CONTRACT_CHECK_INTERVAL_MS: '0',
    MANAGEMENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
  });
  c = await credentials(stack.url);
});
afterAll(async () => {
  await stack?.stop();
  await sim?.close();
});

const call = (
  method: string,
  path: string,
  token?: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
) => rest(stack.url, method, path, { token, ...options });
const newApiKey = () => `sk-sim-rest-${randomUUID()}`;
let models = 0;
// Each describe has its own seller, and a seller lists its own models under its own handle: the
// describe's beforeAll sets the namespace its seller's models get.
let namespace = 'acme';
const newModel = () => `${namespace}/rest-${++models}`;

// ---- GraphQL fixtures (set-up only; what is tested goes through REST) ----

async function gqlPoolKey(jwt: string, apiKey = newApiKey()): Promise<string> {
  const created = await graphql(stack.url, MarketCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey } }, jwt);
  expect(created.errors).toBeUndefined();
  return created.data!.createPoolKey.id;
}

/** A listing through GraphQL; without a pool key it is a draft (never probed, so nothing races the test's own changes). */
async function gqlListing(
  jwt: string,
  poolKeyId: string | undefined,
  input: Record<string, unknown> = {},
): Promise<{ id: string; contractId: string }> {
  const created = await graphql(
    stack.url,
    MarketCreateListingDocument,
    { input: { poolKeyId, model: newModel(), upstreamModel: 'sim-chat', inputPricePerMTok: '1', outputPricePerMTok: '2', ...input } },
    jwt,
  );
  expect(created.errors).toBeUndefined();
  return { id: created.data!.createListing.id, contractId: created.data!.createListing.contract!.id };
}

/** Polls GET /v1/market/listings/:id until its contract is active. */
async function admitted(id: string, token: string) {
  const response = await readUntil(
    () => call('GET', `/v1/market/listings/${id}`, token),
    (r) => r.body?.contract?.state === 'active',
  );
  expect(response.body.contract.state).toBe('active');
  return response.body;
}

// ---- shapes ---------------------------------------------------------------------------------

const money = (name: string, micros: number | null) => ({ [name]: micros === null ? null : micros / 1e6, [`${name}Micros`]: micros });

const contractShape = (state: string) => ({
  id: expect.any(String),
  listingId: expect.any(String),
  state,
  consecutiveFailures: expect.any(Number),
  latencyMs: expect.toSatisfy((v: unknown) => v === null || typeof v === 'number'),
  ttftMs: expect.toSatisfy((v: unknown) => v === null || typeof v === 'number'),
  tokensPerSecond: expect.toSatisfy((v: unknown) => v === null || typeof v === 'number'),
  lastCheckAt: expect.toSatisfy((v: unknown) => v === null || ISO.test(String(v))),
  lastCheckPassed: expect.toSatisfy((v: unknown) => v === null || typeof v === 'boolean'),
  lastReason: expect.toSatisfy((v: unknown) => v === null || typeof v === 'string'),
  admittedAt: expect.toSatisfy((v: unknown) => v === null || ISO.test(String(v))),
  suspendedAt: expect.toSatisfy((v: unknown) => v === null || ISO.test(String(v))),
  createdAt: expect.stringMatching(ISO),
  updatedAt: expect.stringMatching(ISO),
});

const LISTING_KEYS = [
  'id',
  'model',
  'upstreamModel',
  'capability',
  'status',
  'paused',
  'poolKeyId',
  'provider',
  'inputPricePerMTok',
  'inputPricePerMTokMicros',
  'outputPricePerMTok',
  'outputPricePerMTokMicros',
  'pricePerMChars',
  'pricePerMCharsMicros',
  'cacheReadPricePerMTok',
  'cacheReadPricePerMTokMicros',
  'priceFloor',
  'priceFloorMicros',
  'caps',
  'hardware',
  'context_length',
  'max_output_tokens',
  'supported_parameters',
  'quantization',
  'region',
  'data_policy',
  'contract',
  'pendingPriceReview',
  'verification',
  'createdAt',
  'updatedAt',
  'deletedAt',
];
const PROBE_RUN_KEYS = [
  'id',
  'listingId',
  'kind',
  'capability',
  'upstreamModel',
  'passed',
  'reason',
  'httpStatus',
  'latencyMs',
  'ttftMs',
  'tokensPerSecond',
  'contentChunks',
  'streamSpreadMs',
  'completionTokens',
  'usageReported',
  'startedAt',
  'finishedAt',
];
const CHECK_KEYS = ['id', 'kind', 'passed', 'reason', 'latencyMs', 'ttftMs', 'tokensPerSecond', 'stateBefore', 'stateAfter', 'checkedAt'];

// ---- the seller flow, REST only -------------------------------------------------------------

describe('a seller onboards over REST only', () => {
  it('providers → pool key → listing → admitted → probe runs → contracts and checks → price increase → review → confirm-price', async () => {
    const seller = await signup(stack.url, 'rest-seller');
    const apiKey = newApiKey();

    const providers = await call('GET', '/v1/pool/providers', seller.jwt);
    expect(providers.status).toBe(200);
    expect(Object.keys(providers.body)).toEqual(['providers']);
    expect(providers.body.providers.map((p: { id: string }) => p.id)).toEqual([
      'simulator',
      'openai',
      'deepseek',
      'openrouter',
      'together',
      'groq',
      'mistral',
      'custom',
    ]);
    expect(providers.body.providers[0]).toEqual({
      id: 'simulator',
      name: expect.any(String),
      baseUrl: sim.url,
      capabilities: ['chat', 'embeddings', 'speech'],
      requiresBaseUrl: false,
      acceptsBaseUrl: true,
    });
    expect(providers.body.providers.find((p: { id: string }) => p.id === 'custom')).toMatchObject({ baseUrl: null, requiresBaseUrl: true });

    const key = await call('POST', '/v1/pool/keys', seller.jwt, { body: { provider: 'simulator', apiKey, label: 'main' } });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    expect(key.body).toEqual({
      id: expect.any(String),
      provider: 'simulator',
      label: 'main',
      baseUrl: sim.url,
      keyPreview: `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`,
      status: 'active',
      validatedAt: expect.stringMatching(ISO),
      createdAt: expect.stringMatching(ISO),
      deletedAt: null,
    });
    expect(JSON.stringify(key.body)).not.toContain(apiKey.slice(8));
    const keys = await call('GET', '/v1/pool/keys', seller.jwt);
    expect(keys.body).toEqual({ keys: [key.body] });

    const created = await call('POST', '/v1/market/listings', seller.jwt, {
      body: {
        poolKeyId: key.body.id,
        model: 'acme/rest-flow',
        upstreamModel: 'sim-chat',
        capability: 'chat',
        inputPricePerMTok: 0.15,
        outputPricePerMTok: '2',
        priceFloor: 1,
        caps: { rpm: 600, tpm: 100000, maxConcurrency: 8, dailyTokens: 5_000_000 },
        hardware: { gpuModel: 'H100 80GB', gpuCount: 4 },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(Object.keys(created.body)).toEqual(LISTING_KEYS);
    expect(created.body).toEqual({
      id: expect.any(String),
      model: 'acme/rest-flow',
      upstreamModel: 'sim-chat',
      capability: 'chat',
      status: 'pending',
      paused: false,
      poolKeyId: key.body.id,
      provider: 'simulator',
      ...money('inputPricePerMTok', 150_000),
      ...money('outputPricePerMTok', 2_000_000),
      ...money('pricePerMChars', null),
      ...money('cacheReadPricePerMTok', null),
      ...money('priceFloor', 1_000_000),
      caps: { rpm: 600, tpm: 100000, maxConcurrency: 8, dailyTokens: 5_000_000 },
      hardware: { gpuModel: 'H100 80GB', gpuCount: 4 },
      // No metadata declared: unknown, no parameters, a data policy of all false.
      context_length: null,
      max_output_tokens: null,
      supported_parameters: [],
      quantization: null,
      region: null,
      data_policy: { retains_prompts: false, trains_on_prompts: false, zero_retention: false },
      contract: { ...contractShape('pending'), listingId: created.body.id },
      pendingPriceReview: null,
      // Its own namespace, nothing declared: nothing to verify.
      verification: expect.objectContaining({ status: 'not_required', canonicalModel: null, checks: [] }),
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      deletedAt: null,
    });
    const id = created.body.id;

    const listing = await admitted(id, seller.jwt);
    expect(listing).toMatchObject({ status: 'active', contract: { state: 'active', lastCheckPassed: true, consecutiveFailures: 0 } });
    expect(listing.contract.admittedAt).toMatch(ISO);
    expect((await call('GET', '/v1/market/listings', seller.jwt)).body).toEqual({ listings: [listing] });

    const runs = await call('GET', `/v1/market/listings/${id}/probe-runs`, seller.jwt);
    expect(runs.status).toBe(200);
    expect(Object.keys(runs.body)).toEqual(['probeRuns']);
    expect(runs.body.probeRuns).toHaveLength(1);
    expect(Object.keys(runs.body.probeRuns[0])).toEqual(PROBE_RUN_KEYS);
    expect(runs.body.probeRuns[0]).toMatchObject({
      listingId: id,
      kind: 'admission',
      capability: 'chat',
      upstreamModel: 'sim-chat',
      passed: true,
      reason: null,
      httpStatus: 200,
      usageReported: true,
    });

    const contracts = await call('GET', `/v1/market/listings/${id}/contracts`, seller.jwt);
    expect(contracts.body).toEqual({ contracts: [listing.contract] });
    const checks = await call('GET', `/v1/market/contracts/${listing.contract.id}/checks`, seller.jwt);
    expect(checks.status).toBe(200);
    expect(checks.body.checks).toHaveLength(1);
    expect(Object.keys(checks.body.checks[0])).toEqual(CHECK_KEYS);
    expect(checks.body.checks[0]).toMatchObject({
      kind: 'admission',
      passed: true,
      reason: null,
      stateBefore: 'pending',
      stateAfter: 'active',
      checkedAt: expect.stringMatching(ISO),
    });

    // +150% on the output price: held for review, the listing still routes at the live price.
    const raised = await call('PATCH', `/v1/market/listings/${id}`, seller.jwt, { body: { outputPricePerMTok: 5 } });
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    expect(raised.body).toMatchObject({ status: 'active', ...money('outputPricePerMTok', 2_000_000) });
    const review = {
      id: expect.any(String),
      listingId: id,
      model: 'acme/rest-flow',
      status: 'pending',
      increasePercent: 150,
      current: { ...money('inputPricePerMTok', 150_000), ...money('outputPricePerMTok', 2_000_000), ...money('pricePerMChars', null) },
      proposed: { ...money('inputPricePerMTok', null), ...money('outputPricePerMTok', 5_000_000), ...money('pricePerMChars', null) },
      createdAt: expect.stringMatching(ISO),
      resolvedAt: null,
    };
    expect(raised.body.pendingPriceReview).toEqual(review);
    expect((await call('GET', '/v1/market/reviews', seller.jwt)).body).toEqual({ reviews: [review] });

    const confirmed = await call('POST', `/v1/market/listings/${id}/confirm-price`, seller.jwt);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ ...money('outputPricePerMTok', 5_000_000), pendingPriceReview: null });
    expect((await call('GET', '/v1/market/reviews', seller.jwt)).body).toEqual({ reviews: [] });
    const history = await call('GET', '/v1/market/reviews?includeResolved=true', seller.jwt);
    expect(history.body.reviews).toEqual([{ ...review, status: 'confirmed', resolvedAt: expect.stringMatching(ISO) }]);
    expectError('dragonfly', await call('POST', `/v1/market/listings/${id}/confirm-price`, seller.jwt), 409, 'CONFLICT');

    // The key is in use until the listing is deleted.
    expectError('dragonfly', await call('DELETE', `/v1/pool/keys/${key.body.id}`, seller.jwt), 409, 'CONFLICT');
    const deleted = await call('DELETE', `/v1/market/listings/${id}`, seller.jwt);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id, status: 'deleted', deletedAt: expect.stringMatching(ISO) });
    expectError('dragonfly', await call('GET', `/v1/market/listings/${id}`, seller.jwt), 404, 'NOT_FOUND');
    expect((await call('GET', '/v1/market/listings', seller.jwt)).body).toEqual({ listings: [] });
    const retired = await call('DELETE', `/v1/pool/keys/${key.body.id}`, seller.jwt);
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ id: key.body.id, status: 'deleted', deletedAt: expect.stringMatching(ISO) });
    expect((await call('GET', '/v1/pool/keys', seller.jwt)).body).toEqual({ keys: [] });
  });
});

// ---- pool keys --------------------------------------------------------------------------------

describe('POST /v1/pool/keys', () => {
  let jwt: string;
  beforeAll(async () => {
    jwt = (await signup(stack.url, 'keys')).jwt;
  });

  it('takes a base URL for custom, and answers the same key twice with 409', async () => {
    const apiKey = newApiKey();
    const custom = await call('POST', '/v1/pool/keys', jwt, { body: { provider: 'custom', apiKey, baseUrl: `${sim.url}/` } });
    expect(custom.status).toBe(201);
    expect(custom.body).toMatchObject({ provider: 'custom', baseUrl: sim.url, label: null, status: 'active' });
    expectError(
      'dragonfly',
      await call('POST', '/v1/pool/keys', jwt, { body: { provider: 'custom', apiKey, baseUrl: sim.url } }),
      409,
      'CONFLICT',
    );
  });

  it('a key the provider refuses → 400 naming apiKey; a provider that cannot be reached → 503', async () => {
    const refused = newApiKey();
    sim.setKeyFaults(refused, { status: 401 });
    expectError(
      'dragonfly',
      await call('POST', '/v1/pool/keys', jwt, { body: { provider: 'simulator', apiKey: refused } }),
      400,
      'BAD_USER_INPUT',
      'apiKey',
    );
    expectError(
      'dragonfly',
      await call('POST', '/v1/pool/keys', jwt, { body: { provider: 'simulator', apiKey: newApiKey(), baseUrl: 'http://127.0.0.1:1/v1' } }),
      503,
      'SERVICE_UNAVAILABLE',
    );
    expect((await call('GET', '/v1/pool/keys', jwt)).body.keys.map((k: { provider: string }) => k.provider)).toEqual(['custom']);
  });

  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['no provider', { apiKey: 'sk-sim-0123456789' }, 'provider'],
    ['no apiKey', { provider: 'simulator' }, 'apiKey'],
    ['a null apiKey', { provider: 'simulator', apiKey: null }, 'apiKey'],
    ['an unknown provider', { provider: 'nosuch', apiKey: 'sk-sim-0123456789' }, 'provider'],
    ['a numeric provider', { provider: 42, apiKey: 'sk-sim-0123456789' }, 'provider'],
    ['a short key', { provider: 'simulator', apiKey: 'short' }, 'apiKey'],
    ['a key with spaces', { provider: 'simulator', apiKey: 'has a space in it' }, 'apiKey'],
    ['an array as the key', { provider: 'simulator', apiKey: ['sk-sim-0123456789'] }, 'apiKey'],
    ['custom without a baseUrl', { provider: 'custom', apiKey: 'sk-sim-0123456789' }, 'baseUrl'],
    ['a baseUrl for a catalog provider', { provider: 'openai', apiKey: 'sk-sim-0123456789', baseUrl: 'https://example.com/v1' }, 'baseUrl'],
    ['an ftp baseUrl', { provider: 'custom', apiKey: 'sk-sim-0123456789', baseUrl: 'ftp://example.com/v1' }, 'baseUrl'],
    ['a 101-character label', { provider: 'simulator', apiKey: 'sk-sim-0123456789', label: 'x'.repeat(101) }, 'label'],
    ['an unknown field', { provider: 'simulator', apiKey: 'sk-sim-0123456789', key: 'x' }, undefined],
  ])('refuses %s with 400', async (_name, body, field) => {
    expectError('dragonfly', await call('POST', '/v1/pool/keys', jwt, { body }), 400, 'BAD_USER_INPUT', field);
  });

  it('never echoes the raw key in an error', async () => {
    const secret = 'sk-sim-secret value with spaces';
    const response = await call('POST', '/v1/pool/keys', jwt, { body: { provider: 'simulator', apiKey: secret } });
    expectError('dragonfly', response, 400, 'BAD_USER_INPUT', 'apiKey');
    expect(JSON.stringify(response.body)).not.toContain('secret value');
  });
});

// ---- listings ---------------------------------------------------------------------------------

describe('listings: create, update, pause, delete', () => {
  let jwt: string;
  let poolKeyId: string;
  beforeAll(async () => {
    jwt = (await signup(stack.url, 'listings')).jwt;
    namespace = 'listings';
    poolKeyId = await gqlPoolKey(jwt);
  });
  const create = (body: Record<string, unknown>) =>
    call('POST', '/v1/market/listings', jwt, {
      body: { poolKeyId, model: newModel(), upstreamModel: 'sim-chat', inputPricePerMTok: 1, outputPricePerMTok: 2, ...body },
    });

  it('creates embeddings and speech listings (capability lowercase, per-character price for speech)', async () => {
    const embed = await create({
      upstreamModel: 'sim-embed',
      capability: 'embeddings',
      inputPricePerMTok: '0.02',
      outputPricePerMTok: undefined,
    });
    expect(embed.status, JSON.stringify(embed.body)).toBe(201);
    expect(embed.body).toMatchObject({
      capability: 'embeddings',
      ...money('inputPricePerMTok', 20_000),
      ...money('outputPricePerMTok', 0),
      ...money('pricePerMChars', null),
    });
    const speech = await create({
      upstreamModel: 'sim-tts',
      capability: 'speech',
      inputPricePerMTok: undefined,
      outputPricePerMTok: undefined,
      pricePerMChars: 15.5,
    });
    expect(speech.status, JSON.stringify(speech.body)).toBe(201);
    expect(speech.body).toMatchObject({ capability: 'speech', ...money('pricePerMChars', 15_500_000) });
  });

  it('a draft (no pool key) stays pending; probing it is a 400 naming poolKeyId until PATCH gives it a key', async () => {
    const draft = await create({ poolKeyId: undefined });
    expect(draft.body).toMatchObject({ status: 'pending', poolKeyId: null, provider: null, contract: { state: 'pending' } });
    expectError('dragonfly', await call('POST', `/v1/market/listings/${draft.body.id}/probe`, jwt), 400, 'BAD_USER_INPUT', 'poolKeyId');
    const keyed = await call('PATCH', `/v1/market/listings/${draft.body.id}`, jwt, { body: { poolKeyId } });
    expect(keyed.body).toMatchObject({ poolKeyId, provider: 'simulator' });
    const probe = await call('POST', `/v1/market/listings/${draft.body.id}/probe`, jwt);
    expect(probe.status).toBe(200);
    expect(Object.keys(probe.body)).toEqual(PROBE_RUN_KEYS);
    expect(probe.body).toMatchObject({ listingId: draft.body.id, kind: 'admission', passed: true });
    expectError(
      'dragonfly',
      await call('PATCH', `/v1/market/listings/${draft.body.id}`, jwt, { body: { poolKeyId: null } }),
      400,
      'BAD_USER_INPUT',
      'poolKeyId',
    );
  });

  it('PATCH: caps and hardware field by field (null clears), price floor, a decrease at once, pause and resume', async () => {
    const created = await create({ caps: { rpm: 10, tpm: 1000 }, hardware: { gpuModel: 'A100', gpuCount: 2 } });
    const id = created.body.id;
    await admitted(id, jwt); // so that no admission check lands between the changes below
    const patch = (body: unknown) => call('PATCH', `/v1/market/listings/${id}`, jwt, { body });
    expect((await patch({ caps: { rpm: null, maxConcurrency: 3 } })).body.caps).toEqual({
      rpm: null,
      tpm: 1000,
      maxConcurrency: 3,
      dailyTokens: null,
    });
    expect((await patch({ caps: null })).body.caps).toEqual({ rpm: null, tpm: null, maxConcurrency: null, dailyTokens: null });
    expect((await patch({ hardware: { gpuCount: 8 } })).body.hardware).toEqual({ gpuModel: 'A100', gpuCount: 8 });
    expect((await patch({ hardware: null })).body.hardware).toBeNull();
    expect((await patch({ priceFloor: '2.5', inputPricePerMTok: '0.75' })).body).toMatchObject({
      ...money('priceFloor', 2_500_000),
      ...money('inputPricePerMTok', 750_000),
      pendingPriceReview: null,
    });
    expectError('dragonfly', await patch({ outputPricePerMTok: 1 }), 400, 'BAD_USER_INPUT', 'outputPricePerMTok'); // below the floor
    expect((await patch({ priceFloor: null })).body).toMatchObject(money('priceFloor', null));
    const paused = await patch({ paused: true });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, status: 'paused' });
    const both = await patch({ paused: false, caps: { rpm: 5 } });
    expect(both.body).toMatchObject({ paused: false, status: 'active', caps: { rpm: 5 } });
    // A refused setting pauses nothing.
    expectError('dragonfly', await patch({ paused: true, caps: { rpm: 0 } }), 400, 'BAD_USER_INPUT', 'caps.rpm');
    expect((await call('GET', `/v1/market/listings/${id}`, jwt)).body).toMatchObject({ paused: false, caps: { rpm: 5 } });
  });

  it('a second capability for one model id → 400 naming capability; the same listing twice → 409', async () => {
    const model = newModel();
    expect((await create({ model })).status).toBe(201);
    expectError(
      'dragonfly',
      await create({ model, capability: 'embeddings', upstreamModel: 'sim-embed', outputPricePerMTok: undefined }),
      400,
      'BAD_USER_INPUT',
      'capability',
    );
    expectError('dragonfly', await create({ model }), 409, 'CONFLICT');
  });

  const badCreates: [string, Record<string, unknown>, string | undefined][] = [
    ['no model', { model: undefined }, 'model'],
    ['a model without a vendor', { model: 'no-vendor' }, 'model'],
    ['a numeric model', { model: 7 }, 'model'],
    ['an upstream model with spaces', { upstreamModel: 'sim chat' }, 'upstreamModel'],
    ['an unknown capability', { capability: 'vision' }, 'capability'],
    ['an upper-case capability', { capability: 'CHAT' }, 'capability'],
    ['a negative price', { inputPricePerMTok: -1 }, 'inputPricePerMTok'],
    ['a price with 7 decimals', { outputPricePerMTok: 0.0000001 }, 'outputPricePerMTok'],
    ['a price above 10000', { outputPricePerMTok: '10000.01' }, 'outputPricePerMTok'],
    ['text as a price', { inputPricePerMTok: 'cheap' }, 'inputPricePerMTok'],
    ['a boolean price', { inputPricePerMTok: true }, 'inputPricePerMTok'],
    ['an object price', { inputPricePerMTok: { usd: 1 } }, 'inputPricePerMTok'],
    ['a chat listing without an output price', { outputPricePerMTok: null }, 'outputPricePerMTok'],
    ['a chat listing with a per-character price', { pricePerMChars: 10 }, 'pricePerMChars'],
    ['a price floor above the price', { priceFloor: 3.01 }, 'priceFloor'],
    ['a zero rpm cap', { caps: { rpm: 0 } }, 'caps.rpm'],
    ['a fractional tpm cap', { caps: { tpm: 1.5 } }, 'caps.tpm'],
    ['a text cap', { caps: { maxConcurrency: 'many' } }, 'caps.maxConcurrency'],
    ['an unknown cap', { caps: { burst: 3 } }, 'caps'],
    ['caps as a number', { caps: 5 }, 'caps'],
    ['zero GPUs', { hardware: { gpuCount: 0 } }, 'hardware.gpuCount'],
    ['an empty GPU model', { hardware: { gpuModel: ' ' } }, 'hardware.gpuModel'],
    ['an unknown pool key', { poolKeyId: '00000000-0000-0000-0000-000000000000' }, undefined],
    ['an unknown field', { price: 1 }, undefined],
  ];
  it.each(badCreates)('POST refuses %s', async (name, body, field) => {
    const response = await create(body);
    if (name === 'an unknown pool key') return expectError('dragonfly', response, 404, 'NOT_FOUND');
    expectError('dragonfly', response, 400, 'BAD_USER_INPUT', field);
  });

  it.each<[string, unknown, string | undefined]>([
    ['an empty body', {}, undefined],
    ['paused as text', { paused: 'yes' }, 'paused'],
    ['a null price', { inputPricePerMTok: null }, 'inputPricePerMTok'],
    ['a negative price', { outputPricePerMTok: -0.5 }, 'outputPricePerMTok'],
    ['a negative GPU count', { hardware: { gpuCount: -1 } }, 'hardware.gpuCount'],
    ['an unknown field', { capability: 'speech' }, undefined],
  ])('PATCH refuses %s', async (_name, body, field) => {
    const created = await create({});
    expectError('dragonfly', await call('PATCH', `/v1/market/listings/${created.body.id}`, jwt, { body }), 400, 'BAD_USER_INPUT', field);
  });

  const rawBodies: [string, string, number, string][] = [
    ['an array', '[]', 400, 'BAD_REQUEST'],
    ['a string', '"x"', 400, 'BAD_REQUEST'],
    ['null', 'null', 400, 'BAD_REQUEST'],
    ['malformed JSON', '{"model":', 400, 'BAD_REQUEST'],
    ['an empty JSON body', '', 400, 'BAD_REQUEST'],
    ['2 MiB', `{"model": "a/b", "pad": "${'x'.repeat(2 * 1024 * 1024)}"}`, 413, 'PAYLOAD_TOO_LARGE'],
  ];
  const bodyRoutes: [string, () => Promise<string>][] = [
    ['POST /v1/pool/keys', async () => '/v1/pool/keys'],
    ['POST /v1/market/listings', async () => '/v1/market/listings'],
    ['PATCH /v1/market/listings/:id', async () => `/v1/market/listings/${(await create({})).body.id}`],
  ];
  it.each(
    bodyRoutes.flatMap(([route, path]) => rawBodies.map(([label, raw, status, code]) => [route, label, path, raw, status, code] as const)),
  )('%s refuses %s as the body', async (route, _label, path, rawBody, status, code) => {
    expectError('dragonfly', await call(route.split(' ')[0], await path(), jwt, { rawBody }), status, code);
  });

  it.each(bodyRoutes)('%s refuses a missing body (400) and a non-JSON content type (415)', async (route, path) => {
    const [method] = route.split(' ');
    const url = await path();
    expectError('dragonfly', await call(method, url, jwt), 400, 'BAD_REQUEST');
    expectError(
      'dragonfly',
      await call(method, url, jwt, { rawBody: 'model=a/b', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      'dragonfly',
      await call(method, url, jwt, { rawBody: 'model=a/b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});

// ---- listing metadata (OpenRouter's names) ---------------------------------------------------------

describe("listings: metadata in OpenRouter's names", () => {
  let jwt: string;
  let poolKeyId: string;
  beforeAll(async () => {
    jwt = (await signup(stack.url, 'metadata')).jwt;
    namespace = 'metadata';
    poolKeyId = await gqlPoolKey(jwt);
  });
  // Drafts (no pool key): nothing is probed or verified under the test's own changes.
  const create = (body: Record<string, unknown>, token = jwt) =>
    call('POST', '/v1/market/listings', token, {
      body: { model: newModel(), upstreamModel: 'sim-chat', inputPricePerMTok: 1, outputPricePerMTok: 2, ...body },
    });
  const patch = (id: string, body: unknown, token = jwt) => call('PATCH', `/v1/market/listings/${id}`, token, { body });
  const NONE = {
    context_length: null,
    max_output_tokens: null,
    supported_parameters: [],
    quantization: null,
    region: null,
    data_policy: { retains_prompts: false, trains_on_prompts: false, zero_retention: false },
  };

  it('POST takes every field and answers it; GET reads it back; without any, none is declared', async () => {
    const created = await create({
      context_length: 65_536,
      max_output_tokens: 8192,
      supported_parameters: ['json_object', 'tools', 'tools'],
      quantization: 'bf16',
      region: 'us-east',
      data_policy: { retains_prompts: true, trains_on_prompts: false },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(Object.keys(created.body)).toEqual(LISTING_KEYS);
    const expected = {
      context_length: 65_536,
      max_output_tokens: 8192,
      supported_parameters: ['tools', 'json_object'],
      quantization: 'bf16',
      region: 'us-east',
      data_policy: { retains_prompts: true, trains_on_prompts: false, zero_retention: false },
    };
    expect(created.body).toMatchObject(expected);
    const read = await call('GET', `/v1/market/listings/${created.body.id}`, jwt);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject(expected);
    expect(
      (await call('GET', '/v1/market/listings', jwt)).body.listings.find((l: { id: string }) => l.id === created.body.id),
    ).toMatchObject(expected);
    const bare = await create({});
    expect(bare.body).toMatchObject(NONE);
    // A canonical model's values where the listing declares none.
    const canonical = await create({ model: 'dragonfly/sim-chat' });
    expect(canonical.status).toBe(201);
    expect(canonical.body).toMatchObject({
      context_length: 16_384,
      max_output_tokens: 4096,
      supported_parameters: ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop'],
    });
  });

  it('PATCH: field by field (absent stays, null clears), data_policy one flag at a time (null: all false)', async () => {
    const id = (await create({ context_length: 4096, region: 'eu', data_policy: { trains_on_prompts: true } })).body.id;
    const region = await patch(id, { region: 'eu-west', quantization: 'int4' });
    expect(region.status, JSON.stringify(region.body)).toBe(200);
    expect(region.body).toMatchObject({
      context_length: 4096,
      region: 'eu-west',
      quantization: 'int4',
      data_policy: { trains_on_prompts: true, retains_prompts: false },
    });
    const flags = await patch(id, { data_policy: { retains_prompts: true }, supported_parameters: ['seed'], max_output_tokens: 1024 });
    expect(flags.body).toMatchObject({
      supported_parameters: ['seed'],
      max_output_tokens: 1024,
      data_policy: { retains_prompts: true, trains_on_prompts: true, zero_retention: false },
    });
    const cleared = await patch(id, {
      context_length: null,
      max_output_tokens: null,
      supported_parameters: null,
      quantization: null,
      region: null,
      data_policy: null,
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject(NONE);
    expect((await patch(id, { data_policy: { zero_retention: true } })).body.data_policy).toEqual({
      retains_prompts: false,
      trains_on_prompts: false,
      zero_retention: true,
    });
  });

  it.each<[string, Record<string, unknown>, string, Record<string, unknown>?]>([
    ['a zero context_length', { context_length: 0 }, 'context_length'],
    ['a context_length above 10,000,000', { context_length: 10_000_001 }, 'context_length'],
    ['a text context_length', { context_length: 'long' }, 'context_length'],
    ['a fractional max_output_tokens', { max_output_tokens: 1.5 }, 'max_output_tokens'],
    ['max_output_tokens above context_length', { context_length: 1000, max_output_tokens: 1001 }, 'max_output_tokens'],
    ['an unknown supported parameter', { supported_parameters: ['tools', 'telepathy'] }, 'supported_parameters'],
    ['a numeric supported parameter', { supported_parameters: [5] }, 'supported_parameters[0]'],
    ['an unknown quantization', { quantization: 'fp9' }, 'quantization'],
    ['a numeric quantization', { quantization: 8 }, 'quantization'],
    ['an upper-case region', { region: 'EU-WEST' }, 'region'],
    ['a region of 33 characters', { region: 'r'.repeat(33) }, 'region'],
    ['data_policy as text', { data_policy: 'none' }, 'data_policy'],
    ['an unknown data_policy flag', { data_policy: { sells_prompts: true } }, 'data_policy.sells_prompts'],
    ['a text data_policy flag', { data_policy: { zero_retention: 'yes' } }, 'data_policy.zero_retention'],
    [
      'zero_retention while retaining prompts',
      { data_policy: { retains_prompts: true, zero_retention: true } },
      'data_policy.zero_retention',
    ],
    [
      'zero_retention while training on prompts',
      { data_policy: { trains_on_prompts: true, zero_retention: true } },
      'data_policy.zero_retention',
    ],
    ["a context_length above the canonical model's", { context_length: 16_385 }, 'context_length', { model: 'dragonfly/sim-chat' }],
    ["a max_output_tokens above the canonical model's", { max_output_tokens: 5000 }, 'max_output_tokens', { model: 'dragonfly/sim-chat' }],
  ])('POST and PATCH refuse %s: 400 naming the field, nothing written', async (_name, metadata, field, base = {}) => {
    const before = (await call('GET', '/v1/market/listings', jwt)).body.listings.length;
    const refused = await create({ ...base, ...metadata });
    expectError('dragonfly', refused, 400, 'BAD_USER_INPUT', field);
    expect(refused.body.error.message).toContain(field.split('.').pop());
    expect((await call('GET', '/v1/market/listings', jwt)).body.listings.length).toBe(before);
    const target = await create(base);
    expect(target.status, JSON.stringify(target.body)).toBe(201);
    expectError('dragonfly', await patch(target.body.id, { region: 'kept-out', ...metadata }), 400, 'BAD_USER_INPUT', field);
    expect((await call('GET', `/v1/market/listings/${target.body.id}`, jwt)).body).toMatchObject({ region: null });
  });

  it('refuses the GraphQL spellings (contextLength, dataPolicy) as unknown fields', async () => {
    for (const body of [{ contextLength: 4096 }, { dataPolicy: { zeroRetention: true } }, { supportedParameters: ['tools'] }]) {
      const response = await create(body);
      expectError('dragonfly', response, 400, 'BAD_USER_INPUT');
      expect(response.body.error.details.unknownFields).toEqual(Object.keys(body));
    }
  });

  it("another account can neither read nor change a listing's metadata (404, unchanged); buyer-side credentials are 403, none 401", async () => {
    const id = (await create({ region: 'us', quantization: 'fp16' })).body.id;
    for (const token of [c.other.jwt, c.other.mkFull]) {
      expectError('dragonfly', await call('GET', `/v1/market/listings/${id}`, token), 404, 'NOT_FOUND');
      expectError('dragonfly', await patch(id, { region: 'eu', data_policy: { trains_on_prompts: true } }, token), 404, 'NOT_FOUND');
    }
    for (const token of [c.mkBuyer, c.buyerKey]) expectError('dragonfly', await patch(id, { region: 'eu' }, token), 403, 'FORBIDDEN');
    expectError(
      'dragonfly',
      await call('PATCH', `/v1/market/listings/${id}`, undefined, { body: { region: 'eu' } }),
      401,
      'UNAUTHENTICATED',
    );
    expect((await call('GET', `/v1/market/listings/${id}`, jwt)).body).toMatchObject({
      region: 'us',
      quantization: 'fp16',
      data_policy: { trains_on_prompts: false },
    });
  });

  it('a changed context_length of an admitted listing is verified again (the context check of the new length)', async () => {
    const created = await create({ poolKeyId });
    await admitted(created.body.id, jwt);
    const changed = await patch(created.body.id, { context_length: 2048 });
    expect(changed.status).toBe(200);
    const verified = await readUntil(
      () => call('GET', `/v1/market/listings/${created.body.id}`, jwt),
      (r) => r.body?.verification?.status === 'passed',
    );
    expect(verified.body.verification.checks).toEqual([
      expect.objectContaining({ name: 'context', passed: true, detail: expect.stringContaining('declared 2048') }),
    ]);
  });
});

// ---- contracts, probes and the review queue -----------------------------------------------------

describe('contracts: reverify, suspension, unsuspend; probe runs; query strings', () => {
  let jwt: string;
  let apiKey: string;
  let listingId: string;
  let contractId: string;
  beforeAll(async () => {
    jwt = (await signup(stack.url, 'contracts')).jwt;
    namespace = 'contracts';
    apiKey = newApiKey();
    ({ id: listingId, contractId } = await gqlListing(jwt, await gqlPoolKey(jwt, apiKey)));
    await admitted(listingId, jwt);
  });

  it('ACTIVE → DEGRADED → SUSPENDED on failing re-checks; unsuspend is 409 until a passing check, then 200', async () => {
    const reverify = async () => {
      const response = await call('POST', `/v1/market/contracts/${contractId}/reverify`, jwt);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(Object.keys(response.body)).toEqual([...CHECK_KEYS, 'contract']);
      return response.body;
    };
    sim.setKeyFaults(apiKey, { status: 500 });
    expect(await reverify()).toMatchObject({
      kind: 'reverify',
      passed: false,
      stateBefore: 'active',
      stateAfter: 'degraded',
      contract: { id: contractId, listingId, state: 'degraded', consecutiveFailures: 1 },
    });
    expect((await reverify()).stateAfter).toBe('degraded');
    const suspended = await reverify();
    expect(suspended).toMatchObject({ stateAfter: 'suspended', contract: { state: 'suspended', suspendedAt: expect.stringMatching(ISO) } });
    expect((await call('GET', `/v1/market/listings/${listingId}`, jwt)).body.status).toBe('suspended');

    expectError('dragonfly', await call('POST', `/v1/market/contracts/${contractId}/unsuspend`, jwt), 409, 'CONFLICT');
    sim.setKeyFaults(apiKey, null);
    expect(await reverify()).toMatchObject({ passed: true, stateBefore: 'suspended', stateAfter: 'suspended' });
    const back = await call('POST', `/v1/market/contracts/${contractId}/unsuspend`, jwt);
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ ...contractShape('active'), id: contractId, listingId, consecutiveFailures: 0 });
    expectError('dragonfly', await call('POST', `/v1/market/contracts/${contractId}/unsuspend`, jwt), 409, 'CONFLICT');

    const checks = await call('GET', `/v1/market/contracts/${contractId}/checks`, jwt);
    expect(checks.body.checks.map((check: { stateAfter: string }) => check.stateAfter)).toEqual([
      'suspended',
      'suspended',
      'degraded',
      'degraded',
      'active',
    ]);
    const limited = await call('GET', `/v1/market/contracts/${contractId}/checks?limit=2`, jwt);
    expect(limited.body.checks).toHaveLength(2);
  });

  it('probe-runs lists newest first, ?limit trims', async () => {
    const probe = await call('POST', `/v1/market/listings/${listingId}/probe`, jwt);
    expect(probe.body).toMatchObject({ kind: 'admission', passed: true });
    const runs = await call('GET', `/v1/market/listings/${listingId}/probe-runs`, jwt);
    expect(runs.body.probeRuns[0].id).toBe(probe.body.id);
    expect(runs.body.probeRuns.length).toBeGreaterThanOrEqual(3);
    expect((await call('GET', `/v1/market/listings/${listingId}/probe-runs?limit=1`, jwt)).body.probeRuns).toEqual([probe.body]);
  });

  it.each([
    ['/v1/market/contracts/:contract/checks?limit=0', 'limit'],
    ['/v1/market/contracts/:contract/checks?limit=501', 'limit'],
    ['/v1/market/contracts/:contract/checks?limit=x', 'limit'],
    ['/v1/market/contracts/:contract/checks?limit=1.5', 'limit'],
    ['/v1/market/listings/:listing/probe-runs?limit=-1', 'limit'],
    ['/v1/market/listings/:listing/probe-runs?limit=abc', 'limit'],
    ['/v1/market/reviews?includeResolved=yes', 'includeResolved'],
  ])('GET %s → 400 naming %s', async (path, field) => {
    const url = path.replace(':contract', contractId).replace(':listing', listingId);
    expectError('dragonfly', await call('GET', url, jwt), 400, 'BAD_USER_INPUT', field);
  });

  it('unknown ids → 404', async () => {
    const unknown = '00000000-0000-0000-0000-000000000000';
    for (const [method, path] of [
      ['GET', `/v1/market/listings/${unknown}`],
      ['PATCH', `/v1/market/listings/${unknown}`],
      ['DELETE', `/v1/market/listings/${unknown}`],
      ['POST', `/v1/market/listings/${unknown}/confirm-price`],
      ['POST', `/v1/market/listings/${unknown}/probe`],
      ['GET', `/v1/market/listings/${unknown}/probe-runs`],
      ['GET', `/v1/market/listings/${unknown}/contracts`],
      ['GET', `/v1/market/contracts/${unknown}/checks`],
      ['POST', `/v1/market/contracts/${unknown}/reverify`],
      ['POST', `/v1/market/contracts/${unknown}/unsuspend`],
      ['DELETE', `/v1/pool/keys/${unknown}`],
    ]) {
      expectError('dragonfly', await call(method, path, jwt, method === 'PATCH' ? { body: { caps: null } } : {}), 404, 'NOT_FOUND');
    }
  });
});

// ---- credentials ----------------------------------------------------------------------------

describe('credential × route matrix', () => {
  type CredentialName =
    | 'none'
    | 'basic'
    | 'forgedJwt'
    | 'forgedMk'
    | 'buyerKey'
    | 'mkDisabled'
    | 'jwt'
    | 'mkBuyer'
    | 'mkSeller'
    | 'mkFull'
    | 'otherJwt'
    | 'otherMk';
  interface Route {
    method: string;
    name: string;
    /** The path, with a fresh object of the owner's where the route changes it. */
    path: () => Promise<string>;
    body?: () => unknown;
    ok: number;
    /** Whether the route names one of the owner's objects (another account: 404); else it lists or creates the caller's own. */
    owned: boolean;
    /** For list routes: whether the answer shows the owner's objects. */
    mine?: (body: any) => boolean;
  }
  let shared: { poolKeyId: string; listingId: string; contractId: string };
  beforeAll(async () => {
    namespace = 'matrix';
    const poolKeyId = await gqlPoolKey(c.jwt);
    const listing = await gqlListing(c.jwt, poolKeyId);
    await admitted(listing.id, c.jwt);
    await graphql(stack.url, MarketUpdateListingDocument, { id: listing.id, input: { outputPricePerMTok: '9' } }, c.jwt); // a pending review of the owner's
    shared = { poolKeyId, listingId: listing.id, contractId: listing.contractId };
  });
  const freshListing = async () => (await gqlListing(c.jwt, undefined)).id;

  const routes: Route[] = [
    { method: 'GET', name: '/v1/pool/providers', path: async () => '/v1/pool/providers', ok: 200, owned: false },
    {
      method: 'GET',
      name: '/v1/pool/keys',
      path: async () => '/v1/pool/keys',
      ok: 200,
      owned: false,
      mine: (body) => body.keys.some((k: { id: string }) => k.id === shared.poolKeyId),
    },
    {
      method: 'POST',
      name: '/v1/pool/keys',
      path: async () => '/v1/pool/keys',
      body: () => ({ provider: 'simulator', apiKey: newApiKey() }),
      ok: 201,
      owned: false,
    },
    { method: 'DELETE', name: '/v1/pool/keys/:id', path: async () => `/v1/pool/keys/${await gqlPoolKey(c.jwt)}`, ok: 200, owned: true },
    {
      method: 'GET',
      name: '/v1/market/listings',
      path: async () => '/v1/market/listings',
      ok: 200,
      owned: false,
      mine: (body) => body.listings.some((l: { id: string }) => l.id === shared.listingId),
    },
    // Another account names the owner's pool key: 404, and nothing is created.
    {
      method: 'POST',
      name: '/v1/market/listings',
      path: async () => '/v1/market/listings',
      body: () => ({ poolKeyId: shared.poolKeyId, model: newModel(), inputPricePerMTok: 1, outputPricePerMTok: 1 }),
      ok: 201,
      owned: true,
    },
    { method: 'GET', name: '/v1/market/listings/:id', path: async () => `/v1/market/listings/${shared.listingId}`, ok: 200, owned: true },
    {
      method: 'PATCH',
      name: '/v1/market/listings/:id',
      path: async () => `/v1/market/listings/${shared.listingId}`,
      body: () => ({ caps: { rpm: 100 } }),
      ok: 200,
      owned: true,
    },
    // Metadata that is no claim to verify (so no re-verification runs under the other rows).
    {
      method: 'PATCH',
      name: '/v1/market/listings/:id (metadata)',
      path: async () => `/v1/market/listings/${shared.listingId}`,
      body: () => ({ region: 'eu-west', quantization: 'fp8', data_policy: { zero_retention: true } }),
      ok: 200,
      owned: true,
    },
    {
      method: 'DELETE',
      name: '/v1/market/listings/:id',
      path: async () => `/v1/market/listings/${await freshListing()}`,
      ok: 200,
      owned: true,
    },
    {
      method: 'POST',
      name: '/v1/market/listings/:id/confirm-price',
      ok: 200,
      owned: true,
      path: async () => {
        const id = await freshListing();
        await graphql(stack.url, MarketUpdateListingDocument, { id, input: { outputPricePerMTok: '9' } }, c.jwt);
        return `/v1/market/listings/${id}/confirm-price`;
      },
    },
    {
      method: 'GET',
      name: '/v1/market/reviews',
      path: async () => '/v1/market/reviews',
      ok: 200,
      owned: false,
      mine: (body) => body.reviews.some((r: { listingId: string }) => r.listingId === shared.listingId),
    },
    {
      method: 'GET',
      name: '/v1/market/listings/:id/contracts',
      path: async () => `/v1/market/listings/${shared.listingId}/contracts`,
      ok: 200,
      owned: true,
    },
    {
      method: 'GET',
      name: '/v1/market/contracts/:id/checks',
      path: async () => `/v1/market/contracts/${shared.contractId}/checks`,
      ok: 200,
      owned: true,
    },
    {
      method: 'POST',
      name: '/v1/market/contracts/:id/reverify',
      path: async () => `/v1/market/contracts/${shared.contractId}/reverify`,
      ok: 200,
      owned: true,
    },
    // The owner's contract is active: unsuspending it is a conflict, which still proves the credential got through.
    {
      method: 'POST',
      name: '/v1/market/contracts/:id/unsuspend',
      path: async () => `/v1/market/contracts/${shared.contractId}/unsuspend`,
      ok: 409,
      owned: true,
    },
    {
      method: 'POST',
      name: '/v1/market/listings/:id/probe',
      path: async () => `/v1/market/listings/${shared.listingId}/probe`,
      ok: 200,
      owned: true,
    },
    {
      method: 'GET',
      name: '/v1/market/listings/:id/probe-runs',
      path: async () => `/v1/market/listings/${shared.listingId}/probe-runs`,
      ok: 200,
      owned: true,
    },
  ];

  function expected(credential: CredentialName, route: Route): [number, string | null] {
    switch (credential) {
      case 'none':
      case 'basic':
      case 'forgedJwt':
      case 'forgedMk':
      case 'mkDisabled':
        return [401, 'UNAUTHENTICATED'];
      case 'buyerKey':
      case 'mkBuyer':
        return [403, 'FORBIDDEN'];
      case 'otherJwt':
      case 'otherMk':
        return route.owned ? [404, 'NOT_FOUND'] : [route.ok, null];
      case 'jwt':
      case 'mkSeller':
      case 'mkFull':
        return route.ok === 409 ? [409, 'CONFLICT'] : [route.ok, null];
    }
  }

  const tokens = (): Record<CredentialName, string | undefined> => ({
    none: undefined,
    basic: undefined,
    forgedJwt: c.jwtForged,
    forgedMk: c.mkForged,
    buyerKey: c.buyerKey,
    mkDisabled: c.mkDisabled,
    jwt: c.jwt,
    mkBuyer: c.mkBuyer,
    mkSeller: c.mkSeller,
    mkFull: c.mkFull,
    otherJwt: c.other.jwt,
    otherMk: c.other.mkFull,
  });
  const names: CredentialName[] = [
    'none',
    'basic',
    'forgedJwt',
    'forgedMk',
    'buyerKey',
    'mkDisabled',
    'jwt',
    'mkBuyer',
    'mkSeller',
    'mkFull',
    'otherJwt',
    'otherMk',
  ];
  const table = names.flatMap((credential) => routes.map((route) => [credential, `${route.method} ${route.name}`, route] as const));

  it.each(table)('%s × %s', async (credential, _name, route) => {
    const [status, code] = expected(credential, route);
    const token = tokens()[credential];
    const headers: Record<string, string> =
      credential === 'basic' ? { authorization: 'Basic dXNlcjpwYXNz' } : token ? { authorization: `Bearer ${token}` } : {};
    const path = await route.path();
    const response = await call(route.method, path, undefined, { body: route.body?.(), headers });
    if (code) return expectError('dragonfly', response, status, code);
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    if (route.mine) expect(route.mine(response.body)).toBe(!credential.startsWith('other'));
  });

  it("another account's DELETE of the owner's listing and pool key deletes nothing", async () => {
    const listingId = await freshListing();
    const keyId = await gqlPoolKey(c.jwt);
    expectError('dragonfly', await call('DELETE', `/v1/market/listings/${listingId}`, c.other.jwt), 404, 'NOT_FOUND');
    expectError('dragonfly', await call('DELETE', `/v1/pool/keys/${keyId}`, c.other.mkFull), 404, 'NOT_FOUND');
    expect((await call('GET', `/v1/market/listings/${listingId}`, c.jwt)).body.status).not.toBe('deleted');
    expect((await call('GET', '/v1/pool/keys', c.jwt)).body.keys.map((k: { id: string }) => k.id)).toContain(keyId);
  });
});

describe('rate limit', () => {
  it(`answers 429 RATE_LIMITED with Retry-After past ${RATE_LIMIT} requests a minute per credential`, async () => {
    await insideOneMinuteWindow();
    const owner = await signup(stack.url, 'busy');
    let first429: Response | null = null;
    let sent = 0;
    // Cheap requests (a 400 from the adapter); a minute boundary can reset the count once.
    while (!first429 && sent < RATE_LIMIT * 2 + 100) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => call('GET', '/v1/market/reviews?includeResolved=x', owner.jwt)));
      const index = batch.findIndex((response) => response.status === 429);
      if (index >= 0) first429 = batch[index];
      sent += batch.length;
    }
    expect(first429).not.toBeNull();
    expectError('dragonfly', first429!, 429, 'RATE_LIMITED');
    const retryAfter = Number(first429!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await call('GET', '/v1/market/reviews', c.mkFull)).status).toBe(200);
  });
});
