// Scaled answers what embedded answers. One embedded stack (one process, SQLite, in-memory bus) and
// one scaled stack (four subgraph processes and a gateway process, PostgreSQL, Redis) get the same
// fixtures, built in the same order, and then the same requests in the same order: a fixed-seed set
// of cases to every route the gateway serves (valid, mutated and malformed bodies, documented and
// junk query strings, real, foreign and random path parameters, valid, foreign and forged
// credentials), GraphQL documents with mutated variables, and pinned bad inputs that once differed.
// Every answer's status and envelope code must be the same on both stacks. Ids and credentials
// differ between the stacks: a case is written with the embedded stack's and each of them is
// replaced by its scaled counterpart before it is sent there.
// Knobs: PARITY_SEED, PARITY_RUNS_PER_ROUTE (default 3; CI keeps it bounded), PARITY_TRACE=1 logs every case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startSimulator } from '../../gateway/simulator/server';
import { startEmbeddedStack, startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { rest } from '../helpers/graphql';
import { credentials, managementKey, signup, type Credentials } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { listRoutes, surfaceOf, type Route, type Surface } from '../helpers/rest-surfaces';

if (!HAVE_SCALED_SERVICES) logSkip('scaled answers what embedded answers (status and envelope code of the same requests)');

const SEED = Number(process.env.PARITY_SEED ?? 20261203);
const RUNS_PER_ROUTE = Number(process.env.PARITY_RUNS_PER_ROUTE ?? 3);
const GRAPHQL_RUNS = RUNS_PER_ROUTE * 12;
const SIM_KEY = 'sk-sim-parity';

/** The same settings on both stacks: no limit a burst of cases could reach, no scheduled background writes. */
const SETTINGS = {
  MANAGEMENT_RATE_LIMIT_PER_MINUTE: '1000000',
  AUTH_RATE_LIMIT_PER_ADDRESS: '1000000',
  LOGIN_RATE_LIMIT_PER_EMAIL: '1000000',
  SETTLEMENT_INTERVAL_MS: '0',
  CONTRACT_CHECK_INTERVAL_MS: '0',
  // A brokered login provider whose token endpoint is closed (the exchange fails fast, alike).
  OAUTH_PROVIDERS: JSON.stringify({
    daydream: { authorizeUrl: 'https://auth.example.test/authorize', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'parity-client' },
  }),
};

// ---- fixtures: the same objects on each stack ------------------------------------------------------

interface Fixtures {
  a: Credentials;
  /** A funded buyer whose keys call the data plane (A can read them but never change them). */
  b: { jwt: string; key: string; keyId: string; limitedKey: string };
  ids: Record<'apiKey' | 'group' | 'managementKey' | 'listing' | 'poolKey' | 'routingProfile' | 'developerKey', string[]>;
  /** Sessions of another account, for the logout routes. */
  logoutJwts: string[];
  requestIds: string[];
}

async function ok<T = any>(response: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const answer = await response;
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function buildFixtures(url: string): Promise<Fixtures> {
  const a = await credentials(url);
  const seller = await signup(url, 'seller');
  const sellerPool = await poolKey(url, seller.jwt, SIM_KEY);
  const chat = await admittedListing(url, seller.jwt, {
    poolKeyId: sellerPool,
    model: 'dragonfly/sim-chat',
    upstreamModel: 'sim-chat',
    inputPricePerMTok: '1',
    outputPricePerMTok: '2',
  });
  await admittedListing(url, seller.jwt, {
    poolKeyId: sellerPool,
    model: 'dragonfly/sim-embed',
    upstreamModel: 'sim-embed',
    capability: 'EMBEDDINGS',
    inputPricePerMTok: '0.02',
  });
  const buyer = await fundedBuyer(url, '50');
  const limited = await ok(
    rest(url, 'POST', '/api/keys', { token: buyer.jwt, body: { name: 'tiny', limit: 0.000001, cycle: 'daily' } }),
    'limited key',
  );
  const aPool = await ok(
    rest(url, 'POST', '/v1/pool/keys', { token: a.jwt, body: { provider: 'simulator', apiKey: 'sim-owner', label: 'owner' } }),
    'pool key',
  );
  const aListing = await ok(
    rest(url, 'POST', '/v1/market/listings', {
      token: a.jwt,
      body: { model: 'owner/sim-chat', upstreamModel: 'sim-chat', poolKeyId: aPool.id, inputPricePerMTok: 1, outputPricePerMTok: 2 },
    }),
    'listing',
  );
  const group = await ok(
    rest(url, 'POST', '/api/keys/groups', { token: a.jwt, body: { name: 'parity group', monthlyBudget: 5 } }),
    'group',
  );
  const profile = await ok(
    rest(url, 'POST', '/api/routing/profiles', { token: a.jwt, body: { name: 'parity profile', sort: 'price' } }),
    'routing profile',
  );
  const spareKeys = [];
  for (const i of [1, 2])
    spareKeys.push(await ok(rest(url, 'POST', '/api/keys', { token: a.jwt, body: { name: `spare ${i}` } }), 'spare key'));
  const spareMks = [];
  for (const i of [1, 2]) spareMks.push(await managementKey(url, a.jwt, 'BUYER', `spare ${i}`));
  const devKey = await ok(
    rest(url, 'POST', '/api/v1/developer/keys', {
      token: a.jwt,
      body: { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-parity', label: 'parity' },
    }),
    'developer key',
  );
  const otherGroup = await ok(rest(url, 'POST', '/api/keys/groups', { token: a.other.jwt, body: { name: 'other group' } }), 'other group');
  const answer = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 }),
  });
  if (answer.status !== 200) throw new Error(`fixture call: ${answer.status} ${await answer.text()}`);
  const leaving = await signup(url, 'leaving');
  const logoutJwts = [leaving.jwt];
  for (let i = 0; i < 2; i++)
    logoutJwts.push(
      (await ok(rest(url, 'POST', '/api/auth/login', { body: { email: leaving.email, password: 'password-123' } }), 'login')).token,
    );
  return {
    a,
    b: { jwt: buyer.jwt, key: buyer.key, keyId: buyer.keyId, limitedKey: limited.key },
    ids: {
      apiKey: [...spareKeys.map((k) => k.id), buyer.keyId],
      group: [group.id, otherGroup.id],
      managementKey: spareMks.map((k) => k.id),
      listing: [aListing.id, chat],
      poolKey: [aPool.id, sellerPool],
      routingProfile: [profile.id],
      developerKey: [devKey.data.key.id],
    },
    logoutJwts,
    requestIds: [answer.headers.get('x-request-id')!],
  };
}

/** Every string that differs between the two stacks' fixtures, paired by position, longest first. */
function translation(embedded: unknown, scaled: unknown, pairs: [string, string][] = []): [string, string][] {
  if (typeof embedded === 'string' && typeof scaled === 'string') {
    if (embedded !== scaled) pairs.push([embedded, scaled]);
  } else if (embedded && scaled && typeof embedded === 'object' && typeof scaled === 'object') {
    for (const key of Object.keys(embedded))
      translation((embedded as Record<string, unknown>)[key], (scaled as Record<string, unknown>)[key], pairs);
  }
  return pairs.sort(([x], [y]) => y.length - x.length);
}

// ---- cases ------------------------------------------------------------------------------------------

interface Case {
  method: string;
  /** The route pattern (for the envelope), and the path and query sent. */
  route: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const nasty = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null,
      '',
      ' ',
      0,
      -1,
      1e308,
      -1e-7,
      0.1234567891,
      123456789012345,
      2 ** 31,
      Number.MAX_SAFE_INTEGER + 2,
      '1e400',
      'NaN',
      true,
      [],
      {},
      [null],
      'x'.repeat(300),
      'x'.repeat(5000),
      '\u0000',
      'a\u0000b',
      '\ud800',
      '🦄'.repeat(50),
      'not-a-date',
      '2026-13-45T99:99:99Z',
      '1970-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '275760-09-13T00:00:00.000Z',
      '-000001-01-01T00:00:00Z',
      "'; drop table accounts; --",
      '10.0.0.0/33',
      '::1/129',
      '1.2.3.4',
      [1, 2],
      ['x'.repeat(300)],
      'FULL',
      'buyer',
      'seller',
      'daily',
      'WEEKLY',
      'bp_sandbox',
      '__proto__',
    ),
  },
);

const unique = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 6, maxLength: 10 });
const futureIso = new Date(Date.now() + 30 * 86_400_000).toISOString();

/** A valid body per route, to be sent as is or mutated (so handlers run past their own checks). */
function template(route: Route, fx: Fixtures): fc.Arbitrary<Record<string, unknown>> | null {
  switch (`${route.method} ${route.path}`) {
    case 'POST /api/auth/signup':
      return unique.map((u) => ({ email: `pa-${u}@example.com`, password: 'password-123', name: `pa ${u}` }));
    case 'POST /api/auth/login':
      return fc.constantFrom({ email: fx.a.email, password: 'password-123' }, { email: fx.a.email, password: 'wrong-password' });
    case 'POST /api/keys':
      return unique.map((u) => ({
        name: `pa ${u}`,
        limit: 1.5,
        cycle: 'monthly',
        ipAllow: ['10.0.0.0/8'],
        allowedModels: ['dragonfly/sim-chat'],
        expiredAt: futureIso,
      }));
    case 'PATCH /api/keys/:id':
      return fc.constantFrom(
        { name: 'renamed', limit: 2, cycle: 'weekly' },
        { groupId: fx.ids.group[0] },
        { routingProfileId: fx.ids.routingProfile[0] },
        { ipDeny: ['192.168.0.0/16'], expiredAt: null },
        { expiredAt: futureIso },
      );
    case 'POST /api/keys/groups':
    case 'PATCH /api/keys/groups/:id':
      return unique.map((u) => ({ name: `group ${u}`, monthlyBudget: 10, rpmLimit: 60 }));
    case 'POST /api/management-keys':
      return unique.map((u) => ({ name: `mk ${u}`, mgmt_scope: 'buyer' }));
    case 'POST /api/billing/topups':
      return fc.constantFrom({ amount: 1 }, { amount: '0.5' });
    case 'POST /api/billing/disputes':
      return fc.constantFrom({ requestId: fx.requestIds[0], reason: 'wrong answer' }, { requestId: 'req_nope', reason: 'x' });
    case 'POST /v1/pool/keys':
      return unique.map((u) => ({ provider: 'simulator', apiKey: `sim-${u}`, label: u }));
    case 'POST /v1/market/listings':
      return unique.map((u) => ({
        model: `owner/${u}`,
        upstreamModel: 'sim-chat',
        poolKeyId: fx.ids.poolKey[0],
        inputPricePerMTok: 1,
        outputPricePerMTok: 2,
        capability: 'chat',
      }));
    case 'POST /v1/market/seller/handle':
      return fc.constantFrom({ handle: 'owner' }, { handle: 'openai' }, { handle: 'Not A Handle' });
    case 'PATCH /v1/market/listings/:id':
      return fc.constantFrom({ inputPricePerMTok: 1.1 }, { paused: true }, { paused: false }, { caps: { maxConcurrency: 2, rpm: 10 } });
    case 'POST /v1/market/earnings/convert':
    case 'POST /v1/market/payouts':
      return fc.constantFrom({ amount: 1 }, { amount: '0.01' });
    case 'POST /api/routing/profiles':
    case 'PATCH /api/routing/profiles/:id':
      return unique.map((u) => ({
        name: `profile ${u}`,
        sort: 'latency',
        order: ['simulator'],
        maxPrice: { input: 1, output: 2 },
        allowFallbacks: true,
        timeoutMs: 5000,
        maxRetries: 1,
      }));
    case 'POST /v1/management-keys':
      return unique.map((u) => ({ name: `dgrid ${u}`, scope: 'full' }));
    case 'PUT /v1/management-keys/:id':
      return unique.map((u) => ({ name: `renamed ${u}` }));
    case 'POST /api/v1/model-router/keys':
      return unique.map((u) => ({ name: `router ${u}`, limit: 3, cycle: 'daily', expiredAt: futureIso, groupId: fx.ids.group[0] }));
    case 'PUT /api/v1/model-router/keys/:id':
      return fc.constantFrom({ name: 'renamed' }, { limit: 4, cycle: 'monthly' }, { groupId: null }, { expiredAt: futureIso });
    case 'POST /api/v1/developer/keys':
      return unique.map((u) => ({ billingProviderId: 'bp_sandbox', rawApiKey: `provider-${u}`, label: u, projectName: `p ${u}` }));
    case 'POST /api/v1/developer/projects':
      return unique.map((u) => ({ name: `project ${u}` }));
    case 'POST /v1/chat/completions':
      return fc.record({
        model: fc.constantFrom('dragonfly/sim-chat', 'acme/nope'),
        messages: fc.constant([{ role: 'user', content: 'Say hi' }]),
        max_tokens: fc.constantFrom(3, 8),
        stream: fc.boolean(),
      });
    case 'POST /v1/completions':
      return fc.record({
        model: fc.constant('dragonfly/sim-chat'),
        prompt: fc.constantFrom<unknown>('Once upon', [1, 2]),
        max_tokens: fc.constant(3),
      });
    case 'POST /v1/responses':
      return fc.record({
        model: fc.constant('dragonfly/sim-chat'),
        input: fc.constantFrom<unknown>('Say hi', [{ role: 'user', content: 'hi' }]),
        max_output_tokens: fc.constant(3),
      });
    case 'POST /v1/messages':
    case 'POST /v1/messages/count_tokens':
      return fc.record({
        model: fc.constant('dragonfly/sim-chat'),
        max_tokens: fc.constant(3),
        messages: fc.constant([{ role: 'user', content: 'Say hi' }]),
      });
    case 'POST /v1/embeddings':
      return fc.record({
        model: fc.constantFrom('dragonfly/sim-embed', 'dragonfly/sim-chat'),
        input: fc.constantFrom<unknown>('hello', ['a', 'b'], [[1, 2]]),
      });
    case 'POST /v1/audio/speech':
      return fc.record({ model: fc.constant('dragonfly/sim-tts'), input: fc.constant('hi'), voice: fc.constant('alloy') });
    default:
      return null;
  }
}

type Mutation = { op: 'drop' | 'set' | 'add'; index: number; value: unknown; name: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('drop', 'set', 'set', 'add'),
  index: fc.nat(),
  value: nasty,
  name: fc.constantFrom('id', 'accountId', 'scope', 'status', 'enabled', 'limit', 'expiredAt', 'groupId', 'name', 'x'),
});

function mutate(body: Record<string, unknown>, mutations: Mutation[]): unknown {
  const out: Record<string, unknown> = { ...body };
  for (const m of mutations) {
    const keys = Object.keys(out);
    const target = keys.length ? keys[m.index % keys.length] : m.name;
    if (m.op === 'drop') delete out[target];
    else if (m.op === 'set') out[target] = m.value;
    else out[m.name] = m.value;
  }
  return out;
}

const malformed = fc.constantFrom(
  '',
  'null',
  '[]',
  '"x"',
  '1',
  '{"a":',
  "{'a':1}",
  '{"__proto__":{"x":1}}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
);

function bodyArb(route: Route, fx: Fixtures): fc.Arbitrary<string | undefined> {
  if (route.method === 'GET' || route.method === 'OPTIONS' || route.method === 'HEAD') return fc.constant(undefined);
  const t = template(route, fx);
  if (!t) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(undefined, '{}') }, { weight: 1, arbitrary: malformed });
  return fc.oneof(
    { weight: 2, arbitrary: t.map((body) => JSON.stringify(body)) },
    {
      weight: 5,
      arbitrary: fc.tuple(t, fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([body, ms]) => JSON.stringify(mutate(body, ms))),
    },
    { weight: 1, arbitrary: malformed },
  );
}

/** The credentials a route takes (most cases get past authentication), then others and forged ones. */
function tokenArb(route: Route, surface: Surface, fx: Fixtures): fc.Arbitrary<string | undefined> {
  const a = fx.a;
  const p = route.path;
  const valid: (string | undefined)[] = p.startsWith('/api/auth/logout')
    ? fx.logoutJwts
    : p.startsWith('/api/v1/model-router/')
      ? [a.mkFull, a.mkBuyer]
      : p.startsWith('/v1/management-keys') || p.startsWith('/api/management-keys')
        ? [a.jwt]
        : p.startsWith('/v1/market/') || p.startsWith('/v1/pool/')
          ? [a.jwt, a.mkFull, a.mkSeller]
          : surface === 'dragonfly'
            ? [a.jwt, a.mkFull, a.mkBuyer]
            : surface === 'openai' || surface === 'anthropic'
              ? [fx.b.key, fx.b.key, fx.b.limitedKey]
              : surface === 'graphql'
                ? [a.jwt, a.mkFull, undefined]
                : surface === 'naap' || surface === 'dgrid'
                  ? [a.jwt]
                  : [undefined];
  const others = [
    undefined,
    a.mkDisabled,
    a.mkForged,
    a.jwtForged,
    a.other.jwt,
    a.other.mkFull,
    fx.b.key,
    a.mkSeller,
    `${a.jwt.slice(0, -3)}abc`,
  ];
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 2, arbitrary: fc.constantFrom(...others) });
}

function realIds(route: Route, fx: Fixtures): string[] {
  const p = route.path;
  if (p.includes(':slug')) return ['daydream', 'sandbox'];
  if (p.endsWith('/*')) return ['dragonfly/sim-chat', encodeURIComponent('dragonfly/sim-embed'), 'acme/nope'];
  if (p.startsWith('/api/keys/groups/')) return fx.ids.group;
  if (p.startsWith('/api/keys/') || p.startsWith('/api/v1/model-router/keys/')) return fx.ids.apiKey;
  if (p.startsWith('/api/v1/developer/keys/')) return fx.ids.developerKey;
  if (p.startsWith('/api/management-keys/') || p.startsWith('/v1/management-keys/')) return fx.ids.managementKey;
  if (p.startsWith('/v1/market/listings/')) return fx.ids.listing;
  if (p.startsWith('/v1/pool/keys/')) return fx.ids.poolKey;
  if (p.startsWith('/api/routing/profiles/')) return fx.ids.routingProfile;
  if (p.startsWith('/api/usage/requests/')) return fx.requestIds;
  return [];
}

const randomParam = fc.constantFrom(
  '0',
  '-1',
  'null',
  'me',
  '00000000-0000-0000-0000-000000000000',
  'a'.repeat(100),
  '%00',
  "'%20or%20'1'%3D'1",
  'x%2Fy',
  'req_nope',
);

function pathArb(route: Route, fx: Fixtures): fc.Arbitrary<string> {
  const params = [...route.path.matchAll(/:(\w+)|\*/g)];
  if (params.length === 0) return fc.constant(route.path);
  const real = realIds(route, fx);
  const param = real.length
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: randomParam })
    : randomParam;
  return fc.array(param, { minLength: params.length, maxLength: params.length }).map((values) => {
    let i = 0;
    return route.path.replace(/:(\w+)|\*/g, () => values[i++]);
  });
}

const QUERY_VALUES = [
  '1',
  '0',
  '-1',
  '20',
  '201',
  '1000000000',
  'abc',
  '',
  'true',
  'nope',
  'day',
  'hour',
  '24h',
  '2026-01-01T00:00:00Z',
  'not-a-date',
  '275760-09-13T00:00:00.000Z',
  '%00',
];
const QUERY_NAMES = [
  'page',
  'pageSize',
  'size',
  'limit',
  'from',
  'to',
  'interval',
  'timeframe',
  'days',
  'period',
  'type',
  'id',
  'after',
  'status',
  'keyId',
  'model',
  'tag',
  'user',
  'includeReleased',
  'login_session_id',
  'state',
  'code',
];
const queryArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom(...QUERY_NAMES), fc.constantFrom(...QUERY_VALUES)), { minLength: 1, maxLength: 3 })
      .map((pairs) => `?${pairs.map(([n, v]) => `${n}=${v}`).join('&')}`),
  },
);

function caseArb(route: Route, fx: Fixtures): fc.Arbitrary<Case> {
  const surface = surfaceOf(route.path)!;
  return fc
    .record({
      path: pathArb(route, fx),
      query: route.method === 'GET' ? queryArb : fc.constant(''),
      token: tokenArb(route, surface, fx),
      body: bodyArb(route, fx),
    })
    .map(({ path, query, token, body }) => ({
      method: route.method,
      route: route.path,
      path: path + query,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(route.path === '/graphql' ? { 'apollo-require-preflight': 'true' } : {}),
      },
      body,
    }));
}

/** GraphQL documents whose variables are mutated: a variable that does not coerce is where the topologies once differed. */
function graphqlArb(fx: Fixtures): fc.Arbitrary<Case> {
  const documents: [query: string, variables: Record<string, unknown>][] = [
    ['query ($id: ID!) { apiKey(id: $id) { id name expiredAt } }', { id: fx.ids.apiKey[0] }],
    [
      'query ($from: DateTimeISO, $to: DateTimeISO) { usage(from: $from, to: $to) { requests cost { usd } } }',
      { from: '2026-01-01T00:00:00Z', to: null },
    ],
    [
      'query ($page: Int!, $pageSize: Int!) { apiKeys(page: $page, pageSize: $pageSize) { total items { id } } }',
      { page: 1, pageSize: 20 },
    ],
    [
      'mutation ($input: CreateApiKeyInput) { createApiKey(input: $input) { apiKey { id } } }',
      { input: { name: 'gql key', limit: '1', cycle: 'DAILY', expiredAt: futureIso } },
    ],
    [
      'mutation ($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { id } }',
      { id: fx.ids.apiKey[0], input: { name: 'gql renamed' } },
    ],
    [
      'mutation ($input: CreateKeyGroupInput!) { createKeyGroup(input: $input) { id } }',
      { input: { name: 'gql group', monthlyBudget: '3' } },
    ],
    ['mutation ($amount: String!) { topUp(amount: $amount) { balance { usd } } }', { amount: '0.25' }],
    [
      'query ($t: String, $l: Int) { kpi(timeframe: $t) { timeframeHours } pipelines(timeframe: $t, limit: $l) { name } }',
      { t: '24', l: 5 },
    ],
  ];
  const variables = fc
    .tuple(fc.constantFrom(...documents), fc.array(mutation, { minLength: 0, maxLength: 2 }), fc.boolean())
    .map(([[query, vars], ms, deep]) => {
      // Mutate the input object itself when there is one (its fields are where coercion runs).
      const mutated =
        deep && vars.input && typeof vars.input === 'object'
          ? { ...vars, input: mutate(vars.input as Record<string, unknown>, ms) }
          : mutate(vars, ms);
      return JSON.stringify({ query, variables: mutated });
    });
  return fc.tuple(variables, fc.constantFrom(fx.a.jwt, fx.a.mkFull, fx.a.mkBuyer)).map(([body, token]) => ({
    method: 'POST',
    route: '/graphql',
    path: '/graphql',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
    body,
  }));
}

// ---- comparing answers --------------------------------------------------------------------------------

/** What a client tells apart: the status and the surface envelope's error code (GraphQL: every error's code). */
interface Seen {
  status: number;
  code: unknown;
}

async function send(url: string, c: Case): Promise<Seen> {
  const response = await fetch(`${url}${c.path}`, {
    method: c.method,
    headers: c.headers,
    body: c.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, code: envelopeCode(surfaceOf(c.route), json) };
}

function envelopeCode(surface: Surface | null, json: any): unknown {
  if (!json || typeof json !== 'object') return null;
  switch (surface) {
    case 'dgrid':
      return json.code ?? null;
    case 'graphql':
      return Array.isArray(json.errors) ? json.errors.map((e: any) => e?.extensions?.code ?? null) : null;
    case 'openai':
      return json.error ? (json.error.code ?? json.error.type ?? null) : null;
    case 'anthropic':
      return json.error ? (json.error.details?.error_code ?? json.error.type ?? null) : null;
    default:
      return json.error?.code ?? (typeof json.error === 'string' ? json.error : null);
  }
}

// ---- the property -----------------------------------------------------------------------------------

describe.skipIf(!HAVE_SCALED_SERVICES)('scaled answers what embedded answers', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let embedded: TestStack;
  let scaled: TestStack;
  let fx: Fixtures;
  let toScaled: (text: string) => string;
  let routes: Route[];
  let compared = 0;
  let differed = 0;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: [SIM_KEY, 'sim-owner'] });
    [embedded, scaled] = await Promise.all([
      startEmbeddedStack({ ...SETTINGS, SIMULATOR_URL: sim.url }),
      startScaledStack({ ...SETTINGS, SIMULATOR_URL: sim.url }),
    ]);
    const [fxEmbedded, fxScaled] = await Promise.all([buildFixtures(embedded.url), buildFixtures(scaled.url)]);
    fx = fxEmbedded;
    const pairs = translation(fxEmbedded, fxScaled);
    toScaled = (text) => pairs.reduce((out, [from, to]) => out.split(from).join(to), text);
    routes = listRoutes(embedded.platform!.gateway).filter((r) => r.method !== 'HEAD' && surfaceOf(r.path) !== null);
  }, 90_000);

  afterAll(async () => {
    if (compared) console.log(`compared ${compared} requests on both topologies (seed ${SEED}); ${differed} differed`);
    await Promise.allSettled([embedded?.stop(), scaled?.stop()]);
    await sim?.close();
  });

  /** Sends a case to both stacks (the scaled one with its own ids and credentials): the difference, or null. */
  async function compare(c: Case): Promise<string | null> {
    const translated: Case = {
      ...c,
      path: toScaled(c.path),
      headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, toScaled(v)])),
      body: c.body === undefined ? undefined : toScaled(c.body),
    };
    const [e, s] = await Promise.all([send(embedded.url, c), send(scaled.url, translated)]);
    compared++;
    const line = `${c.method} ${c.path} ${c.body?.slice(0, 200) ?? ''}\n    embedded ${JSON.stringify(e)}  scaled ${JSON.stringify(s)}`;
    if (process.env.PARITY_TRACE) console.log(line);
    if (JSON.stringify(e) === JSON.stringify(s)) return null;
    differed++;
    return line;
  }

  async function differencesOf(cases: Case[]): Promise<string[]> {
    const differences: string[] = [];
    // One at a time: both stacks see the same sequence of writes.
    for (const c of cases) {
      const difference = await compare(c);
      if (difference) differences.push(difference);
    }
    return differences;
  }

  it('bad inputs that once differed answer alike (DGrid expiredAt "not-a-date" was 500/50001 scaled)', async () => {
    const pinned: Case[] = [
      ['POST', '/api/v1/model-router/keys', fx.a.mkFull, { name: 'x', expiredAt: 'not-a-date' }],
      ['PUT', `/api/v1/model-router/keys/${fx.ids.apiKey[0]}`, fx.a.mkFull, { expiredAt: 'not-a-date' }],
      ['POST', '/api/keys', fx.a.jwt, { name: 'x', expiredAt: 'not-a-date' }],
      ['PATCH', `/api/keys/${fx.ids.apiKey[0]}`, fx.a.jwt, { expiredAt: '2026-13-45T99:99:99Z' }],
      [
        'POST',
        '/graphql',
        fx.a.jwt,
        {
          query: 'mutation ($input: CreateApiKeyInput) { createApiKey(input: $input) { apiKey { id } } }',
          variables: { input: { name: 'x', expiredAt: 'not-a-date' } },
        },
      ],
      [
        'POST',
        '/graphql',
        fx.a.jwt,
        { query: 'query ($from: DateTimeISO) { usage(from: $from) { requests } }', variables: { from: 'yesterday' } },
      ],
      [
        'POST',
        '/graphql',
        fx.a.jwt,
        { query: 'query ($page: Int!) { apiKeys(page: $page, pageSize: 5) { total } }', variables: { page: 'one' } },
      ],
      ['GET', '/api/usage?from=not-a-date', fx.a.jwt, undefined],
    ].map(([method, path, token, body]) => ({
      method: method as string,
      route: (path as string).split('?')[0],
      path: path as string,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json', 'apollo-require-preflight': 'true' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    }));
    const differences = await differencesOf(pinned);
    const dgrid = await send(scaled.url, {
      ...pinned[0],
      headers: { authorization: `Bearer ${toScaled(fx.a.mkFull)}`, 'content-type': 'application/json' },
    });
    expect(dgrid).toEqual({ status: 400, code: 40001 });
    expect(differences, differences.join('\n')).toEqual([]);
  });

  it('a fixed-seed set of requests to every route, bad inputs included, answers alike', async () => {
    expect(routes.length).toBeGreaterThan(100);
    const cases: Case[] = [];
    routes.forEach((route, index) => cases.push(...fc.sample(caseArb(route, fx), { numRuns: RUNS_PER_ROUTE, seed: SEED + index })));
    cases.push(...fc.sample(graphqlArb(fx), { numRuns: GRAPHQL_RUNS, seed: SEED }));
    const differences = await differencesOf(cases);
    expect(differences, differences.join('\n')).toEqual([]);
  }, 120_000);
});
