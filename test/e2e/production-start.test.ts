// The product started as an operator would in production (`NODE_ENV=production`, gateway/main.ts):
// it refuses to start without METRICS_TOKEN; with one it seeds no demo and prints no key, takes no
// sandbox money, refuses a seller's loopback upstream, guards /metrics, answers no introspection
// and no "Did you mean" hints, keeps keySnapshot out of the public API, and writes its SQLite
// files owner-only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnProcess } from '../bench/load';
import { graphql, rest } from '../helpers/graphql';
import { signup } from '../helpers/credentials';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Production as an operator sets it; the test runner's own settings (loopback upstreams, sandbox money) cleared. */
function productionEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: '0',
    DATA_DIR: dataDir,
    PLATFORM_SECRET: randomBytes(32).toString('hex'),
    SCRYPT_COST: '1024',
    CONTRACT_CHECK_INTERVAL_MS: '0',
    OUTBOUND_ALLOW_PRIVATE: '',
    SANDBOX_TOPUPS: '',
    DEMO: '',
    METRICS_TOKEN: '',
    TRUST_PROXY: '',
    LOG_FILE: path.join(dataDir, 'product.log'),
    ...extra,
  };
}

describe('production start', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('refuses to start without METRICS_TOKEN, saying what to set', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'df-prod-refuse-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...productionEnv(dataDir) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toMatch(/METRICS_TOKEN is required when NODE_ENV=production/);
    expect(output).not.toMatch(/ready in/);
  });

  describe('with METRICS_TOKEN', () => {
    const metricsToken = randomBytes(24).toString('hex');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'df-prod-'));
    // As an operator's freshly made directory usually is: readable by everyone until the product says otherwise.
    chmodSync(dataDir, 0o755);
    let url: string;
    let startup: string;

    beforeAll(async () => {
      // The ready banner (and a demo key, were there one) is written in one piece.
      const product = await spawnProcess(
        ['gateway/main.ts'],
        productionEnv(dataDir, { METRICS_TOKEN: metricsToken }),
        /GraphQL\s+(\S+)\/graphql[^\n]*\n[^\n]*readyz/,
      );
      children.push(product.child);
      url = product.match[1];
      startup = product.match.input ?? '';
    });

    it('seeds no demo and prints no key', async () => {
      expect(startup).not.toMatch(/demo buyer key|sk-df-/);
      const models = await graphql<{ models: unknown[] }, unknown>(url, '{ models { id } }');
      expect(models.data?.models).toEqual([]);
    });

    it('refuses sandbox top-ups', async () => {
      const { jwt } = await signup(url, 'prod-buyer');
      const topUp = await rest(url, 'POST', '/api/billing/topups', { token: jwt, body: { amount: 5 } });
      expect(topUp.status).toBeGreaterThanOrEqual(400);
      expect(topUp.status).toBeLessThan(500);
    });

    it("refuses a seller's pool key on a loopback base URL (SSRF rule)", async () => {
      const { jwt } = await signup(url, 'prod-seller');
      const response = await rest(url, 'POST', '/v1/pool/keys', {
        token: jwt,
        body: { provider: 'custom', apiKey: `sk-${randomBytes(8).toString('hex')}`, baseUrl: 'http://127.0.0.1:9/v1' },
      });
      expect(response.status).toBe(400);
      expect(response.body?.error?.details?.field).toBe('baseUrl');
      expect((await rest(url, 'GET', '/v1/pool/keys', { token: jwt })).body).toEqual({ keys: [] });
    });

    it('guards /metrics with the token', async () => {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/http_requests_total/);
    });

    it('answers no introspection and no "Did you mean" hints, and keySnapshot is not in the public API', async () => {
      const introspection = await graphql(url, '{ __schema { queryType { name } } }');
      expect(introspection.status).toBe(400);
      expect(JSON.stringify(introspection.errors)).toMatch(/introspection/i);
      const typo = await graphql(url, '{ me { emial } jobFeed(limt: 1) { id } }');
      expect(typo.status).toBe(400);
      expect(typo.errors!.length).toBeGreaterThan(0);
      expect(JSON.stringify(typo.errors)).not.toMatch(/Did you mean/);
      const enumTypo = await graphql(url, 'mutation ($c: KeyCycle) { updateApiKey(id: "x", input: { cycle: $c }) { id } }', { c: 'DAYLY' });
      expect(enumTypo.errors?.[0]?.message).toMatch(/KeyCycle/);
      expect(JSON.stringify(enumTypo.errors)).not.toMatch(/Did you mean/);
      const snapshot = await graphql(url, '{ keySnapshot(keyHash: "x") { id } }');
      expect(snapshot.status).toBe(400);
      expect(snapshot.errors![0].message).toMatch(/Cannot query field "keySnapshot"/);
      expect(JSON.stringify(snapshot.errors)).not.toMatch(/Did you mean/);
    });

    it('writes its SQLite files owner-only (0600) in an owner-only data dir (0700)', () => {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const stores = readdirSync(dataDir).filter((name) => /\.db(-wal|-shm)?$/.test(name));
      expect(stores).toEqual(expect.arrayContaining(['accounts.db', 'market.db', 'billing.db', 'network.db']));
      for (const name of stores)
        expect({ name, mode: (statSync(path.join(dataDir, name)).mode & 0o777).toString(8) }).toEqual({ name, mode: '600' });
    });
  });
});
