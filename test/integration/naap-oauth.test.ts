// The brokered billing-provider login against a real OAuth 2 server running locally
// (oauth2-mock-server: authorization code with PKCE verification): start → redirect → the
// provider's authorize → callback (code exchange) → result once → redeemed; the token is then
// stored through the developer-keys path, encrypted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2Server } from 'oauth2-mock-server';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rest, insideOneMinuteWindow } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';

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
      OAUTH_PROVIDERS: JSON.stringify({ daydream: { authorizeUrl: `${issuer}/authorize`, tokenUrl: `${issuer}/token`, clientId: 'naap-test', clientSecret: 's3cret', scope: 'openid' } }),
    });
    token = (await signup(stack.url, 'oauth')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
    await oauth?.stop();
  });

  const base = '/api/v1/auth/providers/daydream';

  async function start(): Promise<string> {
    const started = await rest(stack.url, 'POST', `${base}/start`, { token });
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ login_session_id: expect.any(String), expires_in: 600, poll_after_ms: expect.any(Number) });
    return started.body.login_session_id;
  }

  async function follow(url: string) {
    return fetch(url, { redirect: 'manual' });
  }

  it('completes the whole flow and hands out the token exactly once', async () => {
    const id = await start();
    expect((await rest(stack.url, 'GET', `${base}/result?login_session_id=${id}`)).body).toEqual({ status: 'pending' });

    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`);
    expect(redirect.status).toBe(302);
    const authorize = new URL(redirect.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${oauth.issuer.url}/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${stack.url}${base}/callback`);

    // The provider signs the user in and sends the browser back with a code.
    const provider = await follow(authorize.toString());
    expect(provider.status).toBe(302);
    const callback = await follow(provider.headers.get('location')!);
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain('Signed in');

    const result = await rest(stack.url, 'GET', `${base}/result?login_session_id=${id}`);
    expect(result.body).toEqual({ status: 'complete', access_token: expect.any(String), user_id: expect.anything(), expires_in: expect.any(Number) });
    expect(result.headers.get('cache-control')).toBe('no-store');
    const again = await rest(stack.url, 'GET', `${base}/result?login_session_id=${id}`);
    expect(again.body).toEqual({ status: 'redeemed' });

    // The client stores the provider-issued key through the developer-keys path: sealed, never shown again.
    const providerToken = result.body.access_token as string;
    const key = await rest(stack.url, 'POST', '/api/v1/developer/keys', { token, body: { billingProviderId: 'bp_daydream', rawApiKey: providerToken.slice(0, 500), label: 'daydream' } });
    expect(key.status).toBe(201);
    expect(JSON.stringify(key.body)).not.toContain(providerToken.slice(0, 500));
    for (const file of readdirSync(stack.config.dataDir)) {
      expect(readFileSync(path.join(stack.config.dataDir, file)).toString('latin1').includes(providerToken.slice(20, 60))).toBe(false);
    }
  });

  it('fails the login when the provider refuses the code, and never completes a callback twice', async () => {
    const id = await start();
    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`);
    const state = new URL(redirect.headers.get('location')!).searchParams.get('state')!;
    const refused = await follow(`${stack.url}${base}/callback?state=${state}&code=not-a-code`);
    expect(refused.status).toBe(400);
    expect((await rest(stack.url, 'GET', `${base}/result?login_session_id=${id}`)).body).toEqual({ status: 'failed' });
    const replay = await rest(stack.url, 'GET', `${base}/callback?state=${state}&code=x`);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('BAD_REQUEST');
  });

  it('records a provider error as a failed login', async () => {
    const id = await start();
    const redirect = await follow(`${stack.url}${base}/redirect?login_session_id=${id}`);
    const state = new URL(redirect.headers.get('location')!).searchParams.get('state')!;
    expect((await follow(`${stack.url}${base}/callback?state=${state}&error=access_denied`)).status).toBe(400);
    expect((await rest(stack.url, 'GET', `${base}/result?login_session_id=${id}`)).body).toEqual({ status: 'failed' });
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
