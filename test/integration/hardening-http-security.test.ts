// Security headers on every route (REST, /graphql, health, 404s) and CORS: closed by default, open
// to CORS_ORIGINS, and open to any origin (GET only) on the public dashboard routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, rest } from '../helpers/graphql';
import { signup } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { isPublicPath } from '../../gateway/http-security';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

function expectSecurityHeaders(headers: Headers, csp = true) {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  if (csp) expect(headers.get('content-security-policy')).toMatch(/default-src 'none'/);
}

describe('HTTP security headers and CORS', () => {
  let stack: TestStack;
  let jwt: string;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ CORS_ORIGINS: `${ALLOWED}, https://other.example.com` });
    jwt = (await signup(stack.url, 'headers')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('sets the security headers on REST, /graphql, health, errors and 404s (no HSTS outside production)', async () => {
    const responses = [
      await rest(stack.url, 'GET', '/healthz'),
      await rest(stack.url, 'POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'whatever1' } }),
      await rest(stack.url, 'GET', '/api/keys', { token: jwt }),
      await rest(stack.url, 'GET', '/api/keys'),
      await rest(stack.url, 'GET', '/api/v1/billing-providers'),
      await rest(stack.url, 'GET', '/no/such/route'),
      await rest(stack.url, 'POST', '/v1/chat/completions', { body: {} }),
    ];
    for (const response of responses) {
      expectSecurityHeaders(response.headers);
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
    const gql = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(gql.status).toBe(200);
    expectSecurityHeaders(gql.headers);
  });

  it('serves the GraphQL IDE (development) under a same-origin-only CSP', async () => {
    const page = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expectSecurityHeaders(page.headers, false);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:/);
  });

  it('allows a configured origin: actual request and preflight', async () => {
    const actual = await rest(stack.url, 'GET', '/api/keys', { token: jwt, headers: { origin: ALLOWED } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(actual.headers.get('vary')).toMatch(/Origin/);
    const preflight = await fetch(`${stack.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    expectSecurityHeaders(preflight.headers);
  });

  it('denies any other origin: no allow-origin header, preflight 403', async () => {
    const actual = await rest(stack.url, 'GET', '/api/keys', { token: jwt, headers: { origin: EVIL } });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${stack.url}/api/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const gql = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(gql.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets any origin GET the public routes, but not other methods', async () => {
    const providers = await rest(stack.url, 'GET', '/api/v1/billing-providers', { headers: { origin: EVIL } });
    expect(providers.status).toBe(200);
    expect(providers.headers.get('access-control-allow-origin')).toBe('*');
    const preflightGet = await fetch(`${stack.url}/api/v1/dashboard/overview`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'GET' },
    });
    expect(preflightGet.status).toBe(204);
    expect(preflightGet.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflightGet.headers.get('access-control-allow-methods')).not.toMatch(/POST/);
    const preflightPost = await fetch(`${stack.url}/api/v1/billing-providers`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(preflightPost.status).toBe(403);
    expect(isPublicPath('/api/v1/dashboard/kpi?x=1')).toBe(true);
    expect(isPublicPath('/api/v1/developer/keys')).toBe(false);
  });

  it('is closed by default (no CORS_ORIGINS) and adds HSTS in production', async () => {
    const closed = await startEmbeddedStack({ NODE_ENV: 'production' });
    try {
      const preflight = await fetch(`${closed.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(403);
      const health = await rest(closed.url, 'GET', '/healthz', { headers: { origin: ALLOWED } });
      expect(health.headers.get('access-control-allow-origin')).toBeNull();
      expect(health.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expectSecurityHeaders(health.headers);
      const gql = await graphql(closed.url, '{ __typename }');
      expect(gql.status).toBe(200);
    } finally {
      await closed.stop();
    }
  });
});
