// Login brute-force throttling: /api/auth/login is limited per email (10 a minute) and per client
// address (30 a minute), /api/auth/signup per address (30 a minute); 429 in the Dragonfly
// envelope with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../helpers/graphql';
import { signup } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { authRateLimits } from '../../gateway/rest/dragonfly-auth';

function expectThrottled(response: Awaited<ReturnType<typeof rest>>) {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/Too many/) } });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('auth throttling', () => {
  let stack: TestStack;
  let victim: { email: string };
  beforeAll(async () => {
    stack = await startEmbeddedStack();
    // The limiter's windows are aligned to the minute: start well inside one so the counts hold.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 8000) await new Promise((r) => setTimeout(r, left + 50));
    victim = await signup(stack.url, 'victim'); // 1 signup from this address
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('has documented defaults, overridable by the environment', () => {
    expect(authRateLimits({})).toEqual({ perAddress: 30, loginPerEmail: 10 });
    expect(authRateLimits({ AUTH_RATE_LIMIT_PER_ADDRESS: '5', LOGIN_RATE_LIMIT_PER_EMAIL: '2' })).toEqual({ perAddress: 5, loginPerEmail: 2 });
  });

  it('throttles the 11th login attempt for one email, even with the right password', async () => {
    for (let i = 0; i < 10; i++) {
      const wrong = await rest(stack.url, 'POST', '/api/auth/login', { body: { email: victim.email, password: `guess-${i}-xx` } });
      expect(wrong.status).toBe(401);
    }
    expectThrottled(await rest(stack.url, 'POST', '/api/auth/login', { body: { email: victim.email, password: 'password-123' } }));
    // The same email in another case is the same counter.
    expectThrottled(await rest(stack.url, 'POST', '/api/auth/login', { body: { email: victim.email.toUpperCase(), password: 'password-123' } }));
  });

  it('throttles one address after 30 login attempts, whatever the email', async () => {
    // 12 attempts so far from this address.
    for (let i = 12; i < 30; i++) {
      const response = await rest(stack.url, 'POST', '/api/auth/login', { body: { email: `nobody-${i}@example.com`, password: 'whatever1' } });
      expect(response.status).toBe(401);
    }
    expectThrottled(await rest(stack.url, 'POST', '/api/auth/login', { body: { email: 'fresh@example.com', password: 'whatever1' } }));
  });

  it('throttles signups per address (30 a minute), malformed ones included', async () => {
    for (let i = 1; i < 30; i++) {
      const response = await rest(stack.url, 'POST', '/api/auth/signup', { body: [] });
      expect(response.status).toBe(400);
    }
    expectThrottled(await rest(stack.url, 'POST', '/api/auth/signup', { body: { email: 'late@example.com', password: 'password-123' } }));
  });
});
