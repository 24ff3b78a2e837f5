// GET /openapi.json: a valid OpenAPI 3.1 document, generated from the routes' own schemas, that
// documents every REST route the gateway serves and every METHOD + path of the three source
// documents (Dragonfly's SKILL, DGrid's management-keys guide, NaaP's developer API); each
// operation has a summary and a success response. Served in production too.
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../../gateway/openapi';
import { documentationOnly, strictBody, str, int, surfaceOperations } from '../../gateway/rest/openapi-schemas';
import Fastify, { type FastifySchema } from 'fastify';
import { signup, managementKey } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { rest } from '../helpers/graphql';
import { listRoutes, type Route } from '../helpers/rest-surfaces';
import { eventually } from '../helpers/eventually';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

type Operation = {
  summary?: string;
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses?: Record<string, unknown>;
  parameters?: { name: string; in: string; schema?: Record<string, unknown> }[];
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

/** Every METHOD + path the three source documents name (their own spelling of parameters). */
const SEED_OPERATIONS: Record<string, string[]> = {
  'Dragonfly SKILL': [
    'POST /v1/chat/completions',
    'GET /v1/models',
    'POST /v1/embeddings',
    'POST /v1/audio/speech',
    'GET /api/keys',
    'POST /api/keys',
    'PATCH /api/keys/:id',
    'DELETE /api/keys/:id',
    'GET /api/routing/profiles',
    'POST /api/routing/profiles',
    'PATCH /api/routing/profiles/:id',
    'GET /api/usage',
    'GET /api/usage/by-key',
    'GET /api/usage/daily',
    'GET /api/billing/balance',
    'GET /api/billing/transactions',
    'GET /v1/pool/providers',
    'GET /v1/pool/keys',
    'POST /v1/pool/keys',
    'DELETE /v1/pool/keys/:id',
    'GET /v1/market/listings',
    'POST /v1/market/listings',
    'PATCH /v1/market/listings/:id',
    'DELETE /v1/market/listings/:id',
    'POST /v1/market/listings/:id/confirm-price',
    'GET /v1/market/listings/:id/contracts',
    'GET /v1/market/contracts/:id/checks',
    'POST /v1/market/contracts/:id/reverify',
    'POST /v1/market/contracts/:id/unsuspend',
    'POST /v1/market/listings/:id/probe',
    'GET /v1/market/listings/:id/probe-runs',
    'GET /v1/market/earnings',
    'GET /v1/market/earnings/summary',
    'GET /v1/market/earnings/timeseries',
    'GET /v1/market/earnings/monthly',
    'GET /v1/market/earnings/reserve',
    'GET /v1/market/reviews',
    'POST /api/management-keys',
  ],
  'DGrid management keys': [
    'POST /v1/management-keys',
    'GET /v1/management-keys',
    'PUT /v1/management-keys/{id}',
    'DELETE /v1/management-keys/{id}',
    'POST /v1/management-keys/{id}/enablement',
    'POST /v1/management-keys/{id}/disablement',
    'GET /api/v1/model-router/keys',
    'POST /api/v1/model-router/keys',
    'GET /api/v1/model-router/keys/{id}',
    'PUT /api/v1/model-router/keys/{id}',
    'POST /api/v1/model-router/keys/{id}/disablement',
    'POST /api/v1/model-router/keys/{id}/enablement',
    'DELETE /api/v1/model-router/keys/{id}',
  ],
  'NaaP developer API': [
    'GET /api/v1/dashboard/kpi',
    'GET /api/v1/dashboard/pipelines',
    'GET /api/v1/dashboard/pipeline-catalog',
    'GET /api/v1/dashboard/orchestrators',
    'GET /api/v1/dashboard/protocol',
    'GET /api/v1/dashboard/gpu-capacity',
    'GET /api/v1/dashboard/pricing',
    'GET /api/v1/dashboard/fees',
    'GET /api/v1/dashboard/job-feed',
    'GET /api/v1/billing-providers',
    'GET /api/v1/developer/keys',
    'POST /api/v1/developer/keys',
    'GET /api/v1/developer/keys/{id}',
    'DELETE /api/v1/developer/keys/{id}',
    'GET /api/v1/developer/models',
    'GET /api/v1/developer/models/{id}',
    'GET /api/v1/developer/network-models',
    'GET /api/v1/developer/projects',
    'GET /api/v1/developer/usage',
  ],
};

/** Routes that are not part of the REST reference: GraphQL, health, metrics, the web pages and their assets, the reference itself. */
const NOT_REST = [
  /^\/graphql$/,
  /^\/healthz$/,
  /^\/readyz$/,
  /^\/metrics$/,
  /^\/$/,
  /^\/dashboard(\/\*)?$/,
  /^\/assets\//,
  /^\/openapi\.json$/,
  /^\/docs(\/|$)/,
];

/** `METHOD /path` (either spelling of parameters) → the document's `METHOD /path/{param}`. */
function documentedAs(operation: string): { method: string; path: string } {
  const [method, path] = operation.split(' ');
  return { method: method.toLowerCase(), path: openApiPath(path) };
}

/** The operations of `wanted` that the document lacks (none: all documented). */
export function missingOperations(document: Document, wanted: string[]): string[] {
  return wanted.filter((operation) => {
    const { method, path } = documentedAs(operation);
    return !document.paths[path]?.[method];
  });
}

/** The REST routes the app serves (each method once; HEAD is GET's). */
function restRoutes(routes: Route[]): string[] {
  return [
    ...new Set(
      routes.filter((r) => r.method !== 'HEAD' && !NOT_REST.some((pattern) => pattern.test(r.path))).map((r) => `${r.method} ${r.path}`),
    ),
  ];
}

const operationsOf = (document: Document) =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
  );

describe('GET /openapi.json', () => {
  let stack: TestStack;
  let document: Document;
  let routes: Route[];

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    const response = await fetch(`${stack.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = (await response.json()) as Document;
    routes = listRoutes(stack.platform!.gateway);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors)?.slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
    // The validator does refuse a broken document (no info, a path without a leading slash).
    expect((await new Validator().validate({ openapi: '3.1.0', paths: { keys: {} } })).valid).toBe(false);
  });

  it('documents every REST and data-plane route the gateway registered', () => {
    const served = restRoutes(routes);
    // The enumeration saw the whole app: every surface is among them.
    expect(served.length).toBeGreaterThan(100);
    for (const expected of [
      'POST /api/keys',
      'PUT /api/v1/model-router/keys/:id',
      'GET /api/v1/developer/models/*',
      'GET /api/v1/dashboard/job-feed',
      'POST /v1/messages',
      'GET /v1/models/*',
      'GET /.well-known/jwks.json',
    ]) {
      expect(served).toContain(expected);
    }
    expect(missingOperations(document, served)).toEqual([]);
    // And nothing else: no GraphQL, health, page or asset route leaked into the reference.
    expect(operationsOf(document).length).toBe(served.length);
  });

  it('documents every METHOD + path of the three source documents', () => {
    for (const [source, operations] of Object.entries(SEED_OPERATIONS)) expect(missingOperations(document, operations), source).toEqual([]);
  });

  it('would notice a route missing from the document', () => {
    const served = restRoutes(routes);
    const trimmed = structuredClone(document);
    delete trimmed.paths['/api/v1/model-router/keys/{id}'].put;
    delete trimmed.paths['/v1/chat/completions'];
    expect(missingOperations(trimmed, served).sort()).toEqual(['POST /v1/chat/completions', 'PUT /api/v1/model-router/keys/:id']);
    expect(missingOperations(trimmed, SEED_OPERATIONS['DGrid management keys'])).toEqual(['PUT /api/v1/model-router/keys/{id}']);
  });

  it('gives every operation a summary, a tag, an operationId, credentials and a 2xx answer; errors in the surface envelope', () => {
    const ids = new Set<string>();
    for (const { key, operation } of operationsOf(document)) {
      expect(operation.summary, key).toMatch(/\w/);
      expect(['Dragonfly', 'DGrid', 'NaaP', 'Data plane'], key).toContain(operation.tags?.[0]);
      expect(operation.operationId, key).toBeTruthy();
      expect(ids.has(operation.operationId!), `duplicate operationId ${operation.operationId}`).toBe(false);
      ids.add(operation.operationId!);
      expect(Array.isArray(operation.security), key).toBe(true);
      const statuses = Object.keys(operation.responses ?? {});
      expect(
        statuses.some((status) => /^2\d\d$/.test(status) || status === '302'),
        `${key}: ${statuses.join(', ')}`,
      ).toBe(true);
      const errorRef = JSON.stringify((operation.responses ?? {}).default);
      expect(errorRef, key).toMatch(/#\/components\/schemas\/(Dragonfly|Dgrid|Naap|Dashboard|OpenAI|Anthropic)Error/);
    }
    for (const name of ['DragonflyError', 'DgridError', 'NaapError', 'DashboardError', 'OpenAIError', 'AnthropicError'])
      expect(document.components.schemas).toHaveProperty(name);
  });

  it("names the credential each surface takes and the seeds' defaults and limits", () => {
    const op = (method: string, path: string) => document.paths[path][method];
    const param = (operation: Operation, name: string) => operation.parameters?.find((p) => p.name === name)?.schema;
    expect(op('get', '/api/v1/model-router/keys').security).toEqual([{ managementKey: [] }]);
    expect(op('get', '/v1/management-keys').security).toEqual([{ dashboardSession: [] }]);
    expect(op('post', '/v1/chat/completions').security).toEqual([{ buyerKey: [] }]);
    expect(op('get', '/api/keys').security).toEqual([{ dashboardSession: [] }, { managementKey: [] }]);
    expect(op('get', '/api/v1/billing-providers').security).toEqual([]);
    expect(param(op('get', '/api/v1/model-router/keys'), 'size')).toMatchObject({ default: 20, maximum: 100 });
    expect(param(op('get', '/api/v1/model-router/keys'), 'page')).toMatchObject({ default: 1 });
    expect(param(op('get', '/api/v1/developer/keys'), 'pageSize')).toMatchObject({ default: 20 });
    expect(param(op('get', '/api/v1/dashboard/fees'), 'days')).toMatchObject({ default: 180, minimum: 7, maximum: 365 });
    expect(param(op('get', '/api/v1/dashboard/pipelines'), 'limit')).toMatchObject({ default: 5 });
    expect(document.components.securitySchemes).toHaveProperty('buyerKey');
  });

  it('describes the answers the routes really give', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const seller = await signup(stack.url, 'openapi');
    const management = await managementKey(stack.url, seller.jwt, 'FULL');
    const created = await rest(stack.url, 'POST', '/api/keys', { token: seller.jwt, body: { name: 'openapi doc check' } });
    expect(created.status).toBe(201);
    const buyerKey = created.body.key as string;
    const calls: [method: string, path: string, documented: string, token?: string, body?: unknown][] = [
      ['GET', '/api/v1/billing-providers', '/api/v1/billing-providers'],
      ['GET', '/api/v1/dashboard/job-feed', '/api/v1/dashboard/job-feed'],
      ['GET', '/.well-known/jwks.json', '/.well-known/jwks.json'],
      ['GET', '/api/keys', '/api/keys', seller.jwt],
      ['GET', `/api/keys/${created.body.id}`, '/api/keys/{id}', seller.jwt],
      ['GET', '/api/keys/groups', '/api/keys/groups', seller.jwt],
      ['GET', '/api/management-keys', '/api/management-keys', seller.jwt],
      ['GET', '/api/usage', '/api/usage', seller.jwt],
      ['GET', '/api/usage/requests', '/api/usage/requests', seller.jwt],
      ['GET', '/api/billing/balance', '/api/billing/balance', seller.jwt],
      ['GET', '/api/billing/transactions', '/api/billing/transactions', seller.jwt],
      ['GET', '/api/routing/profiles', '/api/routing/profiles', seller.jwt],
      ['POST', '/api/routing/profiles', '/api/routing/profiles', seller.jwt, { name: 'cheapest', sort: 'price', maxPrice: { input: 2 } }],
      ['GET', '/v1/pool/providers', '/v1/pool/providers', seller.jwt],
      ['GET', '/v1/market/seller', '/v1/market/seller', seller.jwt],
      ['GET', '/v1/market/earnings/summary', '/v1/market/earnings/summary', seller.jwt],
      ['GET', '/v1/market/payouts', '/v1/market/payouts', seller.jwt],
      ['GET', '/v1/management-keys', '/v1/management-keys', seller.jwt],
      ['GET', '/api/v1/model-router/keys', '/api/v1/model-router/keys', management.rawKey],
      [
        'POST',
        '/api/v1/model-router/keys',
        '/api/v1/model-router/keys',
        management.rawKey,
        { name: 'doc check', limit: 5, cycle: 'monthly' },
      ],
      ['GET', '/api/v1/developer/keys', '/api/v1/developer/keys', seller.jwt],
      ['GET', '/api/v1/developer/projects', '/api/v1/developer/projects', seller.jwt],
      ['GET', '/api/v1/developer/usage', '/api/v1/developer/usage', seller.jwt],
      ['GET', '/api/v1/developer/models', '/api/v1/developer/models', seller.jwt],
      ['GET', '/api/v1/developer/network-models', '/api/v1/developer/network-models', seller.jwt],
      ['GET', '/v1/models', '/v1/models', buyerKey],
      ['GET', '/v1/key', '/v1/key', buyerKey],
    ];
    const problems: string[] = [];
    for (const [method, path, documented, token, body] of calls) {
      const answer = await rest(stack.url, method, path, { token, body });
      const responses = document.paths[documented][method.toLowerCase()].responses as Record<
        string,
        { content?: Record<string, { schema: object }> }
      >;
      const schema = responses[String(answer.status)]?.content?.['application/json']?.schema;
      if (!schema) {
        problems.push(`${method} ${path}: ${answer.status} is not a documented success (${JSON.stringify(answer.body).slice(0, 200)})`);
        continue;
      }
      if (!ajv.validate(schema, answer.body))
        problems.push(`${method} ${path}: ${ajv.errorsText(ajv.errors, { separator: '; ' }).slice(0, 500)}`);
    }
    expect(problems).toEqual([]);
  });

  it('describes the answers of the supply and data-plane routes too', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const seller = await signup(stack.url, 'openapi-seller');
    const pool = await poolKey(stack.url, seller.jwt, 'sim-openapi');
    const [chatListing] = await Promise.all([
      admittedListing(stack.url, seller.jwt, {
        poolKeyId: pool,
        model: 'dragonfly/sim-chat',
        upstreamModel: 'sim-chat',
        inputPricePerMTok: '1',
        outputPricePerMTok: '2',
      }),
      admittedListing(stack.url, seller.jwt, {
        poolKeyId: pool,
        model: 'dragonfly/sim-embed',
        upstreamModel: 'sim-embed',
        capability: 'EMBEDDINGS',
        inputPricePerMTok: '0.02',
      }),
    ]);
    const buyer = await fundedBuyer(stack.url, '5');
    const chat = { model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 };
    const completion = await rest(stack.url, 'POST', '/v1/chat/completions', { token: buyer.key, body: chat });
    expect(completion.status).toBe(200);
    const requestId = completion.headers.get('x-request-id')!;
    const contracts = await rest(stack.url, 'GET', `/v1/market/listings/${chatListing}/contracts`, { token: seller.jwt });
    const calls: [method: string, path: string, documented: string, token: string, body?: unknown][] = [
      ['GET', '/v1/pool/keys', '/v1/pool/keys', seller.jwt],
      ['GET', '/v1/market/listings', '/v1/market/listings', seller.jwt],
      ['GET', `/v1/market/listings/${chatListing}`, '/v1/market/listings/{id}', seller.jwt],
      ['GET', `/v1/market/listings/${chatListing}/contracts`, '/v1/market/listings/{id}/contracts', seller.jwt],
      ['GET', `/v1/market/contracts/${contracts.body.contracts[0].id}/checks`, '/v1/market/contracts/{id}/checks', seller.jwt],
      ['GET', `/v1/market/listings/${chatListing}/probe-runs`, '/v1/market/listings/{id}/probe-runs', seller.jwt],
      ['GET', '/v1/market/reviews', '/v1/market/reviews', seller.jwt],
      ['POST', '/v1/chat/completions', '/v1/chat/completions', buyer.key, chat],
      ['POST', '/v1/embeddings', '/v1/embeddings', buyer.key, { model: 'dragonfly/sim-embed', input: 'hello' }],
      ['POST', '/v1/completions', '/v1/completions', buyer.key, { model: 'dragonfly/sim-chat', prompt: 'hello', max_tokens: 8 }],
      ['POST', '/v1/responses', '/v1/responses', buyer.key, { model: 'dragonfly/sim-chat', input: 'hello', max_output_tokens: 16 }],
      [
        'POST',
        '/v1/messages',
        '/v1/messages',
        buyer.key,
        { model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 },
      ],
      [
        'POST',
        '/v1/messages/count_tokens',
        '/v1/messages/count_tokens',
        buyer.key,
        { model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'hello' }] },
      ],
      ['GET', '/v1/models/dragonfly/sim-chat', '/v1/models/{model}', buyer.key],
      ['GET', '/api/v1/developer/models/dragonfly/sim-chat', '/api/v1/developer/models/{id}', seller.jwt],
    ];
    const problems: string[] = [];
    for (const [method, path, documented, token, body] of calls) {
      const answer = await rest(stack.url, method, path, { token, body });
      const responses = document.paths[documented][method.toLowerCase()].responses as Record<
        string,
        { content?: Record<string, { schema: object }> }
      >;
      const schema = responses[String(answer.status)]?.content?.['application/json']?.schema;
      if (!schema)
        problems.push(`${method} ${path}: ${answer.status} is not a documented success (${JSON.stringify(answer.body).slice(0, 300)})`);
      else if (!ajv.validate(schema, answer.body))
        problems.push(`${method} ${path}: ${ajv.errorsText(ajv.errors, { separator: '; ' }).slice(0, 500)}`);
    }
    // The request just made, by its id (the usage event reaches billing shortly after the answer).
    await eventually(async () => {
      for (const [path, documented, token] of [
        [`/v1/generation?id=${requestId}`, '/v1/generation', buyer.key],
        [`/api/usage/requests/${requestId}`, '/api/usage/requests/{id}', buyer.jwt],
      ]) {
        const answer = await rest(stack.url, 'GET', path, { token });
        expect(answer.status, path).toBe(200);
        const schema = (document.paths[documented].get.responses as Record<string, { content: Record<string, { schema: object }> }>)['200']
          .content['application/json'].schema;
        expect(ajv.validate(schema, answer.body), `${path}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
      }
    });
    expect(problems).toEqual([]);
  });

  it('documents without judging: the routes still answer bad input as they did, in their own envelopes', async () => {
    // days is an integer from 7 to 365 in the schema: the adapter's own message, not a validator's.
    const fees = await fetch(`${stack.url}/api/v1/dashboard/fees?days=abc`);
    expect(fees.status).toBe(400);
    expect(await fees.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'Invalid days: abc (an integer from 7 to 365)' } });
    // limit is an integer in the schema; the route has always read a non-integer as "use the default".
    const pipelines = await fetch(`${stack.url}/api/v1/dashboard/pipelines?limit=abc`);
    expect(pipelines.status).toBe(200);
    // email is a string in the schema: the accounts subgraph judges it, in Dragonfly's envelope.
    const login = await fetch(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 5, password: 'x' }),
    });
    expect(login.status).toBeGreaterThanOrEqual(400);
    const refusal = (await login.json()) as { error: { code: string; message: string } };
    expect(Object.keys(refusal)).toEqual(['error']);
    expect(refusal.error.message).not.toMatch(/^body\/|must be string/);
    // model must be a string in the schema: the data plane still asks for the key first, in OpenAI's envelope.
    const chat = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 7 }),
    });
    expect(chat.status).toBe(401);
    expect(await chat.json()).toMatchObject({ error: { type: 'authentication_error' } });
  });
});

describe('documentation-only schemas', () => {
  // One route, registered with and without a schema that disagrees with what it is sent: the
  // answers must be byte for byte the same (no ajv refusal, coercion or defaults; no
  // fast-json-stringify dropping fields), errors included.
  const schema: FastifySchema = surfaceOperations('Dragonfly', 'DragonflyError', ['dashboardSession'])({
    operationId: 'probe',
    summary: 'Probe',
    params: { id: int() },
    query: { page: int('Page', { default: 1, minimum: 1 }) },
    body: strictBody({ name: str() }, ['name']),
    ok: { type: 'object', properties: { only: str() }, additionalProperties: false },
  });
  async function app(withSchema: boolean) {
    const server = Fastify();
    await server.register(async (scope) => {
      documentationOnly(scope);
      scope.post('/probe/:id', withSchema ? { schema } : {}, async (request, reply) => {
        if ((request.query as { fail?: string }).fail) throw new Error('handler failed');
        return reply.code(201).send({ params: request.params, query: request.query, body: request.body, extra: [1, 'two'] });
      });
      // Every error handler failing: fastify's last-resort answer.
      scope.setErrorHandler(() => {
        throw new Error('error handler failed');
      });
    });
    return server;
  }
  const requests = [
    { method: 'POST' as const, url: '/probe/abc?page=zero', payload: { name: 5, unknown: true } },
    { method: 'POST' as const, url: '/probe/7', payload: {} },
    { method: 'POST' as const, url: '/probe/7?fail=1', payload: { name: 'x' } },
    { method: 'POST' as const, url: '/probe/7', payload: '{"name":', headers: { 'content-type': 'application/json' } },
  ];

  it('answer exactly as the same routes without schemas', async () => {
    const [documented, bare] = await Promise.all([app(true), app(false)]);
    for (const request of requests) {
      const [a, b] = await Promise.all([documented.inject(request), bare.inject(request)]);
      expect({ status: a.statusCode, type: a.headers['content-type'], body: a.body }, request.url).toEqual({
        status: b.statusCode,
        type: b.headers['content-type'],
        body: b.body,
      });
    }
    // The first one reached the handler as sent (no coercion, no default, no refusal).
    const first = JSON.parse((await documented.inject(requests[0])).body);
    expect(first).toEqual({ params: { id: 'abc' }, query: { page: 'zero' }, body: { name: 5, unknown: true }, extra: [1, 'two'] });
    await Promise.all([documented.close(), bare.close()]);
  });
});

describe('GET /openapi.json and /docs in production', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ NODE_ENV: 'production', METRICS_TOKEN: 'openapi-test-metrics-token', SANDBOX_TOPUPS: '', DEMO: '' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the document and the reference page', async () => {
    const document = await fetch(`${stack.url}/openapi.json`);
    expect(document.status).toBe(200);
    expect(((await document.json()) as Document).paths['/api/keys']).toBeDefined();
    const page = await fetch(`${stack.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // Same-origin only: no CDN, no remote fonts, nothing inline to run.
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:|unsafe-eval/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
  });
});
