// SIGTERM during 100 in-flight streams: the product stops accepting, lets the streams finish,
// flushes their usage events, and exits; after a restart on the same data every finished stream
// is billed exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { spawnProcess } from '../bench/load';
import { graphql } from '../helpers/graphql';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { waitUntil } from '../helpers/eventually';

describe('graceful shutdown', () => {
  const children: ChildProcess[] = [];
  let simUrl: string;
  const env = {
    PORT: '0',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'df-shutdown-')),
    CONTRACT_CHECK_INTERVAL_MS: '0',
    PLATFORM_SECRET: randomBytes(32).toString('hex'),
    SCRYPT_COST: '1024',
    DEMO: 'off',
  };
  const startProduct = async () => {
    const product = await spawnProcess(
      ['gateway/main.ts'],
      { ...env, SIMULATOR_URL: simUrl, OUTBOUND_ALLOW_PRIVATE: 'true' },
      /GraphQL\s+(\S+)\/graphql/,
    );
    children.push(product.child);
    return { child: product.child, url: product.match[1] };
  };

  beforeAll(async () => {
    const sim = await spawnProcess(['gateway/simulator/main.ts', '--port', '0'], {}, /simulator ready at (\S+)/);
    children.push(sim.child);
    simUrl = sim.match[1];
  });
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('finishes or cleanly ends every stream, and bills each finished one exactly once', async () => {
    const first = await startProduct();
    const seller = await signup(first.url, 'seller');
    const key = await poolKey(first.url, seller.jwt, 'sk-sim-shutdown');
    await admittedListing(first.url, seller.jwt, {
      poolKeyId: key,
      model: 'acme/stream-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    const buyer = await fundedBuyer(first.url, '10');
    const body = JSON.stringify({
      model: 'acme/stream-chat',
      messages: [{ role: 'user', content: 'long' }],
      max_tokens: 100,
      stream: true,
    });
    // Streams of about 3 s (100 tokens, 30 ms apart), so that most are mid-way when SIGTERM arrives.
    await fetch(`${simUrl.replace(/\/v1$/, '')}/_simulator/keys/sk-sim-shutdown/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chunkDelayMs: 30 }),
    });
    const ids: string[] = [];
    let streaming = 0;
    let ended = 0;
    const results = Array.from(
      { length: 100 },
      () =>
        new Promise<{ id: string | null; text: string; ok: boolean }>((resolve) => {
          // Raw fetch: we need the x-request-id and the body, whatever happens.
          fetch(`${first.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
            body,
          })
            .then(async (response) => {
              const id = response.headers.get('x-request-id');
              if (id) ids.push(id);
              streaming++;
              const text = await response.text().catch(() => '');
              ended++;
              resolve({ id, text, ok: response.status === 200 });
            })
            .catch(() => {
              ended++;
              resolve({ id: null, text: '', ok: false });
            });
        }),
    );
    // SIGTERM once all 100 streams have started (their headers are back), however busy the machine.
    await waitUntil(() => streaming === 100, 'all 100 streams started', { timeoutMs: 15_000, intervalMs: 10 });
    const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
    // The streams were still running when SIGTERM arrived: counted, not timed.
    const runningAtSigterm = 100 - ended;
    first.child.kill('SIGTERM');
    const outcomes = await Promise.all(results);
    expect(await exited).toBe(0);

    const finished = outcomes.filter((o) => o.ok && o.text.includes('data: [DONE]'));
    const cleanlyEnded = outcomes.filter((o) => !finished.includes(o));
    // Every stream either finished or ended without a half-written success.
    for (const outcome of cleanlyEnded) expect(outcome.text.includes('[DONE]')).toBe(false);
    expect(finished.length).toBeGreaterThan(0);
    expect(runningAtSigterm).toBeGreaterThan(50);

    const second = await startProduct();
    const { jwt } = await (async () => {
      const login = await fetch(`${second.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: buyer.email, password: 'password-123' }),
      });
      return { jwt: ((await login.json()) as { token: string }).token };
    })();
    let billed = 0;
    for (const outcome of finished) {
      const result = await graphql(
        second.url,
        `query ($id: ID!) { generation(id: $id) { id status cost { micros } } }`,
        { id: outcome.id },
        jwt,
      );
      const generation = (result.data as { generation?: { status: string; cost: { micros: number } } } | null)?.generation;
      expect(generation?.status, `request ${outcome.id}`).toBe('completed');
      expect(generation!.cost.micros).toBeGreaterThan(0);
      billed++;
    }
    expect(billed).toBe(finished.length);
    const usage = await graphql(second.url, `{ usage { requests } }`, {}, jwt);
    const requests = (usage.data as { usage: { requests: number } }).usage.requests;
    expect(requests).toBeGreaterThanOrEqual(finished.length);
    expect(requests).toBeLessThanOrEqual(ids.length);
    second.child.kill('SIGTERM');
  }, 90_000);
});
