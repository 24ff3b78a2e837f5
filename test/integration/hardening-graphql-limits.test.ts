// Edge limits on /graphql (issue 8): depth, aliases, root fields, tokens and cost are refused with
// a 400 before any subgraph is called; batched requests are refused; CSRF prevention is on; the
// same limits apply to graphql-ws subscriptions.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildASTSchema, getIntrospectionQuery, parse, Kind, type OperationDefinitionNode } from 'graphql';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMA_DIR } from '../../schema/paths';
import { DEFAULT_GRAPHQL_LIMITS, graphqlLimitsFromEnv, measureOperation } from '../../gateway/graphql-limits';
import { graphql, wsClient } from '../helpers/graphql';
import { signup } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

/** `me { listings { seller { listings { seller … } } } }`: depth 1 + 2 × cycles + 1. */
function deepMe(cycles: number): string {
  let inner = 'id';
  for (let i = 0; i < cycles; i++) inner = `listings { seller { ${inner} } }`;
  return `{ me { ${inner} } }`;
}

describe('GraphQL edge limits', () => {
  let stack: TestStack;
  let jwt: string;
  const subgraphCalls = () => stack.platform!.runtimes.reduce((n, r) => n + (vi.mocked(r.execute).mock?.calls.length ?? 0), 0);

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    jwt = (await signup(stack.url, 'limits')).jwt;
    for (const runtime of stack.platform!.runtimes) vi.spyOn(runtime, 'execute');
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await stack?.stop();
  });

  async function refusedBeforeExecution(query: string, limit: string | null, code = 'GRAPHQL_VALIDATION_FAILED') {
    const before = subgraphCalls();
    const response = await graphql(stack.url, query, undefined, jwt);
    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.errors!.every((e) => e.extensions?.code === code)).toBe(true);
    if (limit) expect(response.errors!.map((e) => (e.extensions as Record<string, unknown>).limit)).toContain(limit);
    expect(subgraphCalls()).toBe(before); // no subgraph (so no database) was reached
    return response;
  }

  it('answers ordinary queries (and counts their subgraph calls)', async () => {
    const before = subgraphCalls();
    const ok = await graphql(stack.url, deepMe(1), undefined, jwt);
    expect(ok.status).toBe(200);
    expect(ok.errors).toBeUndefined();
    expect(subgraphCalls()).toBeGreaterThan(before);
  });

  it('refuses a query deeper than 12 before any resolver runs', async () => {
    const response = await refusedBeforeExecution(deepMe(6), 'maxDepth');
    const error = response.errors!.find((e) => (e.extensions as Record<string, unknown>).limit === 'maxDepth')!;
    expect(error.message).toMatch(/depth 14 exceeds the maximum of 12/);
    expect(error.extensions).toMatchObject({ max: 12, actual: 14 });
  });

  it('counts depth through fragments and inline fragments', async () => {
    const query = `query { me { ...A } } fragment A on Account { listings { seller { ...B } } } fragment B on Account { listings { seller { ... on Account { listings { seller { listings { seller { listings { seller { listings { seller { id } } } } } } } } } } } }`;
    await refusedBeforeExecution(query, 'maxDepth');
  });

  it('refuses more than 30 aliases', async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ');
    await refusedBeforeExecution(`{ ${fields} }`, 'maxAliases');
    const ok = await graphql(stack.url, `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: __typename`).join(' ')} }`, undefined, jwt);
    expect(ok.status).toBe(200);
  });

  it('refuses more than 20 root fields, also when spread from a fragment', async () => {
    const fields = Array.from({ length: 21 }, () => 'me { id }').join(' ');
    await refusedBeforeExecution(`{ ${fields} }`, 'maxRootFields');
    await refusedBeforeExecution(`{ ...R } fragment R on Query { ${fields} }`, 'maxRootFields');
  });

  it('refuses an operation over 5000 tokens at parse time', async () => {
    const query = `{ me { ${'id '.repeat(5001)} } }`;
    const response = await refusedBeforeExecution(query, null, 'GRAPHQL_PARSE_FAILED');
    expect(response.errors![0].message).toMatch(/more th.. 5000 tokens/i);
  });

  it('refuses an estimated cost over 25,000 (lists multiply their selection by their bound)', async () => {
    // Listings hold at most 200 per account (MAX_LISTINGS_PER_ACCOUNT): 4 nested lists are far beyond 25,000.
    const query = `{ me { listings { seller { listings { seller { listings { seller { listings { id name model } } } } } } } } }`;
    const response = await refusedBeforeExecution(query, 'maxCost');
    expect(response.errors!.map((e) => (e.extensions as Record<string, unknown>).limit)).not.toContain('maxDepth');
    // An explicit small `limit:` argument is used instead of the multiplier.
    const small = await graphql(stack.url, '{ jobFeed(limit: 5) { id model } }', undefined, jwt);
    expect(small.status).toBe(200);
    const huge = await graphql(stack.url, '{ jobFeed(limit: 100000) { id model } }', undefined, jwt);
    expect(huge.status).toBe(400);
  });

  it('refuses batched (JSON array) requests', async () => {
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('keeps CSRF prevention on: GET and text/plain POST without a preflight header are refused', async () => {
    const get = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF|preflight/i);
    const simplePost = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(simplePost.status).toBeGreaterThanOrEqual(400);
    expect(simplePost.status).toBeLessThan(500);
    const withHeader = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(withHeader.status).toBe(200);
  });

  it('applies the same limits to graphql-ws subscriptions', async () => {
    const client = wsClient(stack.url, jwt);
    try {
      const errors = await new Promise<readonly { message: string }[]>((resolve, reject) => {
        const fields = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ');
        client.subscribe(
          {
            query: `subscription { jobFeed { id listing { seller { listings { seller { listings { seller { listings { seller { listings { seller { listings { id } } } } } } } } } } } ${fields} } }`,
          },
          {
            next: () => reject(new Error('expected a refusal')),
            error: (error) => resolve(Array.isArray(error) ? error : [error as { message: string }]),
            complete: () => reject(new Error('completed without a refusal')),
          },
        );
      });
      const messages = errors.map((e) => e.message).join('\n');
      expect(messages).toMatch(/depth .* exceeds the maximum of 12/);
      expect(messages).toMatch(/aliases; the maximum is 30/);
    } finally {
      await client.dispose();
    }
    expect(stack.platform!.gateway.subscriptionStats().open).toBe(0);
  });
});

describe('graphql-limits settings and measures', () => {
  const schema = buildASTSchema(parse(readFileSync(path.join(SCHEMA_DIR, 'api.graphql'), 'utf8')));
  const measure = (text: string) => {
    const document = parse(text);
    return measureOperation(
      schema,
      document,
      document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode,
      10,
    );
  };

  it('has defaults and reads overrides from the environment', () => {
    expect(graphqlLimitsFromEnv({})).toEqual(DEFAULT_GRAPHQL_LIMITS);
    expect(DEFAULT_GRAPHQL_LIMITS).toMatchObject({
      maxDepth: 12,
      maxAliases: 30,
      maxRootFields: 20,
      maxTokens: 5000,
      maxCost: 25_000,
      listCostMultiplier: 10,
      maxResponseBytes: 4 * 1024 * 1024,
    });
    expect(DEFAULT_GRAPHQL_LIMITS.listBounds['Account.apiKeys']).toEqual({ max: 1000 });
    expect(graphqlLimitsFromEnv({ MAX_API_KEYS_PER_ACCOUNT: '7' }).listBounds['Account.apiKeys']).toEqual({ max: 7 });
    expect(graphqlLimitsFromEnv({ GRAPHQL_MAX_DEPTH: '5', GRAPHQL_MAX_COST: '99' })).toMatchObject({
      maxDepth: 5,
      maxCost: 99,
      maxAliases: 30,
    });
    expect(() => graphqlLimitsFromEnv({ GRAPHQL_MAX_DEPTH: '0' })).toThrow(/GRAPHQL_MAX_DEPTH/);
  });

  it('lets the standard introspection query through (introspection is off in production)', () => {
    const m = measure(getIntrospectionQuery());
    expect(m.depth).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxDepth);
    expect(m.cost).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxCost);
  });

  it('measures fragment bombs linearly', () => {
    let text = 'query { me { ...F0 } } fragment F0 on Account { id name }';
    for (let i = 1; i <= 40; i++) text += ` fragment F${i} on Account { ...F${i - 1} ...F${i - 1} }`;
    text = text.replace('{ me { ...F0 } }', '{ me { ...F40 } }');
    const started = Date.now();
    const m = measure(text);
    expect(Date.now() - started).toBeLessThan(500);
    expect(m.cost).toBeGreaterThan(DEFAULT_GRAPHQL_LIMITS.maxCost);
  });

  it('every operation the product itself sends is within the defaults', () => {
    const dir = path.join(SCHEMA_DIR, 'operations');
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.graphql'))) {
      const document = parse(readFileSync(path.join(dir, file), 'utf8'));
      for (const op of document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)) {
        const m = measureOperation(schema, document, op, 10);
        expect({
          op: op.name?.value,
          ok: m.depth <= 12 && m.aliases <= 30 && m.rootFields <= 20 && m.cost <= DEFAULT_GRAPHQL_LIMITS.maxCost,
        }).toEqual({ op: op.name?.value, ok: true });
      }
    }
  });
});
