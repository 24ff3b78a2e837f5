// GET /metrics: Prometheus text exposition with HTTP, GraphQL, subgraph-fetch, usage and
// subscription metrics; route templates only, so no credential ever appears in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateApiKeyDocument } from '../../schema/generated/graphql';
import { graphql, rest, wsClient } from '../helpers/graphql';
import { credentials, type Credentials } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('GET /metrics', () => {
  let stack: TestStack;
  let creds: Credentials;
  let rawBuyerKey: string;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
    creds = await credentials(stack.url);
    const key = await graphql(stack.url, CreateApiKeyDocument, { input: { name: 'metrics' } }, creds.jwt);
    rawBuyerKey = key.data!.createApiKey.rawKey;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('exposes HTTP, GraphQL, subgraph, usage and subscription metrics in the text format', async () => {
    await rest(stack.url, 'GET', `/api/keys/${creds.buyerKeyId}`, { token: creds.mkFull });
    await rest(stack.url, 'GET', `/no/such/${rawBuyerKey}`, { token: rawBuyerKey }); // a key in a URL and a header
    await graphql(stack.url, '{ me { id } }', undefined, creds.jwt);
    await graphql(stack.url, `{ me { ${'id '.repeat(6000)} } }`, undefined, creds.jwt); // refused: tokens
    const client = wsClient(stack.url, creds.jwt);
    const events: unknown[] = [];
    const unsubscribe = client.subscribe(
      { query: 'subscription { jobFeed { id } }' },
      { next: (e) => events.push(e), error: () => {}, complete: () => {} },
    );
    try {
      let text = '';
      for (let i = 0; i < 50; i++) {
        const response = await fetch(`${stack.url}/metrics`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        text = await response.text();
        if (sample(text, 'graphql_subscriptions_open') === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(sample(text, 'graphql_subscriptions_open')).toBe(1);
      expect(sample(text, 'graphql_subscription_upstreams')).toBe(1);
      // A subscriber that keeps up loses nothing.
      expect(sample(text, 'graphql_subscription_events_dropped_total')).toBe(0);
      expect(sample(text, 'graphql_subscription_subscribers_dropped_total')).toBe(0);
      expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/keys/:id', status: '200' })).toBe(1);
      expect(sample(text, 'http_requests_total', { method: 'POST', route: '/api/auth/signup', status: '201' })).toBeGreaterThanOrEqual(2);
      expect(sample(text, 'http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
      expect(
        sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' }),
      ).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/graphql",status="200"\}/);
      expect(sample(text, 'graphql_operations_total', { type: 'query' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'graphql_operations_total', { type: 'mutation' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'graphql_refused_total', { code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
      expect(sample(text, 'graphql_subgraph_fetches_total', { subgraph: 'accounts', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'graphql_subgraph_fetch_duration_seconds_count', { subgraph: 'accounts' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'usage_events_pending')).toBe(0);
      expect(text).toContain('# TYPE inference_budget_refusals_total counter');
      expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
      // Nothing secret: no key, no token, no email.
      for (const secret of [rawBuyerKey, creds.buyerKey, creds.mkFull, creds.jwt, creds.email, stack.config.platformSecret])
        expect(text).not.toContain(secret);
      expect(text).not.toMatch(/sk-df-|mk-[A-Za-z0-9_-]{8}|Bearer/);
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });

  it('requires METRICS_TOKEN as a Bearer token when it is set', async () => {
    const guarded = await startEmbeddedStack({ METRICS_TOKEN: 'metrics-token-for-tests' });
    try {
      const refused = await fetch(`${guarded.url}/metrics`);
      expect(refused.status).toBe(401);
      const wrong = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('http_requests_total');
    } finally {
      await guarded.stop();
    }
  });
});
