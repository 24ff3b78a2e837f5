// The brokered billing-provider login against a real OAuth 2 server running locally
// (oauth2-mock-server: authorization code with PKCE verification): start → redirect → the
// provider's authorize → callback (code exchange) → result once → redeemed; the token is then
// stored through the developer-keys path, encrypted. The login is bound to the browser that started
// it (a cookie set on start), and the callback URL comes from PUBLIC_BASE_URL, never the Host header.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2Server } from 'oauth2-mock-server';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { graphql, rest, insideOneMinuteWindow } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';

// Where browsers reach the platform; the test's own requests go to the stack's real address.
const PUBLIC = 'https://market.example.test';

/** A browser's cookies, just enough for this flow (the test talks plain http, so Secure is not enforced here). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      if (attributes.some((a) => a.trim().toLowerCase() === 'max-age=0')) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
  }
  header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {};
  }
}

describe('NaaP brokered provider login (OAuth 2 + PKCE)', () => {
  let oauth: OAuth2Server;
  let stack: TestStack;
  let token: string;

  beforeAll(async () => {
    oauth = new OAuth2Server();
    await oauth.issuer.keys.generate('RS256');
    await oauth.start(0, '127.0.0.1');
    const issuer = oauth.issuer.url!;
    stack = await startEmbeddedStack({
      PUBLIC_BASE_URL: PUBLIC,
      OAUTH_PROVIDERS: JSON.stringify({
        daydream: {
          authorizeUrl: `${issuer}/authorize`,
          tokenUrl: `${issuer}/token`,
          clientId: 'naap-test',
          clientSecret: 's3cret',
          scope: 'openid',
        },
      }),
    });
    token = (await signup(stack.url, 'oauth')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
    await oauth?.stop();
  });

  const base = '/api/v1/auth/providers/daydream';

  async function start(jar = new CookieJar()): Promise<string> {
    const started = await rest(stack.url, 'POST', `${base}/start`, { token });
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ login_session_id: expect.any(String), expires_in: 600, poll_after_ms: expect.any(Number) });
    jar.take(started.headers);
    return started.body.login_session_id;
  }

  /** One browser navigation; the platform's public address is where the stack really listens. */
  async function follow(url: string, jar?: CookieJar) {
    const response = await fetch(url.startsWith(PUBLIC) ? stack.url + url.slice(PUBLIC.length) : url, {
      redirect: 'manual',
      headers: jar?.header() ?? {},
    });
    jar?.take(response.headers);
    return response;
  }

  const result = (id: string, jar?: CookieJar) =>
    rest(stack.url, 'GET', `${base}/result?login_session_id=${id}`, { headers: jar?.header() ?? {} });

  it('completes the whole flow and hands out the token exactly once', async () => {
    const jar = new CookieJar();
    const id = await start(jar);
    expect((await result(id, jar)).body).toEqual({ status: 'pending' });

    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`, jar);
    expect(redirect.status).toBe(302);
    const authorize = new URL(redirect.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${oauth.issuer.url}/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC}${base}/callback`);

    // The provider signs the user in and sends the browser back with a code.
    const provider = await follow(authorize.toString());
    expect(provider.status).toBe(302);
    const callback = await follow(provider.headers.get('location')!, jar);
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain('Signed in');

    const redeemed = await result(id, jar);
    expect(redeemed.body).toEqual({
      status: 'complete',
      access_token: expect.any(String),
      user_id: expect.anything(),
      expires_in: expect.any(Number),
    });
    expect(redeemed.headers.get('cache-control')).toBe('no-store');
    expect((await result(id, jar)).body).toEqual({ status: 'redeemed' });

    // The client stores the provider-issued key through the developer-keys path: sealed, never shown again.
    const providerToken = redeemed.body.access_token as string;
    const key = await rest(stack.url, 'POST', '/api/v1/developer/keys', {
      token,
      body: { billingProviderId: 'bp_daydream', rawApiKey: providerToken.slice(0, 500), label: 'daydream' },
    });
    expect(key.status).toBe(201);
    expect(JSON.stringify(key.body)).not.toContain(providerToken.slice(0, 500));
    for (const file of readdirSync(stack.config.dataDir)) {
      expect(readFileSync(path.join(stack.config.dataDir, file)).toString('latin1').includes(providerToken.slice(20, 60))).toBe(false);
    }
  });

  it('fails the login when the provider refuses the code, and never completes a callback twice', async () => {
    const jar = new CookieJar();
    const id = await start(jar);
    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`, jar);
    const state = new URL(redirect.headers.get('location')!).searchParams.get('state')!;
    const refused = await follow(`${stack.url}${base}/callback?state=${state}&code=not-a-code`, jar);
    expect(refused.status).toBe(400);
    expect((await result(id, jar)).body).toEqual({ status: 'failed' });
    const replay = await rest(stack.url, 'GET', `${base}/callback?state=${state}&code=x`, { headers: jar.header() });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('BAD_REQUEST');
  });

  it('records a provider error as a failed login', async () => {
    const jar = new CookieJar();
    const id = await start(jar);
    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`, jar);
    const state = new URL(redirect.headers.get('location')!).searchParams.get('state')!;
    expect((await follow(`${stack.url}${base}/callback?state=${state}&error=access_denied`, jar)).status).toBe(400);
    expect((await result(id, jar)).body).toEqual({ status: 'failed' });
  });

  it.each([
    ['GET', `${base}/redirect`, 400],
    ['GET', `${base}/redirect?login_session_id=nope`, 404],
    ['GET', `${base}/result`, 400],
    ['GET', `${base}/result?login_session_id=nope`, 404],
    ['GET', `${base}/callback`, 400],
    ['GET', `${base}/callback?state=unknown&code=x`, 404],
    ['POST', '/api/v1/auth/providers/sandbox/start', 404],
    ['POST', '/api/v1/auth/providers/nope/start', 404],
  ])('%s %s → %i in the NaaP envelope', async (method, url, status) => {
    const response = await rest(stack.url, method, url, { token });
    expect(response.status).toBe(status);
    expect(response.body.success).toBe(false);
    expect(typeof response.body.error.message).toBe('string');
  });

  it('refuses a buyer key and a forged token on start, and limits starts to 5 a minute per address', async () => {
    await insideOneMinuteWindow();
    expect((await rest(stack.url, 'POST', `${base}/start`, { token: 'sk-df-' + 'x'.repeat(43) })).status).toBe(403);
    expect((await rest(stack.url, 'POST', `${base}/start`, { token: token.slice(0, -3) + 'xyz' })).status).toBe(401);
    let limited = null;
    for (let i = 0; i < 8 && !limited; i++) {
      const response = await rest(stack.url, 'POST', `${base}/start`, { token });
      if (response.status === 429) limited = response;
    }
    expect(limited?.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

// Its own stack: these starts would otherwise eat the 5-a-minute budget the first block counts.
describe('NaaP brokered provider login: bound to the browser, callback from the public base URL', () => {
  let oauth: OAuth2Server;
  let stack: TestStack;
  let token: string;

  beforeAll(async () => {
    oauth = new OAuth2Server();
    await oauth.issuer.keys.generate('RS256');
    await oauth.start(0, '127.0.0.1');
    const issuer = oauth.issuer.url!;
    stack = await startEmbeddedStack({
      PUBLIC_BASE_URL: PUBLIC,
      OAUTH_PROVIDERS: JSON.stringify({
        daydream: {
          authorizeUrl: `${issuer}/authorize`,
          tokenUrl: `${issuer}/token`,
          clientId: 'naap-test',
          clientSecret: 's3cret',
          scope: 'openid',
        },
      }),
    });
    token = (await signup(stack.url, 'oauth')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
    await oauth?.stop();
  });

  const base = '/api/v1/auth/providers/daydream';

  async function start(jar = new CookieJar()): Promise<string> {
    const started = await rest(stack.url, 'POST', `${base}/start`, { token });
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ login_session_id: expect.any(String), expires_in: 600, poll_after_ms: expect.any(Number) });
    jar.take(started.headers);
    return started.body.login_session_id;
  }

  /** One browser navigation; the platform's public address is where the stack really listens. */
  async function follow(url: string, jar?: CookieJar) {
    const response = await fetch(url.startsWith(PUBLIC) ? stack.url + url.slice(PUBLIC.length) : url, {
      redirect: 'manual',
      headers: jar?.header() ?? {},
    });
    jar?.take(response.headers);
    return response;
  }

  const result = (id: string, jar?: CookieJar) =>
    rest(stack.url, 'GET', `${base}/result?login_session_id=${id}`, { headers: jar?.header() ?? {} });

  /** start → redirect → the provider's authorize: the provider's redirect back (not yet followed) and the state. */
  async function toProvider(jar: CookieJar) {
    const id = await start(jar);
    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`, jar);
    const authorize = new URL(redirect.headers.get('location')!);
    const provider = await follow(authorize.toString());
    return { id, authorize, state: authorize.searchParams.get('state')!, back: provider.headers.get('location')! };
  }

  it('binds the login to the browser that started it: HttpOnly, SameSite=Lax, Secure on an https public URL', async () => {
    const started = await rest(stack.url, 'POST', `${base}/start`, { token });
    const [line] = started.headers.getSetCookie();
    expect(line).toMatch(/^naap_login_daydream=[^;]+; /);
    const attributes = line
      .split(';')
      .slice(1)
      .map((a) => a.trim());
    expect(attributes).toEqual(
      expect.arrayContaining(['Path=/api/v1/auth/providers', 'Max-Age=600', 'HttpOnly', 'SameSite=Lax', 'Secure']),
    );
  });

  it('a stolen session id or state without the cookie redeems nothing; the rightful browser still can', async () => {
    const victim = new CookieJar();
    const { id, state, back } = await toProvider(victim);

    // Another browser (with a login of its own, hence a cookie of its own) tries the stolen handles.
    const attacker = new CookieJar();
    await start(attacker);
    for (const jar of [undefined, attacker]) {
      const stolen = await result(id, jar);
      expect(stolen.status).toBe(403);
      expect(stolen.body).toEqual({ success: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
      const callback = await rest(stack.url, 'GET', `${base}/callback?state=${state}&code=x`, { headers: jar?.header() ?? {} });
      expect(callback.status).toBe(403);
      expect(callback.body.error.code).toBe('FORBIDDEN');
    }
    // A forged cookie value is refused as well.
    expect((await result(id, { header: () => ({ cookie: 'naap_login_daydream=v1.AAAA.BBBB.CCCC' }) } as unknown as CookieJar)).status).toBe(
      403,
    );

    // The attempts changed nothing: the victim's browser completes and collects the token.
    expect((await follow(back, victim)).status).toBe(200);
    expect((await result(id, attacker)).status).toBe(403);
    expect((await result(id, victim)).body).toMatchObject({ status: 'complete', access_token: expect.any(String) });
  });

  it('a forged Host header does not change the callback URL', async () => {
    const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const target = new URL(`${stack.url}${base}/start`);
      const request = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { host: 'evil.example', authorization: `Bearer ${token}` },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, text }));
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(body.status).toBe(200);
    const id = JSON.parse(body.text).login_session_id as string;
    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`);
    expect(new URL(redirect.headers.get('location')!).searchParams.get('redirect_uri')).toBe(`${PUBLIC}${base}/callback`);
  });

  it('refuses a redirect URI that is not on the allow-list (billing owns the rule, GraphQL included)', async () => {
    const mutation =
      'mutation ($slug: String!, $redirectUri: String!) { startProviderLogin(slug: $slug, redirectUri: $redirectUri) { loginSessionId } }';
    for (const redirectUri of [
      'https://evil.example/api/v1/auth/providers/daydream/callback',
      `${PUBLIC}.evil.example${base}/callback`,
      `http://market.example.test${base}/callback`,
      `${PUBLIC}:8443${base}/callback`,
    ]) {
      const refused = await graphql(stack.url, mutation, { slug: 'daydream', redirectUri }, token);
      expect(refused.errors?.[0]?.extensions?.code, redirectUri).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0]?.message).toMatch(/allow-list/);
    }
    const allowed = await graphql<{ startProviderLogin: { loginSessionId: string } }, unknown>(
      stack.url,
      mutation,
      { slug: 'daydream', redirectUri: `${PUBLIC}${base}/callback` },
      token,
    );
    expect(allowed.errors).toBeUndefined();
  });
});
