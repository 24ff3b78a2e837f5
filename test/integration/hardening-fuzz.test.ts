// Property-based: random and mutated JSON bodies and query strings to the REST write routes and to
// /graphql never produce a 5xx or a stack trace, and always come back in the surface's own envelope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { credentials, type Credentials } from '../helpers/credentials';

type Envelope = 'dragonfly' | 'dgrid' | 'naap' | 'openai' | 'graphql';

const ROUTES: { method: string; path: string; token: (c: Credentials) => string; envelope: Envelope }[] = [
  { method: 'POST', path: '/api/auth/signup', token: () => '', envelope: 'dragonfly' },
  { method: 'POST', path: '/api/keys', token: (c) => c.jwt, envelope: 'dragonfly' },
  { method: 'POST', path: '/api/keys/groups', token: (c) => c.jwt, envelope: 'dragonfly' },
  { method: 'POST', path: '/api/management-keys', token: (c) => c.jwt, envelope: 'dragonfly' },
  { method: 'POST', path: '/api/billing/topups', token: (c) => c.jwt, envelope: 'dragonfly' },
  { method: 'POST', path: '/v1/pool/keys', token: (c) => c.jwt, envelope: 'dragonfly' },
  { method: 'POST', path: '/v1/market/listings', token: (c) => c.jwt, envelope: 'dragonfly' },
  { method: 'POST', path: '/api/routing/profiles', token: (c) => c.jwt, envelope: 'dragonfly' },
  { method: 'POST', path: '/v1/management-keys', token: (c) => c.jwt, envelope: 'dgrid' },
  { method: 'POST', path: '/api/v1/model-router/keys', token: (c) => c.mkFull, envelope: 'dgrid' },
  { method: 'POST', path: '/api/v1/developer/keys', token: (c) => c.jwt, envelope: 'naap' },
  { method: 'POST', path: '/api/v1/developer/projects', token: (c) => c.jwt, envelope: 'naap' },
  { method: 'POST', path: '/v1/chat/completions', token: (c) => c.buyerKey, envelope: 'openai' },
  { method: 'POST', path: '/v1/embeddings', token: (c) => c.buyerKey, envelope: 'openai' },
  { method: 'POST', path: '/graphql', token: (c) => c.jwt, envelope: 'graphql' },
];

function inEnvelope(envelope: Envelope, body: any): boolean {
  if (!body || typeof body !== 'object') return false;
  switch (envelope) {
    case 'dragonfly':
      return 'error' in body ? typeof body.error?.message === 'string' && typeof body.error?.code === 'string' : true;
    case 'dgrid':
      return typeof body.code === 'number' && typeof body.message === 'string';
    case 'naap':
      return typeof body.success === 'boolean';
    case 'openai':
      return 'error' in body ? typeof body.error?.message === 'string' && 'type' in body.error : true;
    case 'graphql':
      return 'data' in body || Array.isArray(body.errors);
  }
}

describe('fuzzed REST and GraphQL bodies', () => {
  let stack: TestStack;
  let creds: Credentials;
  beforeAll(async () => {
    stack = await startEmbeddedStack({
      MANAGEMENT_RATE_LIMIT_PER_MINUTE: '1000000',
      AUTH_RATE_LIMIT_PER_ADDRESS: '1000000',
      LOGIN_RATE_LIMIT_PER_EMAIL: '1000000',
    });
    creds = await credentials(stack.url);
  });
  afterAll(() => stack?.stop());

  const json = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(
      fc.constantFrom(
        'name',
        'email',
        'password',
        'limit',
        'cycle',
        'model',
        'messages',
        'input',
        'query',
        'variables',
        'mgmt_scope',
        'amount',
        'provider',
        'apiKey',
        'poolKeyId',
        'billingProviderId',
        'rawApiKey',
        'expiredAt',
        'ipAllow',
        'caps',
        'sort',
      ),
      fc.jsonValue(),
    ),
  );

  it('never answers 5xx, never shows a stack trace, always in the surface envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), json, fc.boolean(), async (route, value, raw) => {
        const token = route.token(creds);
        const body = raw ? JSON.stringify(value).slice(0, -1) : JSON.stringify(value);
        const response = await fetch(`${stack.url}${route.path}`, {
          method: route.method,
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body,
        });
        const text = await response.text();
        expect(response.status, `${route.path} ${body.slice(0, 200)} → ${text.slice(0, 200)}`).toBeLessThan(500);
        expect(text).not.toMatch(/\n\s+at [\w.<]+ \(|node_modules/);
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = null;
        }
        expect(inEnvelope(route.envelope, parsed), `${route.path} answered ${text.slice(0, 200)}`).toBe(true);
      }),
      { numRuns: 600, seed: 20261123 },
    );
  }, 120_000);
});
