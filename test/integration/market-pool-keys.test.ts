// Pool keys: the provider catalog, the one validation call, the input rules, and secrecy — no
// provider key in plaintext in the database files, in any response, or in what the process wrote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  MarketCreateListingDocument,
  MarketCreatePoolKeyDocument,
  MarketDeletePoolKeyDocument,
  MarketPoolKeyDocument,
  MarketPoolKeysDocument,
  MarketProbeListingDocument,
  MarketProvidersDocument,
} from '../../schema/generated/graphql';
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import { graphql, type GraphQLResponse } from '../helpers/graphql';
import { credentials, type Credentials } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const GOOD = 'sk-sim-good-Zq8wXe4rTy6uIo0pAs2dFg';
const CUSTOM = 'sk-sim-custom-Lk9jHg7fDs5aPo3iUy1tRe';
const SECOND = 'sk-sim-second-Mn4bVc6xZa8sDf0gHj2kLq';
const WRONG = 'sk-sim-wrong-Qw1eRt3yUi5oPa7sDf9gHj';
const SECRETS = [GOOD, CUSTOM, SECOND, WRONG];

describe('market pool keys', () => {
  let sim: Simulator;
  let stack: TestStack;
  let creds: Credentials;
  const written: string[] = [];
  const responses: string[] = [];
  const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  beforeAll(async () => {
    const capture = (original: typeof process.stdout.write) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(originals.out);
    process.stderr.write = capture(originals.err);
    sim = await startSimulator({ apiKeys: [GOOD, CUSTOM, SECOND] });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    creds = await credentials(stack.url);
  });
  afterAll(async () => {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    await stack?.stop();
    await sim?.close();
  });

  /** Every response is kept, to be scanned for secrets at the end. */
  async function call<T, V>(...args: Parameters<typeof graphql<T, V>>): Promise<GraphQLResponse<T>> {
    const result = await graphql(...args);
    responses.push(JSON.stringify(result));
    return result;
  }
  const createKey = (input: { provider: string; apiKey: string; baseUrl?: string | null; label?: string | null }, token = creds.jwt) =>
    call(stack.url, MarketCreatePoolKeyDocument, { input }, token);

  it('lists the providers: the configured simulator, the public OpenAI-compatible ones, and custom', async () => {
    const result = await call(stack.url, MarketProvidersDocument, {}, creds.jwt);
    const providers = result.data!.poolProviders;
    expect(providers.map((p) => p.id)).toEqual(['simulator', 'openai', 'deepseek', 'openrouter', 'together', 'groq', 'mistral', 'custom']);
    expect(providers[0]).toEqual({
      id: 'simulator',
      name: expect.any(String),
      baseUrl: sim.url,
      capabilities: ['CHAT', 'EMBEDDINGS', 'SPEECH'],
      requiresBaseUrl: false,
      acceptsBaseUrl: true,
    });
    expect(providers.find((p) => p.id === 'openai')).toMatchObject({ baseUrl: 'https://api.openai.com/v1', acceptsBaseUrl: false });
    expect(providers.find((p) => p.id === 'deepseek')).toMatchObject({ baseUrl: 'https://api.deepseek.com/v1', capabilities: ['CHAT'] });
    expect(providers.find((p) => p.id === 'custom')).toMatchObject({ baseUrl: null, requiresBaseUrl: true });
    expect((await call(stack.url, MarketProvidersDocument, {}, creds.mkBuyer)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('validates a key with one call to the provider, stores it sealed and shows it masked', async () => {
    const before = sim.requestCount();
    const result = await createKey({ provider: 'simulator', apiKey: GOOD, label: 'main' });
    expect(result.errors).toBeUndefined();
    expect(sim.requestCount() - before).toBe(1);
    const key = result.data!.createPoolKey;
    expect(key).toMatchObject({ provider: 'simulator', label: 'main', baseUrl: sim.url, status: 'ACTIVE', keyPreview: 'sk-s…2dFg' });
    expect(key.validatedAt).not.toBeNull();
    const list = await call(stack.url, MarketPoolKeysDocument, {}, creds.jwt);
    expect(list.data!.poolKeys.map((k) => k.id)).toContain(key.id);
    expect((await call(stack.url, MarketPoolKeyDocument, { id: key.id }, creds.other.jwt)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const again = await createKey({ provider: 'simulator', apiKey: GOOD });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('refuses a key the provider refuses (401) as BAD_USER_INPUT', async () => {
    const result = await createKey({ provider: 'simulator', apiKey: WRONG });
    expect(result.errors?.[0]).toMatchObject({
      message: 'the provider refused this key',
      extensions: { code: 'BAD_USER_INPUT', details: { field: 'apiKey' } },
    });
  });

  it('takes a base URL for custom (required) and the simulator only', async () => {
    const custom = await createKey({ provider: 'custom', apiKey: CUSTOM, baseUrl: `${sim.url}/` });
    expect(custom.errors).toBeUndefined();
    expect(custom.data!.createPoolKey).toMatchObject({ provider: 'custom', baseUrl: sim.url });
    const cases: [Parameters<typeof createKey>[0], string][] = [
      [{ provider: 'custom', apiKey: SECOND }, 'baseUrl'],
      [{ provider: 'custom', apiKey: SECOND, baseUrl: 'ftp://example.com/v1' }, 'baseUrl'],
      [{ provider: 'custom', apiKey: SECOND, baseUrl: 'not a url' }, 'baseUrl'],
      [{ provider: 'custom', apiKey: SECOND, baseUrl: 'http://user:pass@example.com/v1' }, 'baseUrl'],
      [{ provider: 'openai', apiKey: SECOND, baseUrl: sim.url }, 'baseUrl'],
      [{ provider: 'nosuch', apiKey: SECOND }, 'provider'],
      [{ provider: 'simulator', apiKey: 'short' }, 'apiKey'],
      [{ provider: 'simulator', apiKey: 'has a space in it' }, 'apiKey'],
      [{ provider: 'simulator', apiKey: SECOND, label: 'x'.repeat(101) }, 'label'],
      // An endpoint of the seller's that nothing answers at: most likely a wrong URL.
      [{ provider: 'custom', apiKey: SECOND, baseUrl: 'http://127.0.0.1:1/v1' }, 'baseUrl'],
    ];
    for (const [input, field] of cases) {
      const result = await createKey(input);
      expect(result.errors?.[0].extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
    }
  });

  it('answers SERVICE_UNAVAILABLE when a catalog provider cannot be reached', async () => {
    const result = await createKey({ provider: 'simulator', apiKey: SECOND, baseUrl: 'http://127.0.0.1:1/v1' });
    expect(result.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('keeps the key out of responses, the routing table, the database files and the logs', async () => {
    const key = await createKey({ provider: 'simulator', apiKey: SECOND });
    const poolKeyId = key.data!.createPoolKey.id;
    const listing = await call(
      stack.url,
      MarketCreateListingDocument,
      { input: { poolKeyId, model: 'acme/secret-check', upstreamModel: 'sim-chat', inputPricePerMTok: '1', outputPricePerMTok: '1' } },
      creds.jwt,
    );
    const probe = await call(stack.url, MarketProbeListingDocument, { id: listing.data!.createListing.id }, creds.jwt);
    expect(probe.data!.probeListing.passed).toBe(true);
    // A failing probe whose upstream error could echo the key.
    sim.setKeyFaults(SECOND, { status: 500 });
    await call(stack.url, MarketProbeListingDocument, { id: listing.data!.createListing.id }, creds.jwt);
    sim.setKeyFaults(SECOND, null);
    // The data plane's view carries the key sealed only.
    const market = stack.platform!.runtimes.find((r) => r.name === 'market')!;
    const table = await market.execute(
      { query: '{ routingTable(model: "acme/secret-check") { candidates { sealedApiKey sealContext } } }' },
      { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'service', name: 'test' }) },
    );
    expect(
      (table.data as { routingTable: { candidates: { sealedApiKey: string; sealContext: string }[] } }).routingTable.candidates[0],
    ).toMatchObject({ sealedApiKey: expect.stringMatching(/^v1\./), sealContext: `pool-key:${poolKeyId}` });
    responses.push(JSON.stringify(table));
    // Deleting a key that no listing uses erases even the sealed copy.
    const spare = await createKey({ provider: 'custom', apiKey: GOOD, baseUrl: sim.url });
    expect(
      (await call(stack.url, MarketDeletePoolKeyDocument, { id: spare.data!.createPoolKey.id }, creds.jwt)).data!.deletePoolKey.status,
    ).toBe('DELETED');

    await stack.stop();
    for (const body of responses) {
      for (const secret of SECRETS) expect(body.includes(secret.slice(8, 30)), `${secret.slice(0, 12)}… in a response`).toBe(false);
    }
    const files = readdirSync(stack.config.dataDir).map((name) => path.join(stack.config.dataDir, name));
    expect(files.some((file) => file.endsWith('market.db'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file).toString('latin1');
      for (const secret of SECRETS) {
        expect(bytes.includes(secret), `${secret.slice(0, 12)}… in ${path.basename(file)}`).toBe(false);
        expect(bytes.includes(secret.slice(8, 30)), `a piece of ${secret.slice(0, 12)}… in ${path.basename(file)}`).toBe(false);
      }
    }
    const log = written.join('');
    for (const secret of SECRETS) expect(log.includes(secret.slice(8, 30))).toBe(false);
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url }); // afterAll stops a stack
  });
});
