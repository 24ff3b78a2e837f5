// Sign-in brute-force throttling, owned by the accounts subgraph so that every surface shares one
// counter: login is limited per email (10 a minute) and per client address (30 a minute), signup
// per address (30 a minute). GraphQL answers RATE_LIMITED (extensions.details.retryAfterSeconds);
// REST keeps its 429 with Retry-After. The attacker here tries the surface that used to have no
// limit (GraphQL), mixes surfaces, and guesses right after being throttled.
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, SignupDocument } from '../../schema/generated/graphql';
import { startPlatform, type Platform } from '../../gateway/platform';
import { authRateLimits } from '../../subgraphs/accounts/throttle';
import { PrincipalSigner } from '../../subgraphs/common/principal';
import { graphql, rest } from '../helpers/graphql';
import { signup } from '../helpers/credentials';
import { testConfig, HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { startScaledStack, type TestStack } from '../helpers/stack';

const PASSWORD = 'password-123';

function expectRestThrottled(response: Awaited<ReturnType<typeof rest>>) {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({
    error: { code: 'RATE_LIMITED', message: expect.stringMatching(/Too many/), details: { retryAfterSeconds: expect.any(Number) } },
  });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

function expectGraphQLThrottled(result: Awaited<ReturnType<typeof graphql>>) {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors![0]).toMatchObject({
    message: expect.stringMatching(/Too many/),
    extensions: { code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } },
  });
}

const gqlLogin = (url: string, email: string, password: string) => graphql(url, LoginDocument, { input: { email, password } });
const restLogin = (url: string, email: string, password: string) => rest(url, 'POST', '/api/auth/login', { body: { email, password } });

/** A REST login sent from another loopback address (127.0.0.2): a second client. */
function loginFrom(localAddress: string, baseUrl: string, email: string, password: string): Promise<number> {
  const url = new URL('/api/auth/login', baseUrl);
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('sign-in throttling (embedded, injected clock)', () => {
  let platform: Platform;
  let url: string;
  // The limiter's windows are aligned to the minute: the clock starts one second into one and only
  // moves when a test moves it.
  let nowMs = Math.floor(Date.now() / 60_000) * 60_000 + 60_000 + 1000;
  const clock = { now: () => new Date(nowMs) };
  const nextWindow = () => (nowMs = Math.floor(nowMs / 60_000) * 60_000 + 60_000 + 1000);

  beforeAll(async () => {
    platform = await startPlatform({ config: testConfig(), topology: 'embedded', clock });
    url = platform.gateway.url;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('has documented defaults, overridable by the environment', () => {
    expect(authRateLimits({})).toEqual({ perAddress: 30, loginPerEmail: 10 });
    expect(authRateLimits({ AUTH_RATE_LIMIT_PER_ADDRESS: '5', LOGIN_RATE_LIMIT_PER_EMAIL: '2' })).toEqual({
      perAddress: 5,
      loginPerEmail: 2,
    });
  });

  it('GraphQL login: the 11th attempt on one email is RATE_LIMITED, even with the right password, and REST shares the count', async () => {
    nextWindow();
    const victim = await signup(url, 'victim');
    for (let i = 0; i < 10; i++) {
      const wrong = await gqlLogin(url, victim.email, `guess-${i}-xx`);
      expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    expectGraphQLThrottled(await gqlLogin(url, victim.email, PASSWORD));
    // One counter for both surfaces, whatever the case of the email.
    expectRestThrottled(await restLogin(url, victim.email.toUpperCase(), PASSWORD));
    // The next window lets the owner in again.
    nextWindow();
    const back = await gqlLogin(url, victim.email, PASSWORD);
    expect(back.errors).toBeUndefined();
    expect(back.data!.login.token).toBeTruthy();
  });

  it('REST attempts count against GraphQL: 10 over REST, the 11th over GraphQL is refused', async () => {
    nextWindow();
    const victim = await signup(url, 'victim-rest');
    for (let i = 0; i < 10; i++) expect((await restLogin(url, victim.email, `guess-${i}-xx`)).status).toBe(401);
    expectGraphQLThrottled(await gqlLogin(url, victim.email, PASSWORD));
  });

  it('one address is throttled after 30 login attempts, whatever the email, on either surface; another address is not', async () => {
    nextWindow();
    const victim = await signup(url, 'victim-addr');
    for (let i = 0; i < 30; i++) {
      const email = `nobody-${i}@example.com`;
      if (i % 2 === 0) expect((await restLogin(url, email, 'whatever1')).status).toBe(401);
      else expect((await gqlLogin(url, email, 'whatever1')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    expectGraphQLThrottled(await gqlLogin(url, victim.email, PASSWORD));
    expectRestThrottled(await restLogin(url, 'fresh@example.com', 'whatever1'));
    // The address the subgraph counts is the caller's own (carried in the signed principal header).
    expect(await loginFrom('127.0.0.2', url, victim.email, PASSWORD)).toBe(200);
  });

  it('signup over GraphQL is throttled per address (30 a minute), refused signups included, and REST shares the count', async () => {
    nextWindow();
    for (let i = 0; i < 30; i++) {
      const input = { email: `flood-${i}-${randomUUID().slice(0, 6)}@example.com`, password: i % 3 === 0 ? 'short' : PASSWORD };
      const result =
        i % 2 === 0 ? await graphql(url, SignupDocument, { input }) : await rest(url, 'POST', '/api/auth/signup', { body: input });
      if ('errors' in result && result.errors) expect(result.errors[0].extensions?.code).not.toBe('RATE_LIMITED');
      else if ('body' in result) expect(result.status).not.toBe(429);
    }
    expectGraphQLThrottled(
      await graphql(url, SignupDocument, { input: { email: `late-${randomUUID().slice(0, 6)}@example.com`, password: PASSWORD } }),
    );
    expectRestThrottled(
      await rest(url, 'POST', '/api/auth/signup', { body: { email: `late-${randomUUID().slice(0, 6)}@example.com`, password: PASSWORD } }),
    );
  });

  it('the client address is signed with the principal: a header re-signed elsewhere or edited is refused', () => {
    const signer = new PrincipalSigner(platform.config.platformSecret);
    const header = signer.sign({ kind: 'anonymous' }, '203.0.113.7');
    expect(signer.verifyAssertion(header)).toEqual({ principal: { kind: 'anonymous' }, clientAddress: '203.0.113.7' });
    const [body, mac] = header.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), a: '198.51.100.1' })).toString(
      'base64url',
    );
    expect(signer.verifyAssertion(`${edited}.${mac}`)).toBeNull();
  });
});

describe.runIf(HAVE_SCALED_SERVICES)('sign-in throttling (scaled: two gateway replicas, Redis)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startScaledStack({ LOGIN_RATE_LIMIT_PER_EMAIL: '4' }, 2);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('attempts spread over both replicas and both surfaces hit one counter per email', async () => {
    const [one, two] = stack.gatewayUrls;
    // A series that straddles a minute boundary is counted in two windows: then a fresh email tries again.
    await eventually(
      async () => {
        const victim = await signup(one, 'scaled-victim');
        for (let i = 0; i < 4; i++) {
          const gateway = i % 2 === 0 ? one : two;
          if (i < 2) expect((await restLogin(gateway, victim.email, `guess-${i}-xx`)).status).toBe(401);
          else expect((await gqlLogin(gateway, victim.email, `guess-${i}-xx`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
        }
        expectGraphQLThrottled(await gqlLogin(one, victim.email, PASSWORD));
        expectRestThrottled(await restLogin(two, victim.email, PASSWORD));
      },
      { timeoutMs: 30_000, intervalMs: 0 },
    );
  }, 60_000);
});
if (!HAVE_SCALED_SERVICES) logSkip('sign-in throttling across two gateway replicas on Redis');
