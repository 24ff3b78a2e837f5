// Dashboard sessions end when they should, on every surface: a JWT without `exp` is refused; a
// token of an unknown or deleted account is refused; logout refuses the token it was called with
// (REST POST /api/auth/logout, GraphQL `logout`), "sign out everywhere" refuses every token issued
// before it (POST /api/auth/logout-all, `logoutEverywhere`). Checking costs no database read per
// request: the gateway caches each account's session state and accounts' events drop it.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { LiveJobFeedDocument, LogoutDocument, LogoutEverywhereDocument } from '../../schema/generated/graphql';
import { Account } from '../../subgraphs/accounts/entities/Account';
import { SessionTokens } from '../../subgraphs/common/jwt';
import { deriveKey } from '../../subgraphs/common/secrets';
import { graphql, rest, wsClient } from '../helpers/graphql';
import { managementKey, signup } from '../helpers/credentials';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { startEmbeddedStack, startScaledStack, type TestStack } from '../helpers/stack';

const ME = '{ me { id } }';
const CREATE_GROUP = 'mutation ($name: String!) { createKeyGroup(input: { name: $name }) { id } }';

const login = async (url: string, email: string) => {
  const response = await rest(url, 'POST', '/api/auth/login', { body: { email, password: 'password-123' } });
  expect(response.status).toBe(200);
  return response.body.token as string;
};

/** The token works on REST and on GraphQL. */
async function expectAccepted(url: string, token: string) {
  expect((await rest(url, 'GET', '/api/keys', { token })).status).toBe(200);
  const me = await graphql(url, ME, undefined, token);
  expect(me.errors).toBeUndefined();
}

/** The token is refused on REST (Dragonfly, DGrid, NaaP) and on GraphQL, and writes nothing. */
async function expectRefused(url: string, token: string) {
  const dragonfly = await rest(url, 'POST', '/api/keys/groups', { token, body: { name: `g-${randomUUID().slice(0, 6)}` } });
  expect(dragonfly.status).toBe(401);
  expect(dragonfly.body.error.code).toBe('UNAUTHENTICATED');
  expect((await rest(url, 'GET', '/v1/management-keys', { token })).body.code).toBe(40102);
  expect((await rest(url, 'GET', '/api/v1/developer/keys', { token })).status).toBe(401);
  const write = await graphql(url, CREATE_GROUP, { name: `g-${randomUUID().slice(0, 6)}` }, token);
  expect(write.data ?? null).toBeNull();
  expect(write.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
}

describe('dashboard sessions (embedded)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const accountsRuntime = () => stack.platform!.runtimes.find((r) => r.name === 'accounts')!;

  it('refuses a correctly signed JWT without exp (it would never end)', async () => {
    const owner = await signup(stack.url, 'no-exp');
    const forever = await new SignJWT({ gen: 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(owner.accountId)
      .setJti(randomUUID())
      .setIssuer('dragonfly-market')
      .setAudience('dashboard')
      .setIssuedAt()
      .sign(new Uint8Array(deriveKey(stack.config.platformSecret, 'jwt')));
    await expectRefused(stack.url, forever);
    await expectAccepted(stack.url, owner.jwt);
  });

  it('refuses a token of an account that does not exist, or no longer does', async () => {
    const tokens = new SessionTokens(stack.config.platformSecret, 3600);
    await expectRefused(stack.url, await tokens.issue(randomUUID()));

    // Deleted before its token was ever seen here: nothing cached, the look-up finds no account.
    const gone = await signup(stack.url, 'gone-cold');
    await accountsRuntime().db.orm.em.fork().nativeDelete(Account, { id: gone.accountId });
    await expectRefused(stack.url, gone.jwt);

    // Deleted while its session state is cached: the removal is announced like any revocation.
    const cached = await signup(stack.url, 'gone-warm');
    await expectAccepted(stack.url, cached.jwt);
    await accountsRuntime().db.orm.em.fork().nativeDelete(Account, { id: cached.accountId });
    await stack.bus.publish('account.sessions-revoked', { accountId: cached.accountId, change: 'deleted' });
    await eventually(() => expectRefused(stack.url, cached.jwt));
  });

  it("REST logout refuses that token everywhere at once; the account's other sessions go on", async () => {
    const owner = await signup(stack.url, 'logout-rest');
    const laptop = await login(stack.url, owner.email);
    await expectAccepted(stack.url, owner.jwt);
    await expectAccepted(stack.url, laptop);
    const out = await rest(stack.url, 'POST', '/api/auth/logout', { token: owner.jwt });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ok: true });
    await expectRefused(stack.url, owner.jwt);
    await expectAccepted(stack.url, laptop);
    // Signing out twice: the token is no longer a session.
    expect((await rest(stack.url, 'POST', '/api/auth/logout', { token: owner.jwt })).status).toBe(401);
  });

  it('GraphQL logout does the same', async () => {
    const owner = await signup(stack.url, 'logout-gql');
    const other = await login(stack.url, owner.email);
    const result = await graphql(stack.url, LogoutDocument, {}, owner.jwt);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ logout: true });
    await eventually(() => expectRefused(stack.url, owner.jwt));
    await expectAccepted(stack.url, other);
  });

  it('REST logout-all refuses every token issued before it; a new login works', async () => {
    const owner = await signup(stack.url, 'logout-all-rest');
    const phone = await login(stack.url, owner.email);
    const out = await rest(stack.url, 'POST', '/api/auth/logout-all', { token: phone });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ok: true });
    await expectRefused(stack.url, owner.jwt);
    await expectRefused(stack.url, phone);
    const fresh = await login(stack.url, owner.email);
    await expectAccepted(stack.url, fresh);
    await expectRefused(stack.url, owner.jwt);
  });

  it('GraphQL logoutEverywhere does the same; management keys are not sessions and keep working', async () => {
    const owner = await signup(stack.url, 'logout-all-gql');
    const second = await login(stack.url, owner.email);
    const mk = await managementKey(stack.url, owner.jwt, 'FULL');
    const result = await graphql(stack.url, LogoutEverywhereDocument, {}, owner.jwt);
    expect(result.data).toEqual({ logoutEverywhere: true });
    await eventually(() => expectRefused(stack.url, owner.jwt));
    await expectRefused(stack.url, second);
    expect((await rest(stack.url, 'GET', '/api/keys', { token: mk.rawKey })).status).toBe(200);
  });

  it('signing out takes a dashboard session: none is a 401, a key a 403, in the Dragonfly envelope', async () => {
    const owner = await signup(stack.url, 'logout-creds');
    const mk = await managementKey(stack.url, owner.jwt, 'FULL');
    for (const path of ['/api/auth/logout', '/api/auth/logout-all']) {
      const none = await rest(stack.url, 'POST', path);
      expect(none.status).toBe(401);
      expect(none.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
      const key = await rest(stack.url, 'POST', path, { token: mk.rawKey });
      expect(key.status).toBe(403);
      expect(key.body.error.code).toBe('FORBIDDEN');
    }
    const viaKey = await graphql(stack.url, LogoutEverywhereDocument, {}, mk.rawKey);
    expect(viaKey.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    await expectAccepted(stack.url, owner.jwt);
  });

  it('checking a session reads no database per request: the state is cached until an event drops it', async () => {
    const owner = await signup(stack.url, 'cached');
    // Every session-state look-up the gateway makes reaches accounts here.
    const runtime = accountsRuntime();
    const execute = runtime.execute.bind(runtime);
    let lookups = 0;
    runtime.execute = (request, headers) => {
      if (request.query?.includes('sessionState')) lookups++;
      return execute(request, headers);
    };
    try {
      const balance = () => rest(stack.url, 'GET', '/api/billing/balance', { token: owner.jwt });
      expect((await balance()).status).toBe(200);
      expect(lookups).toBe(1);
      for (let i = 0; i < 20; i++) expect((await balance()).status).toBe(200);
      expect((await graphql(stack.url, ME, undefined, owner.jwt)).errors).toBeUndefined();
      expect(lookups).toBe(1);
      // A revocation of another of its sessions drops the entry: one look-up, then cached again.
      const other = await login(stack.url, owner.email);
      expect((await rest(stack.url, 'POST', '/api/auth/logout', { token: other })).status).toBe(200);
      const afterLogout = lookups;
      for (let i = 0; i < 5; i++) expect((await balance()).status).toBe(200);
      expect(lookups).toBe(afterLogout + 1);
    } finally {
      runtime.execute = execute;
    }
  });
});

describe.runIf(HAVE_SCALED_SERVICES)('dashboard sessions (scaled: two gateway replicas, Redis bus)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startScaledStack({}, 2);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('a logout on one replica is refused on the other once the event arrives; logout-all too', async () => {
    const [one, two] = stack.gatewayUrls;
    const owner = await signup(one, 'scaled-logout');
    const other = await login(one, owner.email);
    await expectAccepted(two, owner.jwt); // cached on replica two
    expect((await rest(one, 'POST', '/api/auth/logout', { token: owner.jwt })).status).toBe(200);
    await eventually(() => expectRefused(two, owner.jwt));
    await expectAccepted(two, other);
    expect((await rest(two, 'POST', '/api/auth/logout-all', { token: other })).status).toBe(200);
    await eventually(() => expectRefused(one, other));
  }, 60_000);
});
if (!HAVE_SCALED_SERVICES) logSkip('dashboard sessions across two gateway replicas on Redis');

describe('open subscriptions end with their credential', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });
  afterAll(() => stack?.stop());

  /** A live job-feed subscription with this credential; resolves with the close code. */
  const subscribed = (token: string) => {
    const client = wsClient(stack.url, token);
    const closed = new Promise<number>((resolve) => client.on('closed', (event: unknown) => resolve((event as { code: number }).code)));
    const opened = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const sink = client.iterate({ query: print(LiveJobFeedDocument), variables: {} });
    sink.next().catch(() => {});
    return { client, closed, opened };
  };

  it('closes a subscription (4403) when its session signs out, and when its management key is disabled', async () => {
    const owner = await signup(stack.url, 'subscriber');
    const viaJwt = subscribed(owner.jwt);
    await viaJwt.opened;
    expect((await rest(stack.url, 'POST', '/api/auth/logout', { token: owner.jwt })).status).toBe(200);
    expect(await viaJwt.closed).toBe(4403);
    await viaJwt.client.dispose();

    const login = await rest(stack.url, 'POST', '/api/auth/login', { body: { email: owner.email, password: 'password-123' } });
    const mk = await managementKey(stack.url, login.body.token, 'FULL');
    const viaKey = subscribed(mk.rawKey);
    await viaKey.opened;
    const disabled = await graphql(
      stack.url,
      'mutation ($id: ID!) { setManagementKeyEnabled(id: $id, enabled: false) { id } }',
      { id: mk.id },
      login.body.token,
    );
    expect(disabled.errors, JSON.stringify(disabled.errors)).toBeUndefined();
    expect(await viaKey.closed).toBe(4403);
    await viaKey.client.dispose();
  });
});
