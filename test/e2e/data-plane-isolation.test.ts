// One buyer must not degrade supply for everyone: a hostile body is that buyer's own 400 on every
// /v1 route (never a provider failure, never a cooldown that locks other buyers out), and a
// provider that stalls after its first byte cannot hold the stream, the listing's slot or the
// reservation beyond the idle timeout.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { eventually } from '../helpers/eventually';
import { expectLedgerBalanced } from '../helpers/ledger';

describe('data plane isolation', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let seller: Awaited<ReturnType<typeof signup>>;
  let chatListing: string;
  let slowListing: string;
  let quickListing: string;
  let stallListing: string;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-iso', 'sk-sim-stall', 'sk-sim-slow', 'sk-sim-quick'] });
    // A long cooldown: if a caller's error were blamed on the listing, everyone would be locked out.
    stack = await startEmbeddedStack({
      SIMULATOR_URL: sim.url,
      CONTRACT_CHECK_INTERVAL_MS: '0',
      LISTING_COOLDOWN_MS: '600000',
      STREAM_IDLE_TIMEOUT_MS: '400',
    });
    seller = await signup(stack.url, 'seller');
    const pool = await poolKey(stack.url, seller.jwt, 'sk-sim-iso');
    chatListing = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: pool,
      model: 'iso/chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: pool,
      model: 'iso/embed',
      upstreamModel: 'sim-embed',
      capability: 'EMBEDDINGS',
      inputPricePerMTok: '1',
    });
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: pool,
      model: 'iso/tts',
      upstreamModel: 'sim-tts',
      capability: 'SPEECH',
      pricePerMChars: '15',
    });
    const slowPool = await poolKey(stack.url, seller.jwt, 'sk-sim-slow');
    slowListing = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: slowPool,
      model: 'iso/speedy',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    const quickPool = await poolKey(stack.url, seller.jwt, 'sk-sim-quick');
    quickListing = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: quickPool,
      model: 'iso/speedy',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '2',
      outputPricePerMTok: '2',
    });
    const stallPool = await poolKey(stack.url, seller.jwt, 'sk-sim-stall');
    stallListing = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: stallPool,
      model: 'iso/stall',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });
  afterEach(async () => {
    sim.setKeyFaults('sk-sim-stall', null);
    await expectLedgerBalanced(stack);
  });

  // Built as text: serialising such a value would overflow the test's own stack.
  const deep = (depth: number) => '{"a":'.repeat(depth) + '"x"' + '}'.repeat(depth);
  const deepArray = (depth: number) => '['.repeat(depth) + '"x"' + ']'.repeat(depth);

  it.each([
    [
      'chat, an unknown field',
      '/v1/chat/completions',
      () => `{"model":"iso/chat","messages":[{"role":"user","content":"hi"}],"extra":${deep(20_000)}}`,
    ],
    [
      'chat, inside messages',
      '/v1/chat/completions',
      () => `{"model":"iso/chat","messages":[{"role":"user","content":${deepArray(20_000)}}]}`,
    ],
    ['embeddings, inside input', '/v1/embeddings', () => `{"model":"iso/embed","input":${deepArray(20_000)}}`],
    ['speech, an unknown field', '/v1/audio/speech', () => `{"model":"iso/tts","input":"hello","voice":"alloy","extra":${deep(20_000)}}`],
  ])('answers a 20,000-deep body (%s) with the caller’s own 400, and other buyers are still served', async (_name, path, body) => {
    const hostile = await fundedBuyer(stack.url, '1');
    const response = await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hostile.key}`, 'content-type': 'application/json' },
      body: body(),
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: { type: string; message: string } };
    expect(answer.error.type).toBe('invalid_request_error');
    expect(answer.error.message).not.toMatch(/stack|at \w+ \(/i);

    const other = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: other.key, maxRetries: 0 });
    const served = await client.chat.completions.create({ model: 'iso/chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    expect(served.choices[0].message.content).toBeTruthy();
    const state = await graphql(
      stack.url,
      'query ($id: ID!) { listing(id: $id) { contract { id state } } }',
      { id: chatListing },
      seller.jwt,
    );
    const contract = (state.data as { listing: { contract: { id: string; state: string } } }).listing.contract;
    expect(contract.state).toBe('ACTIVE');
    const checks = await graphql(
      stack.url,
      'query ($id: ID!) { contractChecks(contractId: $id, limit: 50) { kind passed } }',
      { id: contract.id },
      seller.jwt,
    );
    expect(
      (checks.data as { contractChecks: { kind: string; passed: boolean }[] }).contractChecks.filter((c) => c.kind === 'LIVE' && !c.passed),
    ).toEqual([]);
  });

  it("passes the provider's own refusal on to the buyer (bounded and scrubbed), with the listing in metadata, and holds nothing against the listing", async () => {
    sim.setKeyFaults('sk-sim-stall', { status: 422 });
    const buyer = await fundedBuyer(stack.url, '1');
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'iso/stall', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as {
      error: { message: string; code: string; metadata: { listing_id: string; provider_status: number } };
    };
    expect(error.message).toBe('The provider refused the request (422): Simulated 422 error.');
    expect(error.code).toBe('upstream_rejected');
    expect(error.metadata).toMatchObject({ provider_status: 422, listing_id: stallListing });
    // The buyer's request was refused for what it asked: no failed check against the seller.
    const state = await graphql(
      stack.url,
      'query ($id: ID!) { listing(id: $id) { contract { id state } } }',
      { id: stallListing },
      seller.jwt,
    );
    const contract = (state.data as { listing: { contract: { id: string; state: string } } }).listing.contract;
    const checks = await graphql(
      stack.url,
      'query ($id: ID!) { contractChecks(contractId: $id, limit: 50) { kind passed reason } }',
      { id: contract.id },
      seller.jwt,
    );
    expect(
      (checks.data as { contractChecks: { kind: string; passed: boolean; reason: string | null }[] }).contractChecks.filter(
        (c) => c.kind === 'LIVE' && !c.passed && /422/.test(c.reason ?? ''),
      ),
    ).toEqual([]);
  });

  it('scrubs what a provider says before a buyer sees it', async () => {
    const { errorMessageOf } = await import('../../gateway/inference/upstream');
    expect(errorMessageOf('{"error":{"message":"bad key sk-live-abcdefghijklmnopqrstuvwxyz0123 at http://10.0.0.5:8080/v1"}}')).not.toMatch(
      /sk-live|10\.0\.0\.5|http:/,
    );
    expect(errorMessageOf('plain text refusal')).toBe('plain text refusal');
    expect(errorMessageOf('x'.repeat(5_000))!.length).toBeLessThanOrEqual(300);
    expect(errorMessageOf('')).toBeUndefined();
  });

  it("applies a routing profile's own idle timeout: gaps the platform default would cut pass under a longer one", async () => {
    // 650 ms between chunks: past the stack's 400 ms default, within the profile's 2 s.
    sim.setKeyFaults('sk-sim-stall', { chunks: 3, ttftMs: 0, chunkDelayMs: 650 });
    const buyer = await fundedBuyer(stack.url, '1');
    const ask = async () => {
      const response = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'iso/stall', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true }),
      });
      return response.text();
    };
    expect(await ask()).toContain('"code":"upstream_error"');
    const profile = await rest(stack.url, 'POST', '/api/routing/profiles', {
      token: buyer.jwt,
      body: { name: 'patient', streamIdleTimeoutMs: 2_000 },
    });
    expect(profile.status, JSON.stringify(profile.body)).toBe(201);
    const bound = await rest(stack.url, 'PATCH', `/api/keys/${buyer.keyId}`, {
      token: buyer.jwt,
      body: { routingProfileId: profile.body.id },
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    await eventually(async () => {
      const text = await ask();
      expect(text).toContain('data: [DONE]');
      expect(text).not.toContain('upstream_error');
    });
  });

  it('sends traffic away from a listing consistently slow to its first byte, without the buyer configuring anything', async () => {
    // The cheaper listing is routed first, until it shows itself 1.5 s slow on live traffic.
    sim.setKeyFaults('sk-sim-slow', { latencyMs: 1_500 });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const servedBy: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { response } = await client.chat.completions
        .create({ model: 'iso/speedy', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 })
        .withResponse();
      const id = response.headers.get('x-request-id')!;
      servedBy.push(
        await eventually(async () => {
          const result = await graphql(stack.url, 'query ($id: ID!) { generation(id: $id) { listingId } }', { id }, buyer.jwt);
          const g = (result.data as { generation?: { listingId: string } } | null)?.generation;
          if (!g) throw new Error('no record yet');
          return g.listingId;
        }),
      );
    }
    expect(servedBy[0]).toBe(slowListing);
    // Afterwards the faster one serves (one request in twenty still checks on the slow one).
    expect(servedBy.slice(1).filter((id) => id === quickListing).length).toBeGreaterThanOrEqual(6);
    sim.setKeyFaults('sk-sim-slow', null);
  });

  it('ends a stream that stalls after its first chunk at the idle timeout with an OpenAI error event, charges nothing and holds nothing', async () => {
    // The first token arrives, then nothing for a minute.
    sim.setKeyFaults('sk-sim-stall', { chunks: 50, ttftMs: 0, chunkDelayMs: 60_000 });
    // A key whose limit holds one such request's reservation (about 80 micro-USD) at a time.
    const buyer = await fundedBuyer(stack.url, '1', { limit: '0.0001', cycle: 'DAILY' });
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'iso/stall', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/"error":\{"message":"The provider stream broke off"/);
    const requestId = response.headers.get('x-request-id')!;
    const record = await eventually(async () => {
      const result = await graphql(
        stack.url,
        'query ($id: ID!) { generation(id: $id) { status cost { micros } } }',
        { id: requestId },
        buyer.jwt,
      );
      const g = (result.data as { generation?: { status: string; cost: { micros: number } } } | null)?.generation;
      if (!g) throw new Error('no record yet');
      return g;
    });
    expect(record).toEqual({ status: 'failed', cost: { micros: 0 } });
    // The reservation was released: the same key can hold another one.
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const next = await client.chat.completions.create({ model: 'iso/chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 });
    expect(next.usage!.completion_tokens).toBeGreaterThan(0);
  });
});
