// Server-side request forgery: with the outbound rule on (OUTBOUND_ALLOW_PRIVATE=false), a seller
// cannot make the platform call loopback, link-local or private addresses — whichever provider
// the base URL is given for, over GraphQL and REST — and the platform never connects: a loopback
// "trap" server counts every connection. The platform's own simulator URL is loopback here too,
// and is refused when the socket connects. In production the simulator takes no base URL at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { MarketCreatePoolKeyDocument, MarketProvidersDocument } from '../../schema/generated/graphql';
import { signup } from '../helpers/credentials';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

let trap: http.Server;
let trapUrl: string;
let trapConnections = 0;

beforeAll(async () => {
  trap = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}'));
  trap.on('connection', () => trapConnections++);
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  trap.closeAllConnections();
  await new Promise((resolve) => trap.close(resolve));
});

const newApiKey = () => `sk-sim-ssrf-${randomUUID()}`;

/** Base URLs that name a non-public place: loopback in every spelling, metadata, private, local names. */
const targets = () => {
  const port = new URL(trapUrl).port;
  return [
    trapUrl,
    `http://localhost:${port}/v1`,
    `https://localhost.:${port}/v1`,
    `http://2130706433:${port}/v1`,
    `http://0x7f.1:${port}/v1`,
    `http://[::1]:${port}/v1`,
    `http://[::ffff:127.0.0.1]:${port}/v1`,
    'http://169.254.169.254/v1',
    'http://[fd00:ec2::254]/v1',
    'http://10.0.0.1/v1',
    'http://metadata.google.internal/v1',
  ];
};

describe('market SSRF rule (development, rule on)', () => {
  let stack: TestStack;
  let jwt: string;

  beforeAll(async () => {
    // The catalog's simulator URL is the trap as well: only the connect-time rule stands between the two.
    stack = await startEmbeddedStack({ OUTBOUND_ALLOW_PRIVATE: 'false', SIMULATOR_URL: trapUrl, CONTRACT_CHECK_INTERVAL_MS: '0' });
    jwt = (await signup(stack.url, 'ssrf')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses each non-public base URL for simulator and custom over GraphQL with BAD_USER_INPUT on baseUrl', async () => {
    for (const provider of ['simulator', 'custom']) {
      for (const baseUrl of targets()) {
        const result = await graphql(stack.url, MarketCreatePoolKeyDocument, { input: { provider, apiKey: newApiKey(), baseUrl } }, jwt);
        expect(result.errors?.[0], `${provider} ${baseUrl}`).toMatchObject({
          message: expect.stringMatching(/^baseUrl must be a public address/),
          extensions: { code: 'BAD_USER_INPUT', details: { field: 'baseUrl' } },
        });
      }
    }
    expect(trapConnections).toBe(0);
  });

  it('refuses them over REST /v1/pool/keys with 400 in the REST envelope', async () => {
    for (const provider of ['simulator', 'custom']) {
      for (const baseUrl of targets()) {
        const response = await rest(stack.url, 'POST', '/v1/pool/keys', { token: jwt, body: { provider, apiKey: newApiKey(), baseUrl } });
        expect(
          { status: response.status, code: response.body?.error?.code, field: response.body?.error?.details?.field },
          `${provider} ${baseUrl}: ${JSON.stringify(response.body)}`,
        ).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'baseUrl' });
        expect(Object.keys(response.body)).toEqual(['error']);
      }
    }
    expect((await rest(stack.url, 'GET', '/v1/pool/keys', { token: jwt })).body).toEqual({ keys: [] });
    expect(trapConnections).toBe(0);
  });

  it('refuses the loopback catalog URL when connecting: no key stored, no connection, the class named and nothing of the target', async () => {
    const result = await graphql(stack.url, MarketCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey: newApiKey() } }, jwt);
    expect(result.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(result.errors?.[0].message).toBe(
      "Provider simulator cannot be called from this platform: the provider's address is not public (loopback)",
    );
    expect(result.errors?.[0].message).not.toContain('127.0.0.1');
    const response = await rest(stack.url, 'POST', '/v1/pool/keys', { token: jwt, body: { provider: 'simulator', apiKey: newApiKey() } });
    expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect((await rest(stack.url, 'GET', '/v1/pool/keys', { token: jwt })).body).toEqual({ keys: [] });
    expect(trapConnections).toBe(0);
  });
});

describe('market SSRF rule (production)', () => {
  let stack: TestStack;
  let jwt: string;

  beforeAll(async () => {
    // OUTBOUND_ALLOW_PRIVATE unset: production's default.
    stack = await startEmbeddedStack({
      NODE_ENV: 'production',
      OUTBOUND_ALLOW_PRIVATE: undefined,
      SIMULATOR_URL: trapUrl,
      CONTRACT_CHECK_INTERVAL_MS: '0',
    });
    jwt = (await signup(stack.url, 'ssrf-prod')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('offers the simulator at its configured URL only, and refuses non-public custom URLs', async () => {
    const providers = await graphql(stack.url, MarketProvidersDocument, {}, jwt);
    expect(providers.data!.poolProviders.find((p) => p.id === 'simulator')).toMatchObject({ acceptsBaseUrl: false });
    for (const baseUrl of targets()) {
      const simulator = await graphql(
        stack.url,
        MarketCreatePoolKeyDocument,
        { input: { provider: 'simulator', apiKey: newApiKey(), baseUrl } },
        jwt,
      );
      expect(simulator.errors?.[0], baseUrl).toMatchObject({
        message: expect.stringMatching(/^baseUrl is fixed for provider simulator/),
        extensions: { code: 'BAD_USER_INPUT', details: { field: 'baseUrl' } },
      });
      const https = baseUrl.replace(/^http:/, 'https:');
      const custom = await rest(stack.url, 'POST', '/v1/pool/keys', {
        token: jwt,
        body: { provider: 'custom', apiKey: newApiKey(), baseUrl: https },
      });
      expect(
        { status: custom.status, code: custom.body?.error?.code, field: custom.body?.error?.details?.field },
        `${https}: ${JSON.stringify(custom.body)}`,
      ).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'baseUrl' });
      expect(custom.body.error.message).toMatch(/^baseUrl must be a public address/);
    }
    expect(trapConnections).toBe(0);
  });
});
