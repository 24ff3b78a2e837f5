// The outbound rule at connect time: names are judged by the address they resolve to when the
// socket connects (a resolver is injected to play DNS rebinding; no real DNS), IP literals before
// any connection, keep-alive pooling kept; the market's calls and the data plane's go through it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo, LookupFunction, Socket } from 'node:net';
import { callUpstream } from '../../gateway/inference/upstream';
import { createOutboundAgents, holdOutboundPolicy, OUTBOUND_REFUSED_CODE, outboundFetch } from '../../subgraphs/common/outbound';
import { probeUpstream, validateKey } from '../../subgraphs/market/services/upstream';
import { Capability } from '../../subgraphs/market/entities/Listing';
import { eventually } from '../helpers/eventually';

/** A resolver that answers from a table (what a rebinding DNS server would answer now). */
function fakeDns(table: Record<string, string[]>): LookupFunction & { asked: string[] } {
  const asked: string[] = [];
  const lookup = ((hostname, options, callback) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
    const list = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) callback(null, list);
    else callback(null, list[0].address, list[0].family);
  }) as LookupFunction & { asked: string[] };
  lookup.asked = asked;
  return lookup;
}

describe('outbound agents', () => {
  let server: http.Server;
  let port: number;
  const connections: Socket[] = [];
  let requests = 0;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests++;
      request.resume();
      request.on('end', () => {
        if (request.url?.endsWith('/models'))
          return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
        response.writeHead(500, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: {
              message: `internal service at http://10.0.0.7:9000/admin with key sk-internal-${'a'.repeat(40)} ${'detail '.repeat(60)}`,
            },
          }),
        );
      });
    });
    server.on('connection', (socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    server.closeAllConnections();
    connections.length = 0;
    requests = 0;
  });

  it('refuses a name that resolves to loopback at connect time, and the server sees no connection', async () => {
    // The name passed registration (it is not a literal); at connect it resolves to 127.0.0.1.
    const dns = fakeDns({ 'api.rebind.example': ['127.0.0.1'] });
    const agents = createOutboundAgents({ allowPrivate: false }, { lookup: dns });
    const error = await outboundFetch(`http://api.rebind.example:${port}/v1/models`, { method: 'GET', headers: {} }, agents).then(
      () => null,
      (e: unknown) => e as Error & { code?: string; addressClass?: string },
    );
    expect(error?.code).toBe(OUTBOUND_REFUSED_CODE);
    expect(error?.addressClass).toBe('loopback');
    expect(error?.message).toMatch(/^refused to connect to api\.rebind\.example \(127\.0\.0\.1\): not a public address \(loopback\)$/);
    expect(dns.asked).toContain('api.rebind.example');
    expect(connections).toHaveLength(0);
    expect(requests).toBe(0);
  });

  it('refuses a name with one private answer among public ones (before connecting anywhere)', async () => {
    const dns = fakeDns({ 'mixed.example': ['8.8.8.8', '169.254.169.254'] });
    const agents = createOutboundAgents({ allowPrivate: false }, { lookup: dns });
    const error = await outboundFetch('http://mixed.example/v1/models', { method: 'GET', headers: {} }, agents).catch(
      (e: Error & { code?: string; addressClass?: string }) => e,
    );
    expect(error).toMatchObject({ code: OUTBOUND_REFUSED_CODE, addressClass: 'link-local' });
  });

  it('refuses IP literals (which skip the lookup) before any connection, over http and https', async () => {
    const dns = fakeDns({});
    const agents = createOutboundAgents({ allowPrivate: false }, { lookup: dns });
    for (const url of [
      `http://127.0.0.1:${port}/v1/models`,
      `https://127.0.0.1:${port}/v1/models`,
      `http://[::ffff:127.0.0.1]:${port}/v1/models`,
      `http://2130706433:${port}/v1/models`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      const error = await outboundFetch(url, { method: 'GET', headers: {} }, agents).catch((e: Error & { code?: string }) => e);
      expect((error as { code?: string }).code, url).toBe(OUTBOUND_REFUSED_CODE);
    }
    expect(dns.asked).toEqual([]);
    expect(connections).toHaveLength(0);
  });

  it('refuses through plain http.request with the agent too (the data plane way)', async () => {
    const agents = createOutboundAgents({ allowPrivate: false }, { lookup: fakeDns({ 'rebind.example': ['127.0.0.1'] }) });
    const code = await new Promise<string | undefined>((resolve) => {
      const request = http.request(`http://rebind.example:${port}/v1/chat/completions`, { method: 'POST', agent: agents['http:'] });
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
      request.on('response', () => resolve('connected'));
      request.end('{}');
    });
    expect(code).toBe(OUTBOUND_REFUSED_CODE);
    expect(connections).toHaveLength(0);
  });

  it('with private addresses allowed, connects to the loopback server by name and by literal, keeping the connection alive', async () => {
    const agents = createOutboundAgents({ allowPrivate: true }, { lookup: fakeDns({ 'sim.rebind.example': ['127.0.0.1'] }) });
    const first = await outboundFetch(`http://sim.rebind.example:${port}/v1/models`, { method: 'GET', headers: {} }, agents);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ data: [] });
    const second = await outboundFetch(`http://sim.rebind.example:${port}/v1/models`, { method: 'GET', headers: {} }, agents);
    expect(await second.text()).toBe('{"data":[]}');
    // Both requests on one pooled connection.
    await eventually(() => expect(requests).toBe(2));
    expect(connections).toHaveLength(1);
    const literal = await outboundFetch(`http://127.0.0.1:${port}/v1/models`, { method: 'GET', headers: {} }, agents);
    expect(literal.status).toBe(200);
    await literal.text();
    for (const agent of Object.values(agents)) agent.destroy();
  });

  it('follows the policy as it is when connecting (the process policy is read per connection)', async () => {
    let allowPrivate = false;
    const agents = createOutboundAgents(() => ({ allowPrivate }), { lookup: fakeDns({ 'flip.example': ['127.0.0.1'] }) });
    const url = `http://flip.example:${port}/v1/models`;
    await expect(outboundFetch(url, { method: 'GET', headers: {} }, agents)).rejects.toMatchObject({ code: OUTBOUND_REFUSED_CODE });
    allowPrivate = true;
    const response = await outboundFetch(url, { method: 'GET', headers: {} }, agents);
    expect(response.status).toBe(200);
    await response.text();
    for (const agent of Object.values(agents)) agent.destroy();
  });

  describe('the market and the data plane use the process agents', () => {
    let release: () => void = () => {};
    afterEach(() => release());

    it('with the rule on: key validation, probes and upstream calls are refused, nothing connects, and the seller sees the class only', async () => {
      release = holdOutboundPolicy({ allowPrivate: false });
      const baseUrl = `http://127.0.0.1:${port}/v1`;
      const validation = await validateKey({ baseUrl, apiKey: 'sk-test-0123456789' }, 2000);
      expect(validation).toMatchObject({ ok: false, addressRefused: true, reason: "the provider's address is not public (loopback)" });
      const seen = await probeUpstream({ baseUrl, apiKey: 'sk-test-0123456789' }, Capability.CHAT, 'sim-chat', {
        timeoutMs: 2000,
        maxTtftMs: 2000,
        maxTokens: 4,
      });
      expect(seen.failure).toBe("the provider's address is not public (loopback)");
      const controller = new AbortController();
      await expect(
        callUpstream({
          baseUrl,
          path: '/chat/completions',
          apiKey: 'sk-test-0123456789',
          body: '{}',
          timeoutMs: 2000,
          signal: controller.signal,
        }),
      ).rejects.toThrow(OUTBOUND_REFUSED_CODE);
      expect(connections).toHaveLength(0);
    });

    it('with private addresses allowed: they connect, and an upstream error reaches the seller bounded and scrubbed', async () => {
      release = holdOutboundPolicy({ allowPrivate: true });
      const baseUrl = `http://127.0.0.1:${port}/v1`;
      expect(await validateKey({ baseUrl, apiKey: 'sk-test-0123456789' }, 2000)).toEqual({ ok: true });
      const seen = await probeUpstream({ baseUrl, apiKey: 'sk-test-0123456789' }, Capability.CHAT, 'sim-chat', {
        timeoutMs: 2000,
        maxTtftMs: 2000,
        maxTokens: 4,
      });
      expect(seen.httpStatus).toBe(500);
      const detail = seen.failure!.replace('the upstream answered HTTP 500: ', '');
      expect(detail.length).toBeLessThanOrEqual(120);
      expect(seen.failure).toMatch(/^the upstream answered HTTP 500: internal service at \[url\]/);
      expect(seen.failure).not.toMatch(/10\.0\.0\.7|sk-internal-a|admin/);
      expect(connections.length).toBeGreaterThan(0);
    });
  });
});
