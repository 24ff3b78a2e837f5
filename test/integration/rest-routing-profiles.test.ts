// Dragonfly routing profiles over REST (/api/routing/profiles): OpenRouter-style names mapped onto
// market's routing-profile input (order → providerOrder, allow/deny → allow/denyProviders,
// maxPrice {input, output} → the two price ceilings, allow_supply/deny_supply/supply_order → the
// supply lists by seller handle, seller id or listing id), defaults, partial updates, errors naming the
// REST field, bad bodies, and a credential × route matrix (buyer side: seller-scoped management
// keys are 403; another account's profile ids are 404).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { rest } from '../helpers/graphql';
import { startTestStack, type TestStack } from '../helpers/stack';
import { expectError } from '../helpers/expect-error';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PROFILE_KEYS = [
  'id',
  'name',
  'sort',
  'order',
  'allow',
  'deny',
  'allow_supply',
  'deny_supply',
  'supply_order',
  'maxPrice',
  'allowFallbacks',
  'fallbackModels',
  'timeoutMs',
  'maxRetries',
  'streamIdleTimeoutMs',
  'createdAt',
  'updatedAt',
];

let stack: TestStack;
let c: Credentials;

beforeAll(async () => {
  stack = await startTestStack({ CONTRACT_CHECK_INTERVAL_MS: '0' });
  c = await credentials(stack.url);
});
afterAll(async () => {
  await stack?.stop();
});

const call = (
  method: string,
  path: string,
  token?: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
) => rest(stack.url, method, path, { token, ...options });
let names = 0;
const newName = () => `profile ${++names}`;

const noCeilings = { input: null, inputMicros: null, output: null, outputMicros: null };

describe('POST and GET /api/routing/profiles', () => {
  let jwt: string;
  beforeAll(async () => {
    jwt = (await signup(stack.url, 'router')).jwt;
  });

  it('creates a profile with every field under its REST name: 201', async () => {
    const response = await call('POST', '/api/routing/profiles', jwt, {
      body: {
        name: 'fast and cheap',
        sort: 'latency',
        order: ['simulator', 'openai'],
        allow: ['simulator', 'openai', 'deepseek'],
        deny: ['groq'],
        allow_supply: ['acme', 'globex', '6f1c1d3e-8a51-4c55-9a0b-3b8d3b2b2c11'],
        deny_supply: ['initech'],
        supply_order: ['globex', 'acme', 'globex'],
        maxPrice: { input: 1.5, output: '3.000001' },
        allowFallbacks: false,
        fallbackModels: ['acme/a', 'acme/b'],
        timeoutMs: 30_000,
        maxRetries: 2,
        streamIdleTimeoutMs: 5_000,
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(Object.keys(response.body)).toEqual(PROFILE_KEYS);
    expect(response.body).toEqual({
      id: expect.any(String),
      name: 'fast and cheap',
      sort: 'latency',
      order: ['simulator', 'openai'],
      allow: ['simulator', 'openai', 'deepseek'],
      deny: ['groq'],
      // Duplicates dropped, order kept.
      allow_supply: ['acme', 'globex', '6f1c1d3e-8a51-4c55-9a0b-3b8d3b2b2c11'],
      deny_supply: ['initech'],
      supply_order: ['globex', 'acme'],
      maxPrice: { input: 1.5, inputMicros: 1_500_000, output: 3.000001, outputMicros: 3_000_001 },
      allowFallbacks: false,
      fallbackModels: ['acme/a', 'acme/b'],
      timeoutMs: 30_000,
      maxRetries: 2,
      streamIdleTimeoutMs: 5_000,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
  });

  it('fills the defaults from the name alone, and lists profiles oldest first', async () => {
    const response = await call('POST', '/api/routing/profiles', jwt, { body: { name: 'defaults' } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      name: 'defaults',
      sort: 'price',
      order: [],
      allow: null,
      deny: [],
      allow_supply: null,
      deny_supply: [],
      supply_order: [],
      maxPrice: noCeilings,
      allowFallbacks: true,
      fallbackModels: [],
      timeoutMs: null,
      maxRetries: null,
      streamIdleTimeoutMs: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    const list = await call('GET', '/api/routing/profiles', jwt);
    expect(list.status).toBe(200);
    expect(Object.keys(list.body)).toEqual(['profiles']);
    expect(list.body.profiles.map((p: { name: string }) => p.name)).toEqual(['fast and cheap', 'defaults']);
    expect(list.body.profiles[1]).toEqual(response.body);
  });

  it('a duplicate name → 409; the 101st profile → 403 QUOTA_EXCEEDED', async () => {
    const owner = (await signup(stack.url, 'quota')).jwt;
    expect((await call('POST', '/api/routing/profiles', owner, { body: { name: 'twice' } })).status).toBe(201);
    expectError('dragonfly', await call('POST', '/api/routing/profiles', owner, { body: { name: 'twice' } }), 409, 'CONFLICT');
    for (let batch = 0; batch < 3; batch++) {
      const created = await Promise.all(
        Array.from({ length: 33 }, (_, i) => call('POST', '/api/routing/profiles', owner, { body: { name: `p${batch}-${i}` } })),
      );
      expect(created.every((r) => r.status === 201)).toBe(true);
    }
    expectError('dragonfly', await call('POST', '/api/routing/profiles', owner, { body: { name: 'one too many' } }), 403, 'QUOTA_EXCEEDED');
  });

  it('a profile made over REST binds to a buyer key (PATCH /api/keys/:id)', async () => {
    const profile = await call('POST', '/api/routing/profiles', c.jwt, { body: { name: newName() } });
    const bound = await call('PATCH', `/api/keys/${c.buyerKeyId}`, c.jwt, { body: { routingProfileId: profile.body.id } });
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    expect(bound.body.routingProfileId).toBe(profile.body.id);
  });
});

describe('PATCH /api/routing/profiles/:id', () => {
  let jwt: string;
  let id: string;
  beforeAll(async () => {
    jwt = (await signup(stack.url, 'patcher')).jwt;
    const created = await call('POST', '/api/routing/profiles', jwt, {
      body: {
        name: 'base',
        sort: 'throughput',
        order: ['openai'],
        allow: ['openai', 'groq'],
        maxPrice: { input: 1, output: 2 },
        timeoutMs: 5000,
        maxRetries: 1,
      },
    });
    id = created.body.id;
  });
  const patch = (body: unknown) => call('PATCH', `/api/routing/profiles/${id}`, jwt, { body });

  it('changes only what it is given; absent stays, null resets', async () => {
    const renamed = await patch({ name: 'renamed', fallbackModels: ['acme/x'] });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      name: 'renamed',
      sort: 'throughput',
      order: ['openai'],
      allow: ['openai', 'groq'],
      fallbackModels: ['acme/x'],
      timeoutMs: 5000,
      maxRetries: 1,
    });
    expect(Object.keys(renamed.body)).toEqual(PROFILE_KEYS);
    // One ceiling at a time; maxPrice: null clears both.
    expect((await patch({ maxPrice: { output: 2.5 } })).body.maxPrice).toEqual({
      input: 1,
      inputMicros: 1_000_000,
      output: 2.5,
      outputMicros: 2_500_000,
    });
    expect((await patch({ maxPrice: { input: null } })).body.maxPrice).toEqual({
      input: null,
      inputMicros: null,
      output: 2.5,
      outputMicros: 2_500_000,
    });
    expect((await patch({ maxPrice: null })).body.maxPrice).toEqual(noCeilings);
    const reset = await patch({ sort: null, order: null, allow: null, timeoutMs: null, maxRetries: null, allowFallbacks: false });
    expect(reset.body).toMatchObject({ sort: 'price', order: [], allow: null, timeoutMs: null, maxRetries: null, allowFallbacks: false });
    expect((await patch({ sort: 'latency', deny: ['mistral'] })).body).toMatchObject({ sort: 'latency', deny: ['mistral'] });
    // The supply lists: each set on its own, null resets (allow_supply to everyone).
    expect((await patch({ allow_supply: ['acme'], supply_order: ['acme'] })).body).toMatchObject({
      allow_supply: ['acme'],
      deny_supply: [],
      supply_order: ['acme'],
    });
    expect((await patch({ deny_supply: ['initech'] })).body).toMatchObject({
      allow_supply: ['acme'],
      deny_supply: ['initech'],
      supply_order: ['acme'],
    });
    expect((await patch({ allow_supply: null, deny_supply: null, supply_order: null })).body).toMatchObject({
      allow_supply: null,
      deny_supply: [],
      supply_order: [],
    });
    expect(Date.parse(reset.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(renamed.body.createdAt));
  });

  it("renaming onto another profile's name → 409", async () => {
    await call('POST', '/api/routing/profiles', jwt, { body: { name: 'taken' } });
    expectError('dragonfly', await patch({ name: 'taken' }), 409, 'CONFLICT');
  });

  it('an unknown id → 404', async () => {
    expectError(
      'dragonfly',
      await call('PATCH', '/api/routing/profiles/00000000-0000-0000-0000-000000000000', jwt, { body: { name: 'x' } }),
      404,
      'NOT_FOUND',
    );
  });
});

describe('bad bodies', () => {
  let jwt: string;
  let id: string;
  beforeAll(async () => {
    jwt = (await signup(stack.url, 'bad')).jwt;
    id = (await call('POST', '/api/routing/profiles', jwt, { body: { name: 'target' } })).body.id;
  });

  // Each names the REST field the caller sent, never the GraphQL input's name.
  const invalid: [string, Record<string, unknown>, string | undefined][] = [
    ['an unknown sort', { sort: 'cheapest' }, 'sort'],
    ['an upper-case sort', { sort: 'PRICE' }, 'sort'],
    ['an unknown provider in order', { order: ['nosuch'] }, 'order'],
    ['a number in order', { order: [1] }, 'order[0]'],
    ['an empty allow list', { allow: [] }, 'allow'],
    ['an unknown provider in allow', { allow: ['nosuch'] }, 'allow'],
    ['an unknown provider in deny', { deny: ['nosuch'] }, 'deny'],
    ['a provider both allowed and denied', { allow: ['openai'], deny: ['openai'] }, 'deny'],
    ['a negative input ceiling', { maxPrice: { input: -1 } }, 'maxPrice.input'],
    ['text as an output ceiling', { maxPrice: { output: 'cheap' } }, 'maxPrice.output'],
    ['an output ceiling with 7 decimals', { maxPrice: { output: 0.0000001 } }, 'maxPrice.output'],
    ['a boolean ceiling', { maxPrice: { input: true } }, 'maxPrice.input'],
    ['maxPrice as a number', { maxPrice: 5 }, 'maxPrice'],
    ['maxPrice as an array', { maxPrice: [1, 2] }, 'maxPrice'],
    ['an unknown maxPrice field', { maxPrice: { prompt: 1 } }, 'maxPrice.prompt'],
    ['a timeout under 1 s', { timeoutMs: 999 }, 'timeoutMs'],
    ['a fractional timeout', { timeoutMs: 1500.5 }, 'timeoutMs'],
    ['an idle timeout under 1 s', { streamIdleTimeoutMs: 10 }, 'streamIdleTimeoutMs'],
    ['11 retries', { maxRetries: 11 }, 'maxRetries'],
    ['negative retries', { maxRetries: -1 }, 'maxRetries'],
    ['text as allowFallbacks', { allowFallbacks: 'yes' }, 'allowFallbacks'],
    ['a bad fallback model id', { fallbackModels: ['Not A Model'] }, 'fallbackModels'],
    ['11 fallback models', { fallbackModels: Array.from({ length: 11 }, (_, i) => `acme/m${i}`) }, 'fallbackModels'],
    ['an empty name', { name: ' ' }, 'name'],
    ['a 101-character name', { name: 'x'.repeat(101) }, 'name'],
    ['a numeric name', { name: 5 }, 'name'],
    ['an empty allow_supply list', { allow_supply: [] }, 'allow_supply'],
    ['51 allow_supply entries', { allow_supply: Array.from({ length: 51 }, (_, i) => `seller-${i}`) }, 'allow_supply'],
    ['an empty deny_supply entry', { deny_supply: [' '] }, 'deny_supply'],
    ['a 65-character supply_order entry', { supply_order: ['x'.repeat(65)] }, 'supply_order'],
    ['51 supply_order entries', { supply_order: Array.from({ length: 51 }, (_, i) => `seller-${i}`) }, 'supply_order'],
    ['a number in deny_supply', { deny_supply: [7] }, 'deny_supply[0]'],
    ['allow_supply as text', { allow_supply: { acme: true } }, 'allow_supply'],
    ['a seller both allowed and denied', { allow_supply: ['acme'], deny_supply: ['acme'] }, 'deny_supply'],
    ['an unknown field', { providerOrder: ['openai'] }, undefined],
    ['the GraphQL spelling allowSupply', { allowSupply: ['acme'] }, undefined],
  ];
  it.each(invalid)('POST refuses %s → 400', async (_label, body, field) => {
    expectError(
      'dragonfly',
      await call('POST', '/api/routing/profiles', jwt, { body: { name: newName(), ...body } }),
      400,
      'BAD_USER_INPUT',
      field,
    );
  });
  it.each(invalid)('PATCH refuses %s → 400', async (_label, body, field) => {
    expectError('dragonfly', await call('PATCH', `/api/routing/profiles/${id}`, jwt, { body }), 400, 'BAD_USER_INPUT', field);
  });

  it("words the domain's message with the REST names", async () => {
    const response = await call('POST', '/api/routing/profiles', jwt, {
      body: { name: newName(), maxPrice: { input: -1 }, order: ['openai'] },
    });
    expectError('dragonfly', response, 400, 'BAD_USER_INPUT', 'maxPrice.input');
    expect(response.body.error.message).toMatch(/^maxPrice\.input must be/);
    const order = await call('PATCH', `/api/routing/profiles/${id}`, jwt, { body: { order: ['nosuch'] } });
    expect(order.body.error.message).toMatch(/^order entry "nosuch" is not a provider/);
    expect(JSON.stringify([response.body, order.body])).not.toMatch(/providerOrder|PricePerMTok/);
  });

  it('POST without a name → 400 naming name; PATCH with nothing → 400', async () => {
    expectError('dragonfly', await call('POST', '/api/routing/profiles', jwt, { body: { sort: 'price' } }), 400, 'BAD_USER_INPUT', 'name');
    expectError('dragonfly', await call('POST', '/api/routing/profiles', jwt, { body: { name: null } }), 400, 'BAD_USER_INPUT', 'name');
    expectError('dragonfly', await call('PATCH', `/api/routing/profiles/${id}`, jwt, { body: {} }), 400, 'BAD_USER_INPUT');
  });

  it('refused changes left the profile as it was', async () => {
    const list = await call('GET', '/api/routing/profiles', jwt);
    expect(list.body.profiles).toEqual([
      expect.objectContaining({
        id,
        name: 'target',
        sort: 'price',
        order: [],
        allow: null,
        deny: [],
        allow_supply: null,
        deny_supply: [],
        supply_order: [],
        maxPrice: noCeilings,
        timeoutMs: null,
        maxRetries: null,
      }),
    ]);
  });

  const raw: [string, string, number, string][] = [
    ['an array', '[]', 400, 'BAD_REQUEST'],
    ['a number', '5', 400, 'BAD_REQUEST'],
    ['null', 'null', 400, 'BAD_REQUEST'],
    ['malformed JSON', '{"name":', 400, 'BAD_REQUEST'],
    ['an empty JSON body', '', 400, 'BAD_REQUEST'],
    ['2 MiB', `{"name": "${'x'.repeat(2 * 1024 * 1024)}"}`, 413, 'PAYLOAD_TOO_LARGE'],
  ];
  it.each(
    raw.flatMap(
      ([label, body, status, code]) =>
        [
          ['POST', label, body, status, code],
          ['PATCH', label, body, status, code],
        ] as const,
    ),
  )('%s refuses %s as the body', async (method, _label, rawBody, status, code) => {
    const path = method === 'POST' ? '/api/routing/profiles' : `/api/routing/profiles/${id}`;
    expectError('dragonfly', await call(method, path, jwt, { rawBody }), status, code);
  });

  it.each(['POST', 'PATCH'])('%s refuses a missing body (400) and a non-JSON content type (415)', async (method) => {
    const path = method === 'POST' ? '/api/routing/profiles' : `/api/routing/profiles/${id}`;
    expectError('dragonfly', await call(method, path, jwt), 400, 'BAD_REQUEST');
    expectError(
      'dragonfly',
      await call(method, path, jwt, { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});

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
  let ownerProfileId: string;
  beforeAll(async () => {
    ownerProfileId = (await call('POST', '/api/routing/profiles', c.jwt, { body: { name: 'owner profile', sort: 'latency' } })).body.id;
  });
  const routes: [string, string, () => string, (() => unknown) | undefined, number, boolean][] = [
    // method, name, path, body, success status, whether it names the owner's profile
    ['GET', '/api/routing/profiles', () => '/api/routing/profiles', undefined, 200, false],
    ['POST', '/api/routing/profiles', () => '/api/routing/profiles', () => ({ name: newName() }), 201, false],
    ['PATCH', '/api/routing/profiles/:id', () => `/api/routing/profiles/${ownerProfileId}`, () => ({ maxRetries: 3 }), 200, true],
    [
      'PATCH',
      '/api/routing/profiles/:id (supply)',
      () => `/api/routing/profiles/${ownerProfileId}`,
      () => ({ allow_supply: ['acme'], deny_supply: ['initech'], supply_order: ['acme'] }),
      200,
      true,
    ],
  ];
  function expected(credential: CredentialName, ok: number, owned: boolean): [number, string | null] {
    switch (credential) {
      case 'none':
      case 'basic':
      case 'forgedJwt':
      case 'forgedMk':
      case 'mkDisabled':
        return [401, 'UNAUTHENTICATED'];
      case 'buyerKey':
      case 'mkSeller':
        return [403, 'FORBIDDEN'];
      case 'otherJwt':
      case 'otherMk':
        return owned ? [404, 'NOT_FOUND'] : [ok, null];
      case 'jwt':
      case 'mkBuyer':
      case 'mkFull':
        return [ok, null];
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
  const credentialNames: CredentialName[] = [
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
  const table = credentialNames.flatMap((credential) => routes.map((route) => [credential, `${route[0]} ${route[1]}`, route] as const));

  it.each(table)('%s × %s', async (credential, _name, [method, , path, body, ok, owned]) => {
    const [status, code] = expected(credential, ok, owned);
    const token = tokens()[credential];
    const headers: Record<string, string> =
      credential === 'basic' ? { authorization: 'Basic dXNlcjpwYXNz' } : token ? { authorization: `Bearer ${token}` } : {};
    const response = await call(method, path(), undefined, { body: body?.(), headers });
    if (code) return expectError('dragonfly', response, status, code);
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    if (method === 'GET') {
      const ids = response.body.profiles.map((p: { id: string }) => p.id);
      expect(ids.includes(ownerProfileId)).toBe(!credential.startsWith('other'));
    } else {
      expect(Object.keys(response.body)).toEqual(PROFILE_KEYS);
    }
  });

  it("another account's PATCH changed nothing of the owner's profile", async () => {
    expectError(
      'dragonfly',
      await call('PATCH', `/api/routing/profiles/${ownerProfileId}`, c.other.jwt, { body: { name: 'hijacked', sort: 'price' } }),
      404,
      'NOT_FOUND',
    );
    const owner = (await call('GET', '/api/routing/profiles', c.jwt)).body.profiles.find((p: { id: string }) => p.id === ownerProfileId);
    expect(owner).toMatchObject({ name: 'owner profile', sort: 'latency' });
  });
});
