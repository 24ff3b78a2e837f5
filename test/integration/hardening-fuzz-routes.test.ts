// Property-based hardening of every HTTP route the gateway serves (issue 8, "Done when"):
// thousands of random and mutated bodies, query strings, path parameters and headers — with no,
// forged, truncated and valid credentials of each kind, so handlers also run deep — to every
// route the running fastify app lists (REST surfaces, the /v1 data plane, /graphql GET and POST,
// health, metrics; the list is read from the app, so a route added later is fuzzed too), and to
// methods and paths no route serves under each surface. For each answer:
//   - never a 5xx (a healthy stack has no documented 503 to give either);
//   - never a stack trace, a file path or an internal error class name in the body;
//   - always the route's own surface envelope (a route no envelope is known for fails the test);
//   - a refused request (4xx, or GraphQL errors without data) wrote nothing: every table of every
//     subgraph database is identical before and after it (test/helpers/store-fingerprint.ts);
//     the same is checked after every successful read;
//   - a /v1 call the provider refused (the gateway forwarded it: `upstream_*`) moved no money:
//     balances, ledger, spend counters and priced usage are unchanged (it is still metered as a
//     failed request — usage record at zero cost, job feed entry — as README's data plane says).
// A successful write is followed by a wait until the store is quiet (usage batches, job feed,
// admission probes), so that its background work is never blamed on the next request.
// Knobs: FUZZ_SEED, FUZZ_RUNS_PER_ROUTE (default 24), FUZZ_TRACE (a regex over "surface status"
// that logs matching cases). Bugs it found whose fixes are elsewhere are pinned as regression checks at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, OperationTypeNode } from 'graphql';
import Fastify from 'fastify';
import { createRequire } from 'node:module';
import { restFrameworkErrors } from '../../gateway/rest/envelopes';
import { acceptsGraphQLResult } from '../../gateway/http-security';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { credentials, managementKey, signup, type Credentials } from '../helpers/credentials';
import { rest } from '../helpers/graphql';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { StoreFingerprint, moneyView, type StoreSnapshot } from '../helpers/store-fingerprint';
import { envelopeProblem, leakProblem, listRoutes, surfaceOf, type Answer, type Route, type Surface } from '../helpers/rest-surfaces';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
/** Cases per route and method (HEAD runs the GET handler; fewer of those). */
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS_PER_ROUTE ?? 24);
const RUNS_PER_HEAD_ROUTE = Math.max(2, Math.round(RUNS_PER_ROUTE / 4));
const GRAPHQL_RUNS = { POST: RUNS_PER_ROUTE * 16, GET: RUNS_PER_ROUTE * 6 };
const STRAY_RUNS = RUNS_PER_ROUTE * 10;
/** Surfaces with few routes but deep handlers get more cases per route. */
const SURFACE_WEIGHT: Partial<Record<Surface, number>> = { openai: 4, anthropic: 3, dgrid: 1.5, 'naap-oauth': 1.5 };
/** Node's default limit for a request's head is 16 KiB; cases stay well inside it. */
const MAX_QUERY_CHARS = 5000;
const MAX_HEADER_CHARS = 6000;

// ---- the stack and its fixtures -------------------------------------------------------------

interface Fixtures {
  /** The fuzzed account (A): dashboard JWT, management keys of each scope, its own objects. */
  a: Credentials;
  /** A funded buyer (B) whose keys call the data plane. */
  b: { jwt: string; key: string; keyId: string; limitedKey: string; restrictedKey: string };
  /** Real ids per kind of path parameter: A's own (so handlers run deep), and other accounts' (must be refused). */
  ids: Record<'apiKey' | 'group' | 'managementKey' | 'listing' | 'contract' | 'poolKey' | 'routingProfile' | 'developerKey', string[]>;
  models: string[];
  loginSessions: string[];
  states: string[];
  requestIds: string[];
  /** Sessions of another account for the logout routes (logging out A's own session would end the run's coverage). */
  logoutJwts: string[];
}

let stack: TestStack;
let fx: Fixtures;
let routes: Route[];
let store: StoreFingerprint;
let money: StoreFingerprint;
/** The store as it is now (taken after the last request, or after its background work settled). */
let current: StoreSnapshot;

const stats = new Map<string, { cases: number; refused: number; attempted: number; checked: number; statuses: Map<number, number> }>();
function count(surface: string, status: number, kind: Outcome) {
  const entry = stats.get(surface) ?? { cases: 0, refused: 0, attempted: 0, checked: 0, statuses: new Map() };
  entry.cases++;
  if (kind === 'refused') entry.refused++;
  if (kind === 'attempted') entry.attempted++;
  if (kind === 'refused' || kind === 'read') entry.checked++;
  entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
  stats.set(surface, entry);
}

async function ok<T = any>(response: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const answer = await response;
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function buildFixtures(url: string): Promise<Fixtures> {
  const a = await credentials(url);
  // Seller S: the supply the data plane routes to (never fuzzed with S's own credentials, so it stays admitted).
  const seller = await signup(url, 'seller');
  const sellerPool = await poolKey(url, seller.jwt, 'sim-seller');
  const sellerListings = await Promise.all([
    admittedListing(url, seller.jwt, {
      poolKeyId: sellerPool,
      model: 'dragonfly/sim-chat',
      upstreamModel: 'sim-chat',
      inputPricePerMTok: '1',
      outputPricePerMTok: '2',
    }),
    admittedListing(url, seller.jwt, {
      poolKeyId: sellerPool,
      model: 'dragonfly/sim-embed',
      upstreamModel: 'sim-embed',
      capability: 'EMBEDDINGS',
      inputPricePerMTok: '0.02',
    }),
    admittedListing(url, seller.jwt, {
      poolKeyId: sellerPool,
      model: 'dragonfly/sim-tts',
      upstreamModel: 'sim-tts',
      capability: 'SPEECH',
      pricePerMChars: '15',
    }),
  ]);
  // Buyer B: a funded key, one with a tiny spend limit (budget refusals), one limited to a model.
  const buyer = await fundedBuyer(url, '50');
  const limited = await ok(
    rest(url, 'POST', '/api/keys', { token: buyer.jwt, body: { name: 'tiny', limit: 0.000001, cycle: 'daily' } }),
    'limited key',
  );
  const restricted = await ok(
    rest(url, 'POST', '/api/keys', { token: buyer.jwt, body: { name: 'embed only', allowedModels: ['dragonfly/sim-embed'] } }),
    'restricted key',
  );

  // A's own objects, which the fuzz may read, change and delete (never the credentials it fuzzes with).
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
  const group = await ok(rest(url, 'POST', '/api/keys/groups', { token: a.jwt, body: { name: 'fuzz group', monthlyBudget: 5 } }), 'group');
  const profile = await ok(
    rest(url, 'POST', '/api/routing/profiles', { token: a.jwt, body: { name: 'fuzz profile', sort: 'price' } }),
    'routing profile',
  );
  const spareKeys = await Promise.all(
    [1, 2].map((i) => ok(rest(url, 'POST', '/api/keys', { token: a.jwt, body: { name: `spare ${i}` } }), 'spare key')),
  );
  const spareMks = await Promise.all([1, 2].map((i) => managementKey(url, a.jwt, 'BUYER', `spare ${i}`)));
  const devKey = await ok(
    rest(url, 'POST', '/api/v1/developer/keys', {
      token: a.jwt,
      body: { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-fuzz', label: 'fuzz' },
    }),
    'developer key',
  );
  await ok(rest(url, 'POST', '/api/v1/developer/projects', { token: a.jwt, body: { name: 'fuzz project' } }), 'project');
  const otherGroup = await ok(rest(url, 'POST', '/api/keys/groups', { token: a.other.jwt, body: { name: 'other group' } }), 'other group');
  await new Promise((r) => setTimeout(r, 300)); // A's listing admission
  const contracts = async (jwt: string, listing: string) =>
    (await ok(rest(url, 'GET', `/v1/market/listings/${listing}/contracts`, { token: jwt }), 'contracts')).contracts.map(
      (c: { id: string }) => c.id,
    ) as string[];

  // Provider logins (OAuth): two pending sessions and their states.
  const loginSessions: string[] = [];
  const states: string[] = [];
  for (let i = 0; i < 2; i++) {
    const started = await ok(rest(url, 'POST', '/api/v1/auth/providers/daydream/start'), 'login start');
    loginSessions.push(started.login_session_id);
    const redirect = await fetch(`${url}/api/v1/auth/providers/daydream/redirect?login_session_id=${started.login_session_id}`, {
      redirect: 'manual',
    });
    states.push(new URL(redirect.headers.get('location')!).searchParams.get('state')!);
  }
  // Requests that happened (for /v1/generation).
  const requestIds: string[] = [];
  for (const model of ['dragonfly/sim-chat', 'dragonfly/sim-embed']) {
    const body = model.endsWith('chat')
      ? { model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 }
      : { model, input: 'hello' };
    const response = await fetch(`${url}/v1/${model.endsWith('chat') ? 'chat/completions' : 'embeddings'}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`fixture call ${model}: ${response.status} ${await response.text()}`);
    requestIds.push(response.headers.get('x-request-id')!);
  }

  const leaving = await signup(url, 'leaving');
  const logoutJwts = [leaving.jwt];
  for (let i = 0; i < 3; i++)
    logoutJwts.push(
      (await ok(rest(url, 'POST', '/api/auth/login', { body: { email: leaving.email, password: 'password-123' } }), 'login')).token,
    );

  return {
    logoutJwts,
    a,
    b: { jwt: buyer.jwt, key: buyer.key, keyId: buyer.keyId, limitedKey: limited.key, restrictedKey: restricted.key },
    ids: {
      apiKey: [...spareKeys.map((k) => k.id), a.buyerKeyId, buyer.keyId],
      group: [group.id, otherGroup.id],
      managementKey: [...spareMks.map((k) => k.id)],
      listing: [aListing.id, sellerListings[0]],
      contract: [...(await contracts(a.jwt, aListing.id)), ...(await contracts(seller.jwt, sellerListings[0]))],
      poolKey: [aPool.id, sellerPool],
      routingProfile: [profile.id],
      developerKey: [devKey.data.key.id],
    },
    models: ['dragonfly/sim-chat', 'dragonfly/sim-embed', 'dragonfly/sim-tts', 'owner/sim-chat'],
    loginSessions,
    states,
    requestIds,
  };
}

beforeAll(async () => {
  stack = await startEmbeddedStack({
    MANAGEMENT_RATE_LIMIT_PER_MINUTE: '1000000',
    AUTH_RATE_LIMIT_PER_ADDRESS: '1000000',
    LOGIN_RATE_LIMIT_PER_EMAIL: '1000000',
    // No scheduled background writes while the store is being compared.
    SETTLEMENT_INTERVAL_MS: '0',
    CONTRACT_CHECK_INTERVAL_MS: '0',
    // A brokered login provider whose token endpoint is closed (the exchange fails fast).
    OAUTH_PROVIDERS: JSON.stringify({
      daydream: { authorizeUrl: 'https://auth.example.test/authorize', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'fuzz-client' },
    }),
  });
  fx = await buildFixtures(stack.url);
  routes = listRoutes(stack.platform!.gateway);
  store = await StoreFingerprint.open(stack.platform!.runtimes);
  money = moneyView(store);
  current = await settle(300);
}, 120_000);

afterAll(async () => {
  if (stats.size > 0) {
    const lines = [...stats].map(
      ([surface, s]) =>
        `  ${surface.padEnd(11)} ${String(s.cases).padStart(5)} cases, ${String(s.refused).padStart(5)} refused, store compared after ${s.checked}${s.attempted ? `, money compared after ${s.attempted} failed upstream calls` : ''}; statuses ${[
          ...s.statuses,
        ]
          .sort(([x], [y]) => x - y)
          .map(([k, v]) => `${k}×${v}`)
          .join(' ')}`,
    );
    const total = [...stats.values()].reduce((n, s) => n + s.cases, 0);
    console.log(`fuzzed ${total} requests (seed ${SEED}):\n${lines.join('\n')}`);
  }
  await stack?.stop();
});

// ---- store: settle and compare --------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const same = (a: StoreSnapshot, b: StoreSnapshot) => StoreFingerprint.diff(a, b).length === 0;

/**
 * Waits until the background work of the last request is done: no usage event left to apply and
 * two snapshots `quietMs` apart are equal. Answers the settled snapshot.
 */
async function settle(quietMs = 40): Promise<StoreSnapshot> {
  const deadline = Date.now() + 10_000;
  while (stack.platform!.gateway.usagePending() > 0 && Date.now() < deadline) await sleep(10);
  // Admission probes run in the background for a few hundred ms after a listing is created or
  // given a new pool key: wait for every contract changed in the last seconds to have its check.
  const market = stack.platform!.runtimes.find((r) => r.name === 'market')!.db.orm.em.getConnection();
  const admitting = async () =>
    Number(
      (
        (await market.execute(
          "select count(*) as n from contracts where state = 'pending' and (last_check_at is null or last_check_at < updated_at) and updated_at > ?",
          [Date.now() - 5_000],
        )) as { n: number }[]
      )[0].n,
    );
  while ((await admitting()) > 0 && Date.now() < deadline) await sleep(20);
  let previous = await store.snapshot();
  for (;;) {
    await sleep(quietMs);
    const next = await store.snapshot();
    if (same(previous, next) && stack.platform!.gateway.usagePending() === 0) return next;
    if (Date.now() > deadline)
      throw new Error(`the store did not settle: ${StoreFingerprint.describe(StoreFingerprint.diff(previous, next))}`);
    previous = next;
  }
}

// ---- requests -------------------------------------------------------------------------------

interface Case {
  route: Route;
  surface: Surface;
  /** Path with parameters filled (already encoded), and the query string ('' or '?…'). */
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
  /** A method or path no route serves (the stray-request property). */
  unrouted?: boolean;
}

function label(c: Case): string {
  const headers = Object.entries(c.headers)
    .map(([k, v]) => `${k}: ${v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v}`)
    .join('; ');
  const body = c.body === undefined ? '' : ` body ${c.body.length > 300 ? `${c.body.slice(0, 300)}…(${c.body.length})` : c.body}`;
  const url = c.path + (c.query.length > 300 ? `${c.query.slice(0, 300)}…(${c.query.length})` : c.query);
  return `${c.route.method} ${url} [${headers}]${body}`;
}

async function send(c: Case): Promise<Answer> {
  const response = await fetch(`${stack.url}${c.path}${c.query}`, {
    method: c.route.method,
    headers: c.headers,
    body: c.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(20_000),
  });
  const text = /^audio\//.test(response.headers.get('content-type') ?? '') ? (await response.arrayBuffer(), '') : await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {
    method: c.route.method,
    route: c.route.path,
    status: response.status,
    headers: response.headers,
    text,
    json,
    accept: c.headers.accept,
    unrouted: c.unrouted,
  };
}

const isMutationDocument = (body: string | undefined): boolean => {
  try {
    const parsed = JSON.parse(body ?? '');
    return parse(String(parsed.query)).definitions.some((d) => d.kind === 'OperationDefinition' && d.operation !== OperationTypeNode.QUERY);
  } catch {
    return true; // unknown: treat as a write and let the store settle
  }
};

/** GraphQL refuses with HTTP 200 too: errors and no data (or only nulls). */
function graphqlRefused(answer: Answer): boolean {
  const body = answer.json as { data?: Record<string, unknown> | null; errors?: unknown[] } | undefined;
  if (!body || !Array.isArray(body.errors) || body.errors.length === 0) return false;
  return !body.data || Object.values(body.data).every((value) => value === null);
}

type Outcome = 'refused' | 'attempted' | 'read' | 'write';

function outcome(c: Case, answer: Answer): Outcome {
  const oauthPage =
    c.surface === 'naap-oauth' && c.route.path.endsWith('/callback') && /^text\/html/.test(answer.headers.get('content-type') ?? '');
  if (answer.status >= 400) {
    // The provider's verdict, recorded for /result: the login is over (its page says so).
    if (oauthPage) return 'write';
    const code = (answer.json as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (c.surface === 'openai' && typeof code === 'string' && code.startsWith('upstream_')) return 'attempted';
    // Anthropic's envelope carries our code in error.details.error_code.
    const anthropicCode = (answer.json as { error?: { details?: { error_code?: unknown } } } | undefined)?.error?.details?.error_code;
    if (c.surface === 'anthropic' && typeof anthropicCode === 'string' && anthropicCode.startsWith('upstream_')) return 'attempted';
    return 'refused';
  }
  if (c.surface === 'graphql' && graphqlRefused(answer)) return 'refused';
  if (c.surface === 'naap-oauth') return 'write';
  if (c.route.method === 'GET' || c.route.method === 'HEAD' || c.route.method === 'OPTIONS') return 'read';
  if (c.surface === 'graphql' && !isMutationDocument(c.body)) return 'read';
  return 'write';
}

/** Background work after a write (admission probes are waited for by settle() itself). */
const quietAfter = (c: Case) =>
  c.route.path.startsWith('/v1/market/') ||
  c.route.path.startsWith('/v1/pool/') ||
  (c.surface === 'graphql' && /Listing|PoolKey|probe|reverify|unsuspend/i.test(c.body ?? ''))
    ? 80
    : 40;

/** Sends one case and checks everything the property promises. */
async function exercise(c: Case): Promise<void> {
  const before = current;
  const moneyBefore = (c.surface === 'openai' || c.surface === 'anthropic') && c.route.method === 'POST' ? await money.snapshot() : null;
  const answer = await send(c);
  const where = () => `${label(c)}\n  → ${answer.status} ${answer.text.slice(0, 400)}`;
  expect(answer.status, `5xx: ${where()}`).toBeLessThan(500);
  expect(envelopeProblem(c.surface, answer), `not in the ${c.surface} envelope: ${where()}`).toBeNull();
  expect(leakProblem(answer), `internal detail: ${where()}`).toBeNull();
  // GraphQL's 5xx: an internal error inside a 200.
  if (c.surface === 'graphql')
    expect(
      JSON.stringify((answer.json as { errors?: unknown } | undefined)?.errors ?? []),
      `internal GraphQL error: ${where()}`,
    ).not.toContain('INTERNAL_SERVER_ERROR');

  const kind = outcome(c, answer);
  if (process.env.FUZZ_TRACE && new RegExp(process.env.FUZZ_TRACE).test(`${c.surface} ${answer.status}`))
    console.log(`[trace] ${where().slice(0, 600)}`);
  if (kind === 'refused' || kind === 'read') {
    // A refused request, and a read, wrote nothing.
    const after = await store.snapshot();
    const changes = StoreFingerprint.diff(before, after);
    current = after;
    expect(
      changes,
      `${kind === 'refused' ? 'a refused request' : 'a read'} changed the store: ${where()}\n${StoreFingerprint.describe(changes)}`,
    ).toEqual([]);
  } else if (kind === 'attempted') {
    current = await settle();
    const moneyAfter = await money.snapshot();
    const changes = StoreFingerprint.diff(moneyBefore!, moneyAfter);
    expect(changes, `a failed /v1 call moved money: ${where()}\n${StoreFingerprint.describe(changes)}`).toEqual([]);
  } else {
    current = await settle(quietAfter(c));
  }
  count(c.unrouted ? 'no route' : c.surface, answer.status, kind);
}

// ---- arbitraries: credentials -----------------------------------------------------------------

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Header-safe text (fetch takes Latin-1 without control characters). */
const headerChar = fc
  .oneof({ weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) }, { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xff }) })
  .map((code) => String.fromCharCode(code));
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

/** The credentials a route takes (so that most cases get past authentication). */
/** The fuzzed account's credentials, except on the logout routes, where its JWT is a throwaway session of another account. */
function accountFor(route: Route): Credentials {
  return route.path.startsWith('/api/auth/logout') ? { ...fx.a, jwt: fx.logoutJwts[0] } : fx.a;
}

function validTokens(route: Route, surface: Surface): (string | undefined)[] {
  const a = accountFor(route);
  if (route.path.startsWith('/api/auth/logout')) return fx.logoutJwts;
  if (route.path.startsWith('/api/v1/model-router/')) return [a.mkFull, a.mkBuyer];
  if (route.path.startsWith('/v1/management-keys') || route.path.startsWith('/api/management-keys')) return [a.jwt];
  if (route.path.startsWith('/v1/market/') || route.path.startsWith('/v1/pool/')) return [a.jwt, a.mkFull, a.mkSeller];
  const bySurface: Record<Surface, (string | undefined)[]> = {
    dragonfly: [a.jwt, a.mkFull, a.mkBuyer],
    dgrid: [a.jwt],
    naap: [a.jwt],
    'naap-oauth': [undefined, a.jwt],
    dashboard: [undefined],
    openai: [fx.b.key, fx.b.key, fx.b.limitedKey, fx.b.restrictedKey, a.buyerKey],
    anthropic: [fx.b.key, fx.b.key, fx.b.limitedKey, fx.b.restrictedKey, a.buyerKey],
    graphql: [a.jwt, a.mkFull, a.mkSeller, undefined],
    health: [undefined],
    web: [undefined, a.jwt],
    metrics: [undefined],
    jwks: [undefined],
  };
  return bySurface[surface];
}

function tokenArb(route: Route, surface: Surface): fc.Arbitrary<string | undefined> {
  const a = accountFor(route);
  const [header, payload, signature] = a.jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const forged = fc.oneof(
    fc.constantFrom(a.mkDisabled, a.mkForged, a.jwtForged, a.other.jwt, a.other.mkFull),
    fc.nat({ max: a.jwt.length - 1 }).map((n) => a.jwt.slice(0, n)), // truncated
    fc.constant(`${header}.${b64url({ ...claims, sub: a.other.accountId })}.${signature}`), // payload swapped
    fc.constant(`${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`), // unsigned
    fc.constant(`${header}.${b64url({ ...claims, exp: 1 })}.${signature}`), // expired claim, old signature
    fc.nat({ max: a.mkFull.length - 1 }).map((i) => a.mkFull.slice(0, i) + (a.mkFull[i] === 'A' ? 'B' : 'A') + a.mkFull.slice(i + 1)), // one character off
    fc.nat({ max: fx.b.key.length - 1 }).map((i) => fx.b.key.slice(0, i) + (fx.b.key[i] === 'A' ? 'B' : 'A') + fx.b.key.slice(i + 1)),
    fc.string({ maxLength: 120 }).map((s) => `sk-df-${s.replace(/\s/g, '')}`),
    fc.string({ maxLength: 200 }).map((s) => `mk-${s.replace(/\s/g, '')}`),
    fc.constantFrom('sk-df-', 'mk-', 'sk-', 'eyJ', 'a.b.c', '..', 'null', 'undefined', `mk-${'A'.repeat(500)}`, `sk-df-${'x'.repeat(500)}`),
  );
  // The data plane's handlers are the deepest (snapshot, routing, budget, the provider): more valid keys there.
  const token = fc.oneof(
    { weight: surface === 'openai' || surface === 'anthropic' ? 40 : 18, arbitrary: fc.constantFrom(...validTokens(route, surface)) },
    { weight: 2, arbitrary: fc.constantFrom(a.jwt, a.mkFull, a.mkBuyer, a.mkSeller, fx.b.key, undefined) },
    { weight: 4, arbitrary: forged },
  );
  // How the token is written into the header.
  return fc.oneof(
    { weight: 20, arbitrary: token.map((t) => (t === undefined ? undefined : `Bearer ${t}`)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(token, fc.constantFrom('bearer ', 'BEARER ', 'Bearer  ', 'Bearer\t', 'Basic ', 'Token ', '', 'Bearer ', 'Bearer'))
        .map(([t, scheme]) => `${scheme}${t ?? ''}`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(token, fc.constantFrom(' extra', ',Bearer x', '\t', ' ', '"')).map(([t, tail]) => `Bearer ${t ?? ''}${tail}`),
    },
    { weight: 1, arbitrary: headerText(200) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

// ---- arbitraries: headers -----------------------------------------------------------------------

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'application/graphql',
  '*/*',
  'application/jsonl',
  'json',
];
const ACCEPTS = [
  'application/json',
  '*/*',
  'text/html',
  'text/event-stream',
  'application/graphql-response+json',
  'application/graphql-response+json, application/json;q=0.9',
  'text/plain',
  'image/png',
  'application/xml',
  'text/html, */*;q=0.1',
];
const EXTRA_HEADER_NAMES = [
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'cookie',
  'idempotency-key',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'accept-language',
  'accept-version',
  'x-http-method-override',
  'if-none-match',
  'range',
  'prefer',
  'user-agent',
  'referer',
  'content-encoding',
  'x-simulator-status',
  'x-simulator-latency-ms',
  'openai-organization',
  'x-api-key',
  'authorization-extra',
];
const headerName = fc.oneof(
  fc.constantFrom(...EXTRA_HEADER_NAMES),
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 1, maxLength: 30 }).map((s) => `x-${s}`),
);
const headerValue = fc.oneof(
  { weight: 6, arbitrary: headerText(60) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '500',
      '0',
      '-1',
      '99999999999',
      'true',
      '1.2.3.4',
      '::1',
      '127.0.0.1, 10.0.0.1',
      'gzip',
      'bytes=0-1',
      '*',
      '1.0.0',
      'DELETE',
      'PUT',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: MAX_HEADER_CHARS }).map((n) => 'h'.repeat(n)) },
);

function headersArb(c: { route: Route; surface: Surface; hasBody: boolean }): fc.Arbitrary<Record<string, string>> {
  return fc
    .record({
      authorization: tokenArb(c.route, c.surface),
      contentType: fc.oneof(
        { weight: c.hasBody ? 14 : 1, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: headerText(40) },
        { weight: c.hasBody ? 1 : 6, arbitrary: fc.constant(undefined) },
      ),
      accept: fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ACCEPTS) }, { weight: 1, arbitrary: headerText(40) }), {
        freq: 2,
      }),
      origin: fc.option(fc.constantFrom('https://evil.example', 'null', 'http://localhost:3000', 'http://127.0.0.1'), { freq: 8 }),
      preflight: fc.option(fc.constantFrom('true', '1'), { freq: c.surface === 'graphql' ? 1 : 6 }),
      extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
    })
    .map(({ authorization, contentType, accept, origin, preflight, extra }) => {
      const headers: Record<string, string> = {};
      let size = 0;
      for (const [name, value] of extra) {
        if (size + value.length > MAX_HEADER_CHARS) continue;
        headers[name] = value;
        size += value.length;
      }
      if (authorization !== undefined) headers.authorization = authorization;
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (accept !== null) headers.accept = accept;
      if (origin !== null) headers.origin = origin;
      if (preflight !== null) headers['apollo-require-preflight'] = preflight;
      // fetch trims values; a value that is only spaces becomes empty, which is fine.
      return headers;
    });
}

// ---- arbitraries: path parameters ---------------------------------------------------------------

/** Which real ids a route's path parameter takes. */
function realIds(route: Route, param: string): string[] {
  const p = route.path;
  if (param === 'slug') return ['daydream', 'pymthouse', 'sandbox'];
  if (param === '*') return [...fx.models, ...fx.models.map(encodeURIComponent)];
  if (p.startsWith('/api/keys/groups/')) return fx.ids.group;
  if (p.startsWith('/api/keys/') || p.startsWith('/api/v1/model-router/keys/')) return fx.ids.apiKey;
  if (p.startsWith('/api/v1/developer/keys/')) return [...fx.ids.developerKey, ...fx.ids.apiKey];
  if (p.startsWith('/api/management-keys/') || p.startsWith('/v1/management-keys/')) return fx.ids.managementKey;
  if (p.startsWith('/v1/market/listings/')) return fx.ids.listing;
  if (p.startsWith('/v1/market/contracts/')) return fx.ids.contract;
  if (p.startsWith('/v1/pool/keys/')) return fx.ids.poolKey;
  if (p.startsWith('/api/routing/profiles/')) return fx.ids.routingProfile;
  return [];
}

/** Random ids, encoded, at most 100 characters (fastify's parameter limit; longer ones are the framework property's). */
const randomParam = fc
  .oneof(
    fc.uuid(),
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    fc.integer().map(String),
    fc.constantFrom(
      '0',
      '-1',
      'null',
      'undefined',
      '...',
      'me',
      'true',
      "' or '1'='1",
      '%',
      '{}',
      '[]',
      'a/b',
      '00000000-0000-0000-0000-000000000000',
      'a'.repeat(100),
      '\u0000',
      'a\u0000b',
      '\u0001',
      '\u007f',
    ),
  )
  .map(encodeURIComponent)
  // `.` and `..` (also as %2e) are dot segments: URL parsing removes them before anything is sent.
  .filter((s) => s.length > 0 && s.length <= 100 && !/^(\.|%2e){1,2}$/i.test(s));

function pathArb(route: Route): fc.Arbitrary<string> {
  const params = [...route.path.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? '*');
  if (params.length === 0) return fc.constant(route.path);
  return fc
    .tuple(
      ...params.map((param) => {
        const real = realIds(route, param);
        return real.length
          ? fc.oneof(
              { weight: 3, arbitrary: fc.constantFrom(...real).map((id) => (param === '*' ? id : encodeURIComponent(id))) },
              { weight: 2, arbitrary: randomParam },
            )
          : randomParam;
      }),
    )
    .map((values) => {
      let i = 0;
      return route.path.replace(/:(\w+)|\*/g, () => values[i++]);
    });
}

// ---- arbitraries: query strings -----------------------------------------------------------------

/** The query parameters each route documents (by route pattern). */
const QUERY_NAMES: Record<string, string[]> = {
  '/api/keys': ['page', 'pageSize'],
  '/api/management-keys': ['page', 'pageSize'],
  '/api/usage': ['from', 'to'],
  '/api/usage/by-key': ['from', 'to'],
  '/api/usage/daily': ['from', 'to'],
  '/api/billing/transactions': ['page', 'pageSize'],
  '/v1/market/earnings': ['page', 'pageSize'],
  '/v1/market/earnings/timeseries': ['interval', 'from', 'to'],
  '/v1/market/earnings/reserve': ['limit', 'includeReleased'],
  '/v1/market/reviews': ['includeResolved'],
  '/v1/market/contracts/:id/checks': ['limit'],
  '/v1/market/listings/:id/probe-runs': ['limit'],
  '/v1/management-keys': ['page', 'size'],
  '/api/v1/model-router/keys': ['page', 'size'],
  '/api/v1/developer/keys': ['page', 'pageSize'],
  '/api/v1/developer/models': ['type', 'featured', 'realtime'],
  '/api/v1/developer/network-models': ['limit'],
  '/api/v1/dashboard/kpi': ['timeframe', 'pipeline', 'model_id', 'refresh', 'nocache'],
  '/api/v1/dashboard/pipelines': ['timeframe', 'limit', 'refresh'],
  '/api/v1/dashboard/orchestrators': ['period', 'nocache'],
  '/api/v1/dashboard/gpu-capacity': ['timeframe'],
  '/api/v1/dashboard/fees': ['days', 'refresh'],
  '/api/v1/dashboard/job-feed': ['pollMs', 'refresh', 'nocache'],
  '/api/v1/auth/providers/:slug/redirect': ['login_session_id'],
  '/api/v1/auth/providers/:slug/result': ['login_session_id'],
  '/api/v1/auth/providers/:slug/callback': ['state', 'code', 'error'],
  '/v1/generation': ['id'],
  // operationName: see the known-bug test at the end (an unresolvable operation is a 500 today).
  '/graphql': ['query', 'variables', 'extensions'],
};
const GENERIC_QUERY_NAMES = ['page', 'limit', 'id', 'debug', 'format', '__proto__', 'constructor', 'a[b]', 'a[]', 'x', ''];

/** Values around each documented parameter's range, and beyond it. */
const numberText = fc.oneof(
  fc.integer({ min: -10, max: 400 }).map(String),
  fc.constantFrom(
    '0',
    '-1',
    '1',
    '5',
    '7',
    '20',
    '100',
    '101',
    '168',
    '169',
    '200',
    '201',
    '365',
    '366',
    '1000',
    '999999999',
    '1000000000',
    '2147483648',
    '99999999999999999999',
    '1e3',
    '1.5',
    '-0',
    '+5',
    ' 1',
    '1 ',
    '0x10',
    '١٢',
    'NaN',
    'Infinity',
    '12h',
    '',
  ),
);
const isoText = fc.oneof(
  fc.date({ min: new Date('1900-01-01'), max: new Date('2300-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-13-45T99:99:99Z',
    '2026-01-01',
    'yesterday',
    '0',
    '-1',
    '275760-09-13T00:00:00.000Z',
    '1970-01-01T00:00:00Z',
    'now',
    '2026-02-30T00:00:00Z',
  ),
);
const misEncoded = fc.constantFrom(
  '%',
  '%%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%00',
  '%FF%FE',
  '%uD800',
  '%2',
  '+%',
  '&&',
  '==',
  ';',
  '%0A%0D',
);

function queryValueArb(name: string): fc.Arbitrary<{ value: string; raw: boolean }> {
  const documented = (() => {
    if (['page', 'pageSize', 'size', 'limit', 'days', 'timeframe', 'pollMs'].includes(name)) return numberText;
    if (name === 'from' || name === 'to') return isoText;
    if (['includeReleased', 'includeResolved', 'featured', 'realtime', 'refresh', 'nocache'].includes(name))
      return fc.constantFrom('true', 'false', 'TRUE', '1', '0', 'yes', '');
    if (name === 'interval') return fc.constantFrom('hour', 'day', 'HOUR', 'DAY', 'week', 'minute', '');
    if (name === 'period') return fc.constantFrom('24h', '12h', '1h', '168h', '0h', '-1h', '999999999h', '24', 'h', '1d');
    if (name === 'type') return fc.constantFrom('llm', 'chat', 'embeddings', 'speech', 'text-to-speech', 'image', '');
    if (name === 'pipeline' || name === 'model_id') return fc.constantFrom('llm', 'embeddings', 'dragonfly/sim-chat', 'nope');
    if (name === 'login_session_id') return fc.constantFrom(...fx.loginSessions, 'x', 'a'.repeat(201));
    if (name === 'state') return fc.constantFrom(...fx.states, 'x', 'a'.repeat(201));
    if (name === 'code' || name === 'error') return fc.constantFrom('abc', 'access_denied', '');
    if (name === 'id') return fc.constantFrom(...fx.requestIds, 'req_nope', 'x'.repeat(65));
    if (name === 'query')
      return fc.constantFrom(
        ...GRAPHQL_DOCUMENTS.map((d) => d.query),
        '{',
        'mutation { topUp(amount: "1") { balance { usd } } }',
        '{ __schema { types { name } } }',
        'subscription { jobFeed { id } }',
      );
    if (name === 'variables' || name === 'extensions')
      return fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.constantFrom('{', '{"page": -1}', '{"persistedQuery":{"version":1,"sha256Hash":"abc"}}'),
      );
    return fc.string({ maxLength: 30 });
  })();
  return fc.oneof(
    { weight: 6, arbitrary: documented.map((value) => ({ value, raw: false })) },
    { weight: 1, arbitrary: documented.map((value) => ({ value: `${value}\u0000`, raw: false })) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map((value) => ({ value, raw: false })) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map((value) => ({ value, raw: false })) },
    { weight: 1, arbitrary: fc.integer({ min: 500, max: 4000 }).map((n) => ({ value: 'q'.repeat(n), raw: false })) },
    { weight: 1, arbitrary: misEncoded.map((value) => ({ value, raw: true })) },
  );
}

function queryArb(route: Route): fc.Arbitrary<string> {
  const names = QUERY_NAMES[route.path] ?? [];
  const nameArb = fc.oneof(
    { weight: names.length ? 5 : 0, arbitrary: names.length ? fc.constantFrom(...names) : fc.constant('x') },
    { weight: 1, arbitrary: fc.constantFrom(...GENERIC_QUERY_NAMES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
  const pair = nameArb.chain((name) => queryValueArb(name).map(({ value, raw }) => ({ name, value, raw })));
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 4,
      arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => {
        let query = '';
        for (const { name, value, raw } of pairs) {
          const part = `${encodeURIComponent(name)}${value === '' && raw ? '' : '='}${raw ? value : encodeURIComponent(value)}`;
          if (query.length + part.length > MAX_QUERY_CHARS) break;
          query += (query ? '&' : '') + part;
        }
        return `?${query}`;
      }),
    },
  );
}

// ---- arbitraries: bodies ------------------------------------------------------------------------

const unique = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 6, maxLength: 10 });
const futureIso = new Date(Date.now() + 30 * 86_400_000).toISOString();

/** Mostly the model that serves the route's capability, sometimes any (capability mismatch, unknown model). */
const modelFor = (model: string) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(model) }, { weight: 1, arbitrary: fc.constantFrom(...fx.models, 'acme/nope') });

/** A valid body per route (so that handlers run past validation), to be sent as is or mutated. */
function templateArb(route: Route): fc.Arbitrary<Record<string, unknown>> | null {
  const key = `${route.method} ${route.path}`;
  const a = fx.a;
  switch (key) {
    case 'POST /api/auth/signup':
      return unique.map((u) => ({ email: `fz-${u}@example.com`, password: 'password-123', name: `fz ${u}` }));
    case 'POST /api/auth/login':
      return fc.constantFrom(
        { email: a.email, password: 'password-123' },
        { email: a.email, password: 'wrong-password' },
        { email: 'nobody@example.com', password: 'password-123' },
      );
    case 'POST /api/keys':
      return unique.map((u) => ({
        name: `fz ${u}`,
        limit: 1.5,
        cycle: 'monthly',
        key_group: `g-${u}`,
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
      );
    case 'POST /api/keys/groups':
    case 'PATCH /api/keys/groups/:id':
      return unique.map((u) => ({ name: `group ${u}`, monthlyBudget: 10 }));
    case 'POST /api/management-keys':
      return unique.map((u) => ({ name: `mk ${u}`, mgmt_scope: 'buyer' }));
    case 'POST /api/billing/topups':
      return fc.constantFrom({ amount: 1 }, { amount: '0.5' });
    case 'POST /v1/pool/keys':
      return unique.map((u) => ({ provider: 'simulator', apiKey: `sim-${u}`, label: u }));
    case 'POST /v1/market/listings':
      // Metadata that claims nothing to verify (json_object is not checked), so admission costs what it did.
      return unique.map((u) => ({
        model: `owner/${u}`,
        upstreamModel: 'sim-chat',
        poolKeyId: fx.ids.poolKey[0],
        inputPricePerMTok: 1,
        outputPricePerMTok: 2,
        capability: 'chat',
        supported_parameters: ['json_object'],
        quantization: 'fp8',
        region: 'eu-west',
        data_policy: { zero_retention: true },
      }));
    case 'POST /v1/market/seller/handle':
      // A's handle (taken from its first listing: 200 once chosen), reserved and malformed ones.
      return fc.constantFrom({ handle: 'owner' }, { handle: 'openai' }, { handle: 'dragonfly' }, { handle: 'Not A Handle' });
    case 'PATCH /v1/market/listings/:id':
      return fc.constantFrom(
        { inputPricePerMTok: 1.1 },
        { paused: true },
        { paused: false },
        { outputPricePerMTok: 50 },
        { caps: { maxConcurrency: 2 } },
        { region: 'us', quantization: 'int8' },
        { data_policy: { retains_prompts: true, zero_retention: false } },
        { max_output_tokens: 256 },
      );
    case 'POST /api/routing/profiles':
    case 'PATCH /api/routing/profiles/:id':
      return unique.map((u) => ({
        name: `profile ${u}`,
        sort: 'latency',
        order: ['simulator'],
        allow: null,
        allow_supply: null,
        deny_supply: ['nobody'],
        supply_order: ['owner'],
        maxPrice: { input: 1, output: 2 },
        allowFallbacks: true,
        fallbackModels: ['dragonfly/sim-chat'],
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
      return fc.constantFrom({ name: 'renamed' }, { limit: 4, cycle: 'monthly' }, { groupId: null });
    case 'POST /api/v1/developer/keys':
      return unique.map((u) => ({ billingProviderId: 'bp_sandbox', rawApiKey: `provider-${u}`, label: u, projectName: `p ${u}` }));
    case 'POST /api/v1/developer/projects':
      return unique.map((u) => ({ name: `project ${u}` }));
    case 'POST /v1/chat/completions':
      return fc.record({
        model: modelFor('dragonfly/sim-chat'),
        // Mostly valid; some that only the provider refuses (the gateway forwards them: `upstream_rejected`).
        messages: fc.oneof(
          { weight: 4, arbitrary: fc.constant([{ role: 'user', content: 'Say hi' }]) },
          {
            weight: 1,
            arbitrary: fc.constantFrom<unknown[]>(
              [1, 2],
              [null],
              [{}],
              [{ role: 'user', content: { a: 1 } }],
              [{ role: 'wizard', content: 'x' }],
            ),
          },
        ),
        max_tokens: fc.constantFrom(3, 8),
        stream: fc.boolean(),
        stream_options: fc.constant({ include_usage: true }),
      });
    case 'POST /v1/responses':
      return fc.record({
        model: modelFor('dragonfly/sim-chat'),
        // Strings, message items, and a function call with its output (valid) or without its call (refused).
        input: fc.constantFrom<unknown>(
          'Say hi',
          [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
          [
            { role: 'user', content: 'w?' },
            { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
            { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
          ],
          [{ type: 'function_call_output', call_id: 'call_2', output: 'x' }],
        ),
        instructions: fc.constantFrom('Be brief.', undefined),
        tools: fc.constantFrom<unknown>(
          undefined,
          [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
          [{ type: 'web_search' }],
        ),
        max_output_tokens: fc.constantFrom(3, 8),
        stream: fc.boolean(),
      });
    case 'POST /v1/completions':
      return fc.record({
        model: modelFor('dragonfly/sim-chat'),
        prompt: fc.constantFrom<unknown>('Once upon', ['Once'], [1, 2], ['a', 'b']),
        max_tokens: fc.constantFrom(3, 8),
        echo: fc.boolean(),
        stream: fc.boolean(),
        stream_options: fc.constant({ include_usage: true }),
      });
    case 'POST /v1/messages':
    case 'POST /v1/messages/count_tokens':
      return fc.record({
        model: modelFor('dragonfly/sim-chat'),
        max_tokens: fc.constantFrom(3, 8),
        system: fc.constantFrom('Be brief.', [{ type: 'text', text: 'Be brief.' }]),
        messages: fc.oneof(
          { weight: 4, arbitrary: fc.constant([{ role: 'user', content: 'Say hi' }]) },
          {
            weight: 1,
            arbitrary: fc.constantFrom<unknown[]>(
              [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
              [{ role: 'assistant', content: 'x' }],
              [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't' }] }],
            ),
          },
        ),
        stream: fc.boolean(),
      });
    case 'POST /v1/embeddings':
      return fc.record({ model: modelFor('dragonfly/sim-embed'), input: fc.constantFrom('hello', ['a', 'b'], [1, 2], [[1, 2]]) });
    case 'POST /v1/audio/speech':
      return fc.record({
        model: modelFor('dragonfly/sim-tts'),
        input: fc.constantFrom('hi', 'hello there'),
        voice: fc.constantFrom('alloy', 'nobody', ''),
        response_format: fc.constantFrom('wav', 'mp3', 'flac', 'nope'),
      });
    default:
      return null;
  }
}

/** Values that tend to break things: types, extremes, encodings, injections, other accounts' ids. */
const nasty = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 3,
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
      Number.MAX_SAFE_INTEGER + 2,
      '1e400',
      'NaN',
      '-0',
      true,
      [],
      {},
      [null],
      { '': '' },
      'x'.repeat(5000),
      '\u0000',
      'a\u0000b',
      ['\u0000'],
      '\ud800',
      '🦄'.repeat(50),
      '2026-13-45T99:99:99Z',
      '1970-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '../../etc/passwd',
      "'; drop table accounts; --",
      '<script>alert(1)</script>',
      '10.0.0.0/33',
      '::1/129',
      [1, 2],
      [{}],
      [{ role: 'user' }],
      'FULL',
      'buyer',
      'BUYER',
      'seller',
      'daily',
      'WEEKLY',
      'bp_sandbox',
      'bp_nope',
      '__proto__',
      JSON.parse('{"__proto__": {"polluted": true}}'),
    ),
  },
  // Real ids (A's own and other accounts'), read when generating (the fixtures exist by then).
  { weight: 1, arbitrary: fc.constant(null).chain(() => fc.constantFrom(...Object.values(fx.ids).flat())) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
);

type Mutation = { op: 'drop' | 'set' | 'retype' | 'add'; index: number; value: unknown; name: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('drop', 'set', 'retype', 'add'),
  index: fc.nat(),
  value: nasty,
  name: fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(
      'x\u0000y',
      'id',
      'accountId',
      'account_id',
      'scope',
      'status',
      'enabled',
      'balance',
      'stream',
      'max_tokens',
      'n',
      'tools',
      'user',
      'deletedAt',
      'micros',
      'key',
      'rawKey',
    ),
  ),
});

function mutate(body: Record<string, unknown>, mutations: Mutation[]): unknown {
  const out: Record<string, unknown> = { ...body };
  for (const m of mutations) {
    const keys = Object.keys(out);
    const target = keys.length ? keys[m.index % keys.length] : m.name;
    if (m.op === 'drop') delete out[target];
    else if (m.op === 'set') out[target] = m.value;
    else if (m.op === 'retype')
      out[target] =
        typeof out[target] === 'string'
          ? Number(out[target]) || [out[target]]
          : typeof out[target] === 'number'
            ? String(out[target])
            : JSON.stringify(out[target] ?? null);
    else out[m.name] = m.value;
  }
  return out;
}

/** Bodies that are not JSON objects, or not JSON at all, or too big. */
const malformed = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    '[]',
    '{}',
    '"x"',
    '1',
    'true',
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    '\ufeff{}',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    'a=1&b=2',
    '<xml/>',
    '\u0000',
    '{"a":"\\ud800"}',
    '['.repeat(5000) + ']'.repeat(5000),
    '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
  ),
  fc.constant(`{"x":"${'y'.repeat(1024 * 1024)}"}`), // over the 1 MiB body limit (the chat/embeddings limit is 16 MiB)
);

/**
 * JSON text nested past any sane depth, or a list far longer than any route takes: built as text
 * (serialising such a value would overflow this test's own stack).
 */
const oversized = fc.oneof(
  fc.constantFrom(65, 1_000, 20_000).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.constantFrom(65, 1_000, 20_000).map((depth) => '['.repeat(depth) + '"x"' + ']'.repeat(depth)),
  fc.constantFrom(10_000, 150_000).map((length) => `[${'"x",'.repeat(length)}"x"]`),
  fc.constantFrom(10_000, 100_000).map((length) => `[${'{"role":"user","content":"hi"},'.repeat(length)}{"role":"user","content":"hi"}]`),
);

/** A valid template with one field (its own, or an extra one) replaced by an oversized value. */
function withOversizedField(template: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return template.chain((t) =>
    fc.tuple(fc.constantFrom(...Object.keys(t), 'extra'), oversized).map(([field, value]) => {
      const rest = JSON.stringify({ ...t, [field]: undefined });
      // A later duplicate key wins in JSON.parse: the field takes the oversized value.
      return `${rest.slice(0, -1)}${rest.length > 2 ? ',' : ''}${JSON.stringify(field)}:${value}}`;
    }),
  );
}

function bodyArb(route: Route): fc.Arbitrary<string | undefined> {
  if (route.method === 'GET' || route.method === 'HEAD' || route.method === 'OPTIONS') return fc.constant(undefined);
  const template = templateArb(route);
  const options: fc.WeightedArbitrary<string | undefined>[] = [
    { weight: 2, arbitrary: malformed },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ];
  if (template) {
    options.push({ weight: 4, arbitrary: template.map((t) => JSON.stringify(t)) });
    options.push({
      weight: 6,
      arbitrary: fc.tuple(template, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([t, ms]) => JSON.stringify(mutate(t, ms))),
    });
    options.push({
      weight: 2,
      arbitrary: template
        .chain((t) => fc.dictionary(fc.constantFrom(...Object.keys(t), 'extra'), nasty, { maxKeys: 6 }))
        .map((v) => JSON.stringify(v)),
    });
    options.push({ weight: 2, arbitrary: withOversizedField(template) });
  } else {
    // Bodiless actions (enablement, reverify, probe, start, DELETE): nothing, {} or junk.
    options.push({ weight: 4, arbitrary: fc.constantFrom(undefined, '{}', '') });
  }
  return fc.oneof(...options);
}

// ---- GraphQL documents (valid, so the operations run; their variables get mutated) ---------------

const GRAPHQL_DOCUMENTS: { query: string; variables: () => Record<string, unknown> }[] = [
  { query: '{ me { id email balance { usd micros } apiKeys { id name } } }', variables: () => ({}) },
  {
    query: 'query ($page: Int!, $pageSize: Int!) { apiKeys(page: $page, pageSize: $pageSize) { total items { id name status } } }',
    variables: () => ({ page: 1, pageSize: 20 }),
  },
  { query: 'query ($id: ID!) { apiKey(id: $id) { id name usageInCycle { usd } } }', variables: () => ({ id: fx.ids.apiKey[0] }) },
  { query: 'query ($id: ID!) { listing(id: $id) { id model status contract { state } } }', variables: () => ({ id: fx.ids.listing[0] }) },
  {
    query: 'query ($from: DateTimeISO, $to: DateTimeISO) { usage(from: $from, to: $to) { requests cost { usd } } }',
    variables: () => ({ from: '2026-01-01T00:00:00Z', to: null }),
  },
  {
    query: 'query ($t: String, $l: Int) { kpi(timeframe: $t) { timeframeHours } pipelines(timeframe: $t, limit: $l) { name } }',
    variables: () => ({ t: '24', l: 5 }),
  },
  { query: 'query ($d: Int) { fees(days: $d) { totalEth } }', variables: () => ({ d: 30 }) },
  { query: 'query ($id: ID!) { generation(id: $id) { id status cost { usd } } }', variables: () => ({ id: fx.requestIds[0] }) },
  {
    query: 'mutation ($input: CreateKeyGroupInput!) { createKeyGroup(input: $input) { id name } }',
    variables: () => ({ input: { name: 'gql group', monthlyBudget: '3' } }),
  },
  {
    query: 'mutation ($input: CreateApiKeyInput) { createApiKey(input: $input) { rawKey apiKey { id } } }',
    variables: () => ({ input: { name: 'gql key', limit: '1', cycle: 'DAILY' } }),
  },
  {
    query: 'mutation ($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { id name } }',
    variables: () => ({ id: fx.ids.apiKey[0], input: { name: 'gql renamed' } }),
  },
  { query: 'mutation ($amount: String!) { topUp(amount: $amount) { balance { usd } } }', variables: () => ({ amount: '0.25' }) },
  {
    query: 'mutation ($input: CreateManagementKeyInput!) { createManagementKey(input: $input) { rawKey managementKey { id } } }',
    variables: () => ({ input: { name: 'gql mk', scope: 'SELLER' } }),
  },
  {
    query: 'mutation ($id: ID!, $paused: Boolean!) { setListingPaused(id: $id, paused: $paused) { id status } }',
    variables: () => ({ id: fx.ids.listing[0], paused: false }),
  },
  { query: 'mutation ($id: ID!) { deleteKeyGroup(id: $id) { id } }', variables: () => ({ id: fx.ids.group[1] }) },
  {
    query: 'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    variables: () => ({ input: { name: 'gql project' } }),
  },
];

function graphqlBodyArb(): fc.Arbitrary<string | undefined> {
  const variables = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom('id', 'page', 'pageSize', 'input', 'amount', 'from', 'to', 'paused', 't', 'l', 'd'), nasty, {
      maxKeys: 4,
    }),
  );
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(...GRAPHQL_DOCUMENTS).map((d) => JSON.stringify({ query: d.query, variables: d.variables() })),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...GRAPHQL_DOCUMENTS), variables)
        .map(([d, v]) => JSON.stringify({ query: d.query, variables: v })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...GRAPHQL_DOCUMENTS), fc.nat(), fc.string({ maxLength: 5 }))
        .map(([d, at, junk]) =>
          JSON.stringify({ query: d.query.slice(0, at % d.query.length) + junk + d.query.slice(at % d.query.length) }),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .record(
          {
            query: fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue()),
            variables: fc.jsonValue(),
            operationName: fc.jsonValue().filter((v) => typeof v !== 'string'),
            extensions: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `{"query":"{ ${'me { id } '.repeat(300)} }"}`,
        `{"query":"${'{ me '.repeat(40)}${'}'.repeat(40)}"}`,
        `{"query":"{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ')} }"}`,
        '[{"query":"{ me { id } }"},{"query":"{ me { id } }"}]',
        '{"query":"{ __schema { types { name } } }"}',
      ),
    },
    { weight: 2, arbitrary: malformed },
    // Variables nested past any depth, or lists longer than any argument takes.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...GRAPHQL_DOCUMENTS), fc.constantFrom('id', 'input', 'page', 'amount'), oversized)
        .map(([d, name, value]) => `{"query":${JSON.stringify(d.query)},"variables":{${JSON.stringify(name)}:${value}}}`),
    },
  );
}

// ---- the properties -------------------------------------------------------------------------------

function caseArb(route: Route, surface: Surface): fc.Arbitrary<Case> {
  const all = route.path === '/graphql' && route.method === 'POST' ? graphqlBodyArb() : bodyArb(route);
  const body = all;
  return fc.tuple(pathArb(route), queryArb(route), body).chain(([path, query, b]) =>
    headersArb({ route, surface, hasBody: b !== undefined }).map((headers) => {
      if (b === undefined) delete headers['content-type'];
      return { route, surface, path, query, headers, body: b };
    }),
  );
}

async function fuzzRoutes(surface: Surface) {
  const mine = routes.filter((r) => surfaceOf(r.path) === surface);
  for (const route of mine) {
    await fc.assert(
      fc.asyncProperty(caseArb(route, surface), (c) => exercise(c)),
      {
        numRuns: route.method === 'HEAD' ? RUNS_PER_HEAD_ROUTE : Math.round(RUNS_PER_ROUTE * (SURFACE_WEIGHT[surface] ?? 1)),
        seed: SEED,
        endOnFailure: true,
      },
    );
  }
  return mine.length;
}

describe('fuzzed requests to every route', () => {
  it('every route the app serves has a known surface envelope', () => {
    const unknown = routes.filter((r) => surfaceOf(r.path) === null).map((r) => `${r.method} ${r.path}`);
    expect(unknown, 'routes with no known envelope (add them to test/helpers/rest-surfaces.ts)').toEqual([]);
    // And the enumeration really saw the app (not an empty or partial tree).
    for (const expected of [
      'POST /api/keys',
      'PATCH /v1/market/listings/:id',
      'PUT /api/v1/model-router/keys/:id',
      'DELETE /api/v1/developer/keys/:id',
      'GET /api/v1/auth/providers/:slug/callback',
      'GET /api/v1/dashboard/job-feed',
      'POST /v1/chat/completions',
      'GET /graphql',
      'POST /graphql',
      'GET /api/v1/developer/models/*',
    ]) {
      expect(routes.map((r) => `${r.method} ${r.path}`)).toContain(expected);
    }
  });

  it('the store fingerprint sees a real write (self-check)', async () => {
    const before = await store.snapshot();
    const created = await rest(stack.url, 'POST', '/api/keys/groups', { token: fx.a.jwt, body: { name: 'self-check group' } });
    expect(created.status).toBe(201);
    const afterCreate = await store.snapshot();
    expect(StoreFingerprint.diff(before, afterCreate).map((c) => c.table)).toEqual(['accounts.key_groups']);
    // A one-column update is seen too.
    await rest(stack.url, 'PATCH', `/api/keys/groups/${created.body.id}`, { token: fx.a.jwt, body: { name: 'self-check group 2' } });
    const afterUpdate = await store.snapshot();
    expect(StoreFingerprint.diff(afterCreate, afterUpdate).map((c) => c.table)).toEqual(['accounts.key_groups']);
    // A paid call moves money (the money view sees it once billing applied the usage).
    const moneyBefore = await money.snapshot();
    const call = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.b.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    expect(call.status).toBe(200);
    await call.text();
    current = await settle();
    expect(StoreFingerprint.diff(moneyBefore, await money.snapshot()).length).toBeGreaterThan(0);
    // And a refused request leaves it as it was.
    const refused = await rest(stack.url, 'POST', '/api/keys/groups', { token: fx.a.jwt, body: { name: 'x', nope: 1 } });
    expect(refused.status).toBe(400);
    expect(StoreFingerprint.diff(current, await store.snapshot())).toEqual([]);
  });

  it("the checkers can fail: other surfaces' envelopes, stack traces and internal names are caught", () => {
    const answer = (route: string, status: number, body: unknown, type = 'application/json'): Answer => ({
      method: 'GET',
      route,
      status,
      headers: new Headers({ 'content-type': type }),
      text: JSON.stringify(body),
      json: body,
    });
    const dragonflyError = { error: { code: 'NOT_FOUND', message: 'nope' } };
    const dgridError = { code: 40401, message: 'nope', data: null };
    const naapError = { success: false, error: { code: 'NOT_FOUND', message: 'nope' } };
    expect(envelopeProblem('dragonfly', answer('/api/keys/:id', 404, dragonflyError))).toBeNull();
    expect(envelopeProblem('dragonfly', answer('/api/keys/:id', 404, dgridError))).not.toBeNull();
    expect(envelopeProblem('dgrid', answer('/api/v1/model-router/keys/:id', 404, dgridError))).toBeNull();
    expect(envelopeProblem('dgrid', answer('/api/v1/model-router/keys/:id', 400, dgridError))).not.toBeNull(); // code ≠ status
    expect(envelopeProblem('dgrid', answer('/api/v1/model-router/keys/:id', 404, dragonflyError))).not.toBeNull();
    expect(envelopeProblem('naap', answer('/api/v1/developer/keys/:id', 404, naapError))).toBeNull();
    expect(envelopeProblem('naap', answer('/api/v1/developer/keys/:id', 404, dragonflyError))).not.toBeNull();
    expect(envelopeProblem('openai', answer('/v1/models', 401, dragonflyError))).not.toBeNull();
    expect(envelopeProblem('graphql', answer('/graphql', 400, dragonflyError))).not.toBeNull();
    expect(envelopeProblem('dashboard', answer('/api/v1/dashboard/kpi', 404, dragonflyError))).not.toBeNull(); // not a documented status
    expect(
      envelopeProblem(
        'dragonfly',
        answer('/api/keys', 404, { message: 'Route GET:/api/keys/x/y not found', error: 'Not Found', statusCode: 404 }),
      ),
    ).not.toBeNull(); // fastify's own
    expect(
      envelopeProblem('dragonfly', {
        ...answer('/api/keys', 500, {}),
        json: undefined,
        text: 'oops',
        headers: new Headers({ 'content-type': 'text/plain' }),
      }),
    ).not.toBeNull();
    expect(
      leakProblem(
        answer('/api/keys', 400, {
          error: { code: 'X', message: 'TypeError: x is not a function\n    at handler (/work/main/gateway/rest/dragonfly.ts:12:3)' },
        }),
      ),
    ).not.toBeNull();
    expect(
      leakProblem(answer('/api/keys', 400, { error: { code: 'X', message: 'SQLITE_CONSTRAINT: UNIQUE constraint failed' } })),
    ).not.toBeNull();
    expect(
      leakProblem(answer('/api/keys', 400, { error: { code: 'X', message: 'see node_modules/fastify/lib/route.js' } })),
    ).not.toBeNull();
    expect(leakProblem(answer('/api/keys', 400, { error: { code: 'X', message: 'name must be at most 100 characters' } }))).toBeNull();
  });

  it("the Accept check before /graphql executes decides as Apollo's negotiator does", () => {
    const Negotiator = createRequire(createRequire(import.meta.url).resolve('@apollo/server'))('negotiator') as new (request: {
      headers: { accept: string };
    }) => { mediaType(available: string[]): string | undefined };
    const types = [
      'application/json; charset=utf-8',
      'application/graphql-response+json; charset=utf-8',
      'application/json; callbackSpec=1.0; charset=utf-8',
    ];
    const range = fc
      .tuple(
        fc.constantFrom(
          'application/json',
          'application/graphql-response+json',
          'application/*',
          '*/*',
          'text/html',
          'text/event-stream',
          'multipart/mixed',
          'image/*',
          'application/xml',
          'json',
          '*',
          '',
        ),
        fc.array(
          fc.constantFrom(
            'q=0',
            'q=0.5',
            'q=1',
            'charset=utf-8',
            'charset=UTF-8',
            'charset=latin1',
            'callbackSpec=1.0',
            'q=x',
            'x="a,b"',
            'charset=*',
          ),
          { maxLength: 2 },
        ),
      )
      .map(([type, params]) => [type, ...params].join('; '));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(range, { minLength: 1, maxLength: 4 }).map((ranges) => ranges.join(', ')),
          headerText(40),
        ),
        (accept) => {
          expect(acceptsGraphQLResult(accept), accept).toBe(
            !accept || new Negotiator({ headers: { accept } }).mediaType(types) !== undefined,
          );
        },
      ),
      { numRuns: 300, seed: SEED },
    );
    expect(acceptsGraphQLResult(undefined)).toBe(true);
  });

  it('a mutation sent with an Accept that allows no JSON is refused before it runs (found by this fuzz: it used to run, then answer 406)', async () => {
    const before = await store.snapshot();
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.a.jwt}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'mutation { createKeyGroup(input: { name: "accept check" }) { id } }' }),
    });
    expect(response.status).toBe(406);
    expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    expect(StoreFingerprint.diff(before, await store.snapshot())).toEqual([]);
    current = await store.snapshot();
  });

  it('a NUL character in a path parameter, a query value or a body is a 400 in the surface envelope (found by this fuzz: it was a 500 from the store)', async () => {
    const cases: [method: string, path: string, token: string | undefined, body: unknown, surface: Surface][] = [
      ['GET', '/api/keys/%00', fx.a.jwt, undefined, 'dragonfly'],
      ['POST', '/api/keys/groups', fx.a.jwt, { name: 'a\u0000b' }, 'dragonfly'],
      ['GET', '/api/v1/model-router/keys/a%00', fx.a.mkFull, undefined, 'dgrid'],
      ['GET', '/api/v1/developer/models/%00', fx.a.jwt, undefined, 'naap'],
      ['GET', '/api/v1/auth/providers/daydream/result?login_session_id=%00', undefined, undefined, 'naap-oauth'],
      ['GET', '/api/v1/dashboard/kpi?pipeline=%00', undefined, undefined, 'dashboard'],
      ['POST', '/graphql', fx.a.jwt, { query: 'query ($id: ID!) { apiKey(id: $id) { id } }', variables: { id: '\u0000' } }, 'graphql'],
    ];
    for (const [method, path, token, body, surface] of cases) {
      const [pathname, query = ''] = path.split('?');
      const route = routes.find(
        (r) => r.method === method && new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+').replace('*', '.+')}$`).test(pathname),
      )!;
      const headers: Record<string, string> = {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      };
      const answer = await send({
        route,
        surface,
        path: pathname,
        query: query ? `?${query}` : '',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(400);
      expect(envelopeProblem(surface, answer), `${method} ${path}: ${answer.text}`).toBeNull();
    }
    current = await store.snapshot();
  });

  for (const surface of [
    'dragonfly',
    'dgrid',
    'naap',
    'naap-oauth',
    'dashboard',
    'openai',
    'anthropic',
    'health',
    'metrics',
    'jwks',
    'web',
  ] as const) {
    it(`${surface}: never a 5xx or a stack trace, always its envelope, nothing written when refused`, async () => {
      const covered = await fuzzRoutes(surface);
      expect(covered).toBeGreaterThan(0);
    }, 300_000);
  }

  it('a method or path no route serves, under any surface: the same (a 404, or a preflight answer, in its envelope)', async () => {
    const served = new Map<string, Set<string>>();
    for (const r of routes) served.set(r.path, new Set([...(served.get(r.path) ?? []), r.method]));
    const surfaced = [...served.keys()].filter((path) => {
      const s = surfaceOf(path);
      return s !== null && s !== 'health' && s !== 'metrics' && s !== 'jwks' && s !== 'web';
    });
    const stray = fc
      .record({
        path: fc.constantFrom(...surfaced),
        method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        suffix: fc.oneof(
          { weight: 3, arbitrary: fc.constant('') },
          { weight: 2, arbitrary: fc.constantFrom('/x', '/', '/1/2/3', '/..%2F', '/%20', '/enablement', '/probe') },
          { weight: 1, arbitrary: randomParam.map((p) => `/${p}`) },
        ),
        preflight: fc.option(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), { freq: 2 }),
      })
      .filter(({ path, method, suffix }) => suffix !== '' || !served.get(path)!.has(method))
      .chain(({ path, method, suffix, preflight }) => {
        const route: Route = { method, path: path + suffix };
        const surface = surfaceOf(path)!;
        const realRoute = routes.find((r) => r.path === path)!;
        return fc
          .tuple(
            pathArb(realRoute),
            queryArb(realRoute),
            method === 'GET' || method === 'OPTIONS' ? fc.constant(undefined) : bodyArb({ method: 'POST', path }),
          )
          .chain(([filled, query, body]) =>
            headersArb({ route: realRoute, surface, hasBody: body !== undefined }).map((headers): Case => {
              if (body === undefined) delete headers['content-type'];
              if (method === 'OPTIONS' && preflight !== null)
                Object.assign(headers, { origin: headers.origin ?? 'https://evil.example', 'access-control-request-method': preflight });
              return { route, surface, path: filled + suffix, query, headers, body, unrouted: true };
            }),
          );
      });
    await fc.assert(
      fc.asyncProperty(stray, (c) => exercise(c)),
      { numRuns: STRAY_RUNS, seed: SEED, endOnFailure: true },
    );
  }, 300_000);

  it('/graphql (POST and GET): the same', async () => {
    for (const method of ['POST', 'GET'] as const) {
      const route = routes.find((r) => r.path === '/graphql' && r.method === method)!;
      await fc.assert(
        fc.asyncProperty(caseArb(route, 'graphql'), (c) => exercise(c)),
        { numRuns: GRAPHQL_RUNS[method], seed: SEED, endOnFailure: true },
      );
    }
    for (const route of routes.filter((r) => r.path === '/graphql' && r.method !== 'POST' && r.method !== 'GET')) {
      await fc.assert(
        fc.asyncProperty(caseArb(route, 'graphql'), (c) => exercise(c)),
        { numRuns: RUNS_PER_HEAD_ROUTE, seed: SEED, endOnFailure: true },
      );
    }
  }, 300_000);
});

// ---- regressions: bugs this fuzz found whose fixes are outside this suite's files ----------------

function regression(name: string, body: () => Promise<void>) {
  it(`no longer: ${name}`, body);
}

describe('regressions found by the fuzz (fixed in gateway/app.ts and gateway/inference)', () => {
  const graphqlCase = (body: unknown, token = fx.a.jwt): Case => ({
    route: { method: 'POST', path: '/graphql' },
    surface: 'graphql',
    path: '/graphql',
    query: '',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });

  regression('the data plane took only an exact "Bearer " prefix (a lower-case scheme was a 401 on /v1 alone)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer ']) {
      const response = await fetch(`${stack.url}/v1/models`, { headers: { authorization: `${scheme} ${fx.b.key}` } });
      expect(response.status, scheme).toBe(200);
    }
    expect((await fetch(`${stack.url}/v1/models`, { headers: { authorization: `Basic ${fx.b.key}` } })).status).toBe(401);
  });

  regression('POST /graphql with a subscription (served over graphql-ws only) is a 500', async () => {
    await exercise(graphqlCase({ query: 'subscription { jobFeed { id } }' }));
  });

  regression('GraphQL: a NUL written as a \\u0000 escape inside the document is an internal error', async () => {
    const ids = fc.constantFrom('\\u0000', 'a\\u0000b');
    await fc.assert(
      fc.asyncProperty(ids, async (escaped) => exercise(graphqlCase({ query: `{ apiKey(id: "${escaped}") { id } }` }))),
      { numRuns: 4, seed: SEED, endOnFailure: true },
    );
  });

  regression('the data plane: a model name holding a NUL is a 503 (the routing look-up fails in the store)', async () => {
    const route = routes.find((r) => r.path === '/v1/embeddings' && r.method === 'POST')!;
    await exercise({
      route,
      surface: 'openai',
      path: route.path,
      query: '',
      headers: { authorization: `Bearer ${fx.b.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dragonfly/sim-embed\u0000', input: 'hi' }),
    });
  });

  regression(
    'GraphQL: an operation that cannot be resolved (several operations and no operationName, or a name that is none) is a 500',
    async () => {
      const route = routes.find((r) => r.path === '/graphql' && r.method === 'POST')!;
      const documents = fc.record({
        query: fc.constantFrom(
          'query A { me { id } } query B { me { id } }',
          'query A { kpi { timeframeHours } }',
          '{ protocol { __typename } } query B { me { id } }',
        ),
        operationName: fc.option(fc.constantFrom('C', 'nope', ''), { nil: undefined }),
      });
      const cases = fc.tuple(documents, headersArb({ route, surface: 'graphql', hasBody: true })).map(
        ([body, headers]): Case => ({
          route,
          surface: 'graphql',
          path: '/graphql',
          query: '',
          headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
        }),
      );
      await fc.assert(
        fc.asyncProperty(cases, (c) => exercise(c)),
        { numRuns: 20, seed: SEED, endOnFailure: true },
      );
    },
  );

  regression(
    'a malformed %-escape or an over-long path parameter is answered by fastify itself (FST_ERR_BAD_URL / FST_ERR_MAX_PARAM_LENGTH, no surface envelope)',
    async () => {
      const parameterised = routes.filter((r) => r.path.includes('/:') && r.method !== 'HEAD');
      const cases = fc
        .tuple(
          fc.constantFrom(...parameterised),
          fc.oneof(
            misEncoded.map((bad) => `x${bad}`),
            fc.integer({ min: 101, max: 400 }).map((n) => 'a'.repeat(n)),
          ),
        )
        .chain(([route, bad]) =>
          headersArb({ route, surface: surfaceOf(route.path)!, hasBody: false }).map(
            (headers): Case => ({
              route,
              surface: surfaceOf(route.path)!,
              path: route.path.replace(/:\w+/, bad),
              query: '',
              headers,
              unrouted: true,
            }),
          ),
        );
      await fc.assert(
        fc.asyncProperty(cases, (c) => exercise(c)),
        { numRuns: 20, seed: SEED, endOnFailure: true },
      );
    },
  );

  it("restFrameworkErrors (fastify's own URL errors) answers in each surface envelope", async () => {
    const app = Fastify({ frameworkErrors: restFrameworkErrors });
    const paths: [string, Surface][] = [
      ['/api/keys/:id', 'dragonfly'],
      ['/v1/market/listings/:id', 'dragonfly'],
      ['/api/v1/model-router/keys/:id', 'dgrid'],
      ['/api/v1/developer/keys/:id', 'naap'],
      ['/api/v1/auth/providers/:slug/start', 'naap-oauth'],
      ['/api/v1/dashboard/kpi/:id', 'dashboard'],
      ['/v1/models/:id', 'openai'],
      ['/graphql/:id', 'graphql'],
    ];
    for (const [path] of paths) app.get(path, async () => ({}));
    try {
      for (const [path, surface] of paths) {
        for (const bad of ['%E0%A4%A', '%', 'a'.repeat(150)]) {
          const url = path.replace(/:\w+/, bad);
          const response = await app.inject({ method: 'GET', url });
          const answer: Answer = {
            method: 'GET',
            route: path,
            status: response.statusCode,
            headers: new Headers(response.headers as Record<string, string>),
            text: response.body,
            json: JSON.parse(response.body),
            unrouted: true,
          };
          expect([400, 414], url).toContain(answer.status);
          expect(envelopeProblem(surface, answer), `${url} → ${response.body}`).toBeNull();
          expect(leakProblem(answer), url).toBeNull();
        }
      }
    } finally {
      await app.close();
    }
  });
});
