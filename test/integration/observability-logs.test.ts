// Structured logs of a whole stack: one JSON line per request carrying the request id the client
// sees in x-request-id, the same id in the subgraphs' lines (scaled: other processes), and no
// credential of any kind in any line, whatever the request carried.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../../schema/generated/graphql';
import { credentials, type Credentials } from '../helpers/credentials';
import { graphql, rest } from '../helpers/graphql';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { startEmbeddedStack, startScaledStack, type TestStack } from '../helpers/stack';

type LogLine = {
  level: number;
  service: string;
  requestId?: string;
  subgraph?: string;
  method?: string;
  url?: string;
  statusCode?: number;
  ms?: number;
  msg: string;
};

function readLines(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

async function linesWith(file: string, requestId: string, min = 1): Promise<LogLine[]> {
  for (let i = 0; i < 100; i++) {
    const lines = readLines(file).filter((line) => line.requestId === requestId);
    if (lines.length >= min) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  return readLines(file).filter((line) => line.requestId === requestId);
}

function secretsOf(creds: Credentials): string[] {
  return [
    creds.jwt,
    creds.buyerKey,
    creds.mkBuyer,
    creds.mkSeller,
    creds.mkFull,
    creds.mkDisabled,
    creds.mkForged,
    creds.jwtForged,
    creds.other.jwt,
    creds.other.mkFull,
    'password-123',
  ];
}

describe('request logs (embedded)', () => {
  let stack: TestStack;
  let creds: Credentials;
  const seen: { requestId: string; status: number; path: string }[] = [];
  let internal: { requestId: string; body: string };

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    creds = await credentials(stack.url);
    const calls: [string, string, Parameters<typeof rest>[3]][] = [
      ['GET', '/api/keys', { token: creds.jwt }],
      ['GET', '/api/keys', { token: creds.mkForged }],
      ['GET', '/api/billing/balance', { token: creds.mkFull }],
      ['GET', '/api/keys', { token: creds.buyerKey }],
      ['POST', '/api/auth/login', { body: { email: creds.email, password: 'password-123' } }],
      ['POST', '/api/auth/login', { body: { email: creds.email, password: 'password-123-wrong' } }],
      ['GET', `/api/v1/dashboard/kpi?timeframe=24&api_key=${creds.buyerKey}&token=${creds.jwt}`, {}],
      ['GET', '/v1/models', { token: creds.buyerKey }],
      ['POST', '/v1/chat/completions', { token: creds.mkFull, body: { model: 'x', messages: [] } }],
      ['GET', '/v1/market/listings', { token: creds.mkSeller, headers: { 'x-api-key': creds.buyerKey, cookie: `session=${creds.jwt}` } }],
    ];
    for (const [method, path, options] of calls) {
      const response = await rest(stack.url, method, path, options);
      seen.push({ requestId: response.headers.get('x-request-id') ?? '', status: response.status, path });
    }
    const gql = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${creds.jwt}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    seen.push({ requestId: gql.headers.get('x-request-id') ?? '', status: gql.status, path: '/graphql' });
    // An internal error: the network subgraph's database is gone under a query.
    await stack.platform!.runtimes.find((runtime) => runtime.name === 'network')!.db.close();
    const failing = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ jobFeed(limit: 5) { id } }' }),
    });
    internal = { requestId: failing.headers.get('x-request-id') ?? '', body: await failing.text() };
    await stack.stop(); // flushes and closes the log file
  });

  afterAll(async () => {
    await stack?.stop().catch(() => undefined);
  });

  it('gives every response an x-request-id and logs one line for it with method, path, status and duration', () => {
    const lines = readLines(stack.logFiles.platform);
    for (const call of seen) {
      expect(call.requestId).toMatch(/^req_[0-9a-f]{32}$/);
      const mine = lines.filter((line) => line.requestId === call.requestId && line.msg === 'request');
      expect(mine, call.path).toHaveLength(1);
      expect(mine[0]).toMatchObject({ service: 'platform', method: expect.any(String), statusCode: call.status, ms: expect.any(Number) });
      expect(mine[0].url!.split('?')[0]).toBe(call.path.split('?')[0]);
    }
    expect(new Set(seen.map((call) => call.requestId)).size).toBe(seen.length);
  });

  it("logs an internal error under the request's id, in the subgraph where it happened, and tells the client nothing", () => {
    expect(JSON.parse(internal.body).errors[0]).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    const lines = readLines(stack.logFiles.platform).filter(
      (line) => line.requestId === internal.requestId && line.msg === 'internal error',
    );
    expect(lines.map((line) => line.subgraph)).toContain('network');
    const line = lines.find((l) => l.subgraph === 'network') as LogLine & {
      level: number;
      err: { type: string; message: string; stack: string };
    };
    expect(line.level).toBe(50);
    expect(line.err.message.length).toBeGreaterThan(0);
    expect(line.err.stack).toMatch(/^\s+at /);
  });

  it('redacts secret query parameters in logged URLs', () => {
    const kpi = seen.find((call) => call.path.startsWith('/api/v1/dashboard/kpi'))!;
    const line = readLines(stack.logFiles.platform).find((l) => l.requestId === kpi.requestId)!;
    expect(line.url).toBe('/api/v1/dashboard/kpi?timeframe=24&api_key=[REDACTED]&token=[REDACTED]');
  });

  it('writes no raw credential the requests carried, in any form', () => {
    const text = readFileSync(stack.logFiles.platform, 'utf8');
    expect(text.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(seen.length);
    for (const secret of secretsOf(creds)) expect(text).not.toContain(secret);
    // Nor the part of a key after its prefix (the secret half).
    expect(text).not.toContain(creds.buyerKey.slice(6));
  });
});

describe.runIf(HAVE_SCALED_SERVICES)('request id across processes (scaled)', () => {
  let stack: TestStack;
  let creds: Credentials;

  beforeAll(async () => {
    stack = await startScaledStack();
    creds = await credentials(stack.url);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("carries the gateway's request id into each subgraph process's log lines", async () => {
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${creds.jwt}` },
      body: JSON.stringify({ query: (await import('graphql')).print(DashboardDocument) }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { me: { id: string } } };
    expect(body.data?.me.id).toBe(creds.accountId);
    const requestId = response.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);

    const gatewayLines = await linesWith(stack.logFiles['gateway-1'], requestId);
    expect(gatewayLines).toEqual([expect.objectContaining({ service: 'gateway', msg: 'request', url: '/graphql', statusCode: 200 })]);
    // The dashboard query's plan visits accounts, billing and market (and network for served jobs).
    for (const name of ['accounts', 'billing', 'market']) {
      const lines = await linesWith(stack.logFiles[name], requestId);
      expect(lines.length, name).toBeGreaterThanOrEqual(1);
      expect(
        lines.every((line) => line.service === `subgraph-${name}` && line.url === '/graphql' && line.statusCode === 200),
        name,
      ).toBe(true);
    }
  });

  it('keeps every process log free of the credentials used', async () => {
    await graphql(stack.url, DashboardDocument, {}, creds.mkFull);
    await rest(stack.url, 'GET', '/api/keys', { token: creds.mkForged });
    await new Promise((r) => setTimeout(r, 300));
    for (const file of Object.values(stack.logFiles)) {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      for (const secret of secretsOf(creds)) expect(text, file).not.toContain(secret);
    }
  });
});
logSkip('request id across processes (scaled)');
