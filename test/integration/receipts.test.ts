// Signed receipts checked the way a stranger would: only jose and the public HTTP routes
// (/v1/generation, /graphql, /.well-known/jwks.json). A receipt verifies against the published
// keys and says what the record says; one changed claim breaks it; after a key rotation (the same
// data and secret, RECEIPT_KEY_VERSION=2) old receipts still verify and new ones carry the new kid;
// failed and cancelled requests have receipts too; only the buyer (its own key) and the seller
// whose listing served the request can read one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactVerify, createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { eventually } from '../helpers/eventually';

interface GenerationView {
  id: string;
  model: string;
  capability: string;
  listingId: string | null;
  inputTokens: number;
  outputTokens: number;
  characters: number;
  cost: { micros: number };
  status: string;
  createdAt: string;
  metering: {
    reportedInputTokens: number | null;
    reportedOutputTokens: number | null;
    countedInputTokens: number | null;
    countedOutputTokens: number | null;
    cachedInputTokens: number | null;
    reasoningTokens: number | null;
    servedModel: string | null;
    flags: string[];
  };
  receipt: string;
}

const SELLER_GENERATION = 'query ($id: ID!) { sellerGeneration(id: $id) { id status receipt } }';
const GENERATION = 'query ($id: ID!) { generation(id: $id) { id status receipt } }';

describe('signed request receipts', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'df-receipts-'));
  const secret = randomBytes(32).toString('hex');
  const settings = {
    SIMULATOR_URL: '',
    DATA_DIR: dataDir,
    PLATFORM_SECRET: secret,
    CONTRACT_CHECK_INTERVAL_MS: '0',
    LISTING_COOLDOWN_MS: '0',
  };
  let seller: Awaited<ReturnType<typeof signup>>;
  let otherSeller: Awaited<ReturnType<typeof signup>>;
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let listing: string;
  let otherListing: string;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-receipts', 'sk-sim-receipts-other'] });
    settings.SIMULATOR_URL = sim.url;
    stack = await startEmbeddedStack(settings);
    seller = await signup(stack.url, 'seller');
    otherSeller = await signup(stack.url, 'seller');
    listing = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: await poolKey(stack.url, seller.jwt, 'sk-sim-receipts'),
      model: 'acme/receipt-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '2',
    });
    otherListing = await admittedListing(stack.url, otherSeller.jwt, {
      poolKeyId: await poolKey(stack.url, otherSeller.jwt, 'sk-sim-receipts-other'),
      model: 'other/other-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    buyer = await fundedBuyer(stack.url, '5');
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  async function chat(url: string, key: string, model = 'acme/receipt-chat'): Promise<{ status: number; requestId: string }> {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'a receipt, please' }], max_tokens: 20 }),
    });
    await response.text();
    return { status: response.status, requestId: response.headers.get('x-request-id')! };
  }

  /** The record as /v1/generation shows it to the buyer key, once billing applied it with the expected status. */
  async function generation(url: string, key: string, requestId: string, status = 'completed'): Promise<GenerationView> {
    return eventually(async () => {
      const response = await rest(url, 'GET', `/v1/generation?id=${encodeURIComponent(requestId)}`, { token: key });
      expect(response.status).toBe(200);
      expect(response.body.data.status).toBe(status);
      return response.body.data as GenerationView;
    });
  }

  async function jwks(url: string): Promise<JSONWebKeySet> {
    const response = await fetch(`${url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return (await response.json()) as JSONWebKeySet;
  }

  /** Re-encodes the payload with one claim changed and keeps the header and signature. */
  function tampered(receipt: string, claim: string, value: unknown): string {
    const [header, payload, signature] = receipt.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    claims[claim] = value;
    return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
  }

  let firstReceipt: string;
  let firstKid: string;

  it('a receipt from /v1/generation verifies against the published keys and says what the record says', async () => {
    const { status, requestId } = await chat(stack.url, buyer.key);
    expect(status).toBe(200);
    const g = await generation(stack.url, buyer.key, requestId);

    const keySet = await jwks(stack.url);
    expect(keySet.keys).toHaveLength(1);
    expect(keySet.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' });
    expect(keySet.keys[0].kid).toMatch(/^receipt-v1-/);
    expect(Object.keys(keySet.keys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);

    const { payload, protectedHeader } = await jwtVerify(g.receipt, createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`)), {
      issuer: 'dragonfly-market',
      typ: 'receipt+jwt',
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'receipt+jwt', kid: keySet.keys[0].kid });
    expect(payload).toEqual({
      iss: 'dragonfly-market',
      iat: Math.floor(Date.parse(g.createdAt) / 1000),
      jti: requestId,
      request_id: requestId,
      key_id: buyer.keyId,
      buyer_id: buyer.accountId,
      listing_id: listing,
      seller_id: seller.accountId,
      model: 'acme/receipt-chat',
      served_model: g.metering.servedModel,
      capability: 'chat',
      status: 'completed',
      occurred_at: new Date(g.createdAt).toISOString(),
      reported_input_tokens: g.metering.reportedInputTokens,
      reported_output_tokens: g.metering.reportedOutputTokens,
      counted_input_tokens: g.metering.countedInputTokens,
      counted_output_tokens: g.metering.countedOutputTokens,
      cached_input_tokens: g.metering.cachedInputTokens,
      reasoning_tokens: g.metering.reasoningTokens,
      metering_flags: g.metering.flags,
      input_tokens: g.inputTokens,
      output_tokens: g.outputTokens,
      characters: g.characters,
      cost_micros: g.cost.micros,
      charged_micros: g.cost.micros,
      uncollected_micros: 0,
      seller_micros: expect.any(Number),
      fee_micros: expect.any(Number),
    });
    expect(g.metering.servedModel).toBe('sim-chat');
    expect(g.inputTokens).toBeGreaterThan(0);
    expect(g.outputTokens).toBeGreaterThan(0);
    // $1 / $2 per million tokens: the price in micro-USD, rounded up.
    expect(payload.cost_micros).toBe(Math.ceil(g.inputTokens * 1 + g.outputTokens * 2));
    expect((payload.seller_micros as number) + (payload.fee_micros as number)).toBe(payload.charged_micros);

    // Read again: the same receipt (signed on read, deterministic, iat from the record).
    expect((await generation(stack.url, buyer.key, requestId)).receipt).toBe(g.receipt);
    // The dashboard (GraphQL, the buyer's session) reads the same receipt.
    const viaGraphql = await graphql(stack.url, GENERATION, { id: requestId }, buyer.jwt);
    expect((viaGraphql.data as { generation: { receipt: string } }).generation.receipt).toBe(g.receipt);
    firstReceipt = g.receipt;
    firstKid = protectedHeader.kid!;
  });

  it('a receipt with one changed claim does not verify', async () => {
    const keys = createLocalJWKSet(await jwks(stack.url));
    await expect(compactVerify(firstReceipt, keys)).resolves.toBeDefined();
    const payload = JSON.parse(Buffer.from(firstReceipt.split('.')[1], 'base64url').toString('utf8'));
    for (const [claim, value] of [
      ['charged_micros', payload.charged_micros + 1],
      ['output_tokens', payload.output_tokens * 10],
      ['served_model', 'gpt-4o'],
      ['status', 'failed'],
      ['buyer_id', otherSeller.accountId],
    ] as const) {
      await expect(compactVerify(tampered(firstReceipt, claim, value), keys), claim).rejects.toMatchObject({
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    }
  });

  it('a failed and a cancelled request have receipts too', async () => {
    const keys = createLocalJWKSet(await jwks(stack.url));
    // Failed: every candidate answers 500 (this model has one listing).
    sim.setKeyFaults('sk-sim-receipts', { status: 500 });
    const failed = await chat(stack.url, buyer.key);
    sim.setKeyFaults('sk-sim-receipts', null);
    expect(failed.status).toBe(502);
    const f = await generation(stack.url, buyer.key, failed.requestId, 'failed');
    const failedClaims = (await jwtVerify(f.receipt, keys, { issuer: 'dragonfly-market' })).payload;
    expect(failedClaims).toMatchObject({
      request_id: failed.requestId,
      status: 'failed',
      charged_micros: 0,
      cost_micros: 0,
      model: 'acme/receipt-chat',
    });

    // Cancelled: the buyer goes away mid-stream.
    sim.setKeyFaults('sk-sim-receipts', { chunks: 400, chunkDelayMs: 5 });
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'acme/receipt-chat',
        messages: [{ role: 'user', content: 'a long story' }],
        max_tokens: 500,
        stream: true,
      }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const cancelledId = response.headers.get('x-request-id')!;
    const reader = response.body!.getReader();
    let text = '';
    while ((text.match(/"content":"[^"]+"/g) ?? []).length < 5) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    controller.abort();
    const c = await generation(stack.url, buyer.key, cancelledId, 'cancelled');
    sim.setKeyFaults('sk-sim-receipts', null);
    const cancelledClaims = (await jwtVerify(c.receipt, keys, { issuer: 'dragonfly-market' })).payload;
    expect(cancelledClaims).toMatchObject({
      request_id: cancelledId,
      status: 'cancelled',
      listing_id: listing,
      seller_id: seller.accountId,
      charged_micros: c.cost.micros,
      output_tokens: c.outputTokens,
    });
    expect(c.outputTokens).toBeGreaterThanOrEqual(5);
  });

  it('only the buyer (with the key that made the request) and the serving seller read a receipt', async () => {
    const mine = await chat(stack.url, buyer.key);
    const theirs = await chat(stack.url, buyer.key, 'other/other-chat');
    await generation(stack.url, buyer.key, mine.requestId);
    await generation(stack.url, buyer.key, theirs.requestId);

    // Another account's session and another account's buyer key: NOT_FOUND / 404.
    const stranger = await fundedBuyer(stack.url, '0');
    const foreign = await graphql(stack.url, GENERATION, { id: mine.requestId }, stranger.jwt);
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(foreign.data).toBeNull();
    const foreignKey = await rest(stack.url, 'GET', `/v1/generation?id=${mine.requestId}`, { token: stranger.key });
    expect(foreignKey.status).toBe(404);
    expect(foreignKey.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'not_found' } });
    // The buyer's own second key did not make the request: 404 as well.
    const second = await graphql(stack.url, 'mutation { createApiKey(input: { name: "second" }) { rawKey } }', {}, buyer.jwt);
    const secondKey = (second.data as { createApiKey: { rawKey: string } }).createApiKey.rawKey;
    expect((await rest(stack.url, 'GET', `/v1/generation?id=${mine.requestId}`, { token: secondKey })).status).toBe(404);

    // The seller whose listing served it reads the same receipt; the other seller does not.
    const keys = createLocalJWKSet(await jwks(stack.url));
    const served = await graphql(stack.url, SELLER_GENERATION, { id: mine.requestId }, seller.jwt);
    const servedReceipt = (served.data as { sellerGeneration: { receipt: string } }).sellerGeneration.receipt;
    expect(servedReceipt).toBe((await generation(stack.url, buyer.key, mine.requestId)).receipt);
    expect((await jwtVerify(servedReceipt, keys)).payload).toMatchObject({
      request_id: mine.requestId,
      seller_id: seller.accountId,
      listing_id: listing,
    });
    expect((await graphql(stack.url, SELLER_GENERATION, { id: mine.requestId }, otherSeller.jwt)).errors?.[0].extensions?.code).toBe(
      'NOT_FOUND',
    );
    expect((await graphql(stack.url, SELLER_GENERATION, { id: theirs.requestId }, seller.jwt)).errors?.[0].extensions?.code).toBe(
      'NOT_FOUND',
    );
    const otherServed = await graphql(stack.url, SELLER_GENERATION, { id: theirs.requestId }, otherSeller.jwt);
    expect(
      (await jwtVerify((otherServed.data as { sellerGeneration: { receipt: string } }).sellerGeneration.receipt, keys)).payload,
    ).toMatchObject({ seller_id: otherSeller.accountId, listing_id: otherListing });
    // The buyer is not the seller of its own request.
    expect((await graphql(stack.url, SELLER_GENERATION, { id: mine.requestId }, buyer.jwt)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // A buyer key is for /v1 only, and no credential reads nothing.
    expect((await graphql(stack.url, SELLER_GENERATION, { id: mine.requestId }, buyer.key)).data ?? null).toBeNull();
    expect((await graphql(stack.url, SELLER_GENERATION, { id: mine.requestId })).data ?? null).toBeNull();
  });

  it('/v1/generation without an id (or with a bad one) is a 400 in OpenAI’s envelope; the JWKS is public', async () => {
    for (const query of ['', '?id=', `?id=${'x'.repeat(65)}`]) {
      const response = await rest(stack.url, 'GET', `/v1/generation${query}`, { token: buyer.key });
      expect(response.status, query).toBe(400);
      expect(response.body).toEqual({
        error: { message: expect.stringContaining('id'), type: 'invalid_request_error', code: null, param: 'id' },
      });
    }
    const crossOrigin = await fetch(`${stack.url}/.well-known/jwks.json`, { headers: { origin: 'https://verifier.example' } });
    expect(crossOrigin.status).toBe(200);
    expect(crossOrigin.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('after a key rotation old receipts still verify with the new key set and new receipts carry the new kid', async () => {
    await stack.stop();
    // The same data and platform secret, the next key version.
    stack = await startEmbeddedStack({ ...settings, RECEIPT_KEY_VERSION: '2' });
    const keySet = await jwks(stack.url);
    expect(keySet.keys.map((k) => k.kid)).toHaveLength(2);
    expect(keySet.keys.map((k) => k.kid)).toContain(firstKid);
    const newKid = keySet.keys.map((k) => k.kid!).find((kid) => kid !== firstKid)!;
    expect(newKid).toMatch(/^receipt-v2-/);
    const keys = createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`));

    const old = await jwtVerify(firstReceipt, keys, { issuer: 'dragonfly-market' });
    expect(old.protectedHeader.kid).toBe(firstKid);

    const { status, requestId } = await chat(stack.url, buyer.key);
    expect(status).toBe(200);
    const g = await generation(stack.url, buyer.key, requestId);
    expect(decodeProtectedHeader(g.receipt).kid).toBe(newKid);
    expect((await jwtVerify(g.receipt, keys, { issuer: 'dragonfly-market' })).payload).toMatchObject({
      request_id: requestId,
      status: 'completed',
    });

    // A record read after the rotation is signed with the new key; the receipt issued before still verifies.
    const firstId = JSON.parse(Buffer.from(firstReceipt.split('.')[1], 'base64url').toString('utf8')).request_id as string;
    const reread = await generation(stack.url, buyer.key, firstId);
    expect(decodeProtectedHeader(reread.receipt).kid).toBe(newKid);
    expect((await jwtVerify(reread.receipt, keys)).payload).toEqual((await jwtVerify(firstReceipt, keys)).payload);
  }, 60_000);
});

describe.runIf(HAVE_SCALED_SERVICES)(
  'signed request receipts (scaled: billing signs in its process, the gateway publishes in its own)',
  () => {
    let sim: Awaited<ReturnType<typeof startSimulator>>;
    let stack: TestStack;

    beforeAll(async () => {
      sim = await startSimulator({ apiKeys: ['sk-sim-receipts-scaled'] });
      stack = await startScaledStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', RECEIPT_KEY_VERSION: '3' });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
      await sim?.close();
    });

    it('a receipt signed by the billing process verifies against the gateway process’s key set', async () => {
      const seller = await signup(stack.url, 'seller');
      await admittedListing(stack.url, seller.jwt, {
        poolKeyId: await poolKey(stack.url, seller.jwt, 'sk-sim-receipts-scaled'),
        model: 'acme/scaled-receipt-chat',
        upstreamModel: 'sim-chat',
        capability: 'CHAT',
        inputPricePerMTok: '1',
        outputPricePerMTok: '1',
      });
      const buyer = await fundedBuyer(stack.url, '1');
      const response = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'acme/scaled-receipt-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }),
      });
      expect(response.status).toBe(200);
      await response.text();
      const requestId = response.headers.get('x-request-id')!;
      const receipt = await eventually(async () => {
        const answer = await rest(stack.url, 'GET', `/v1/generation?id=${requestId}`, { token: buyer.key });
        expect(answer.status).toBe(200);
        return answer.body.data.receipt as string;
      });
      const keys = createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(receipt, keys, { issuer: 'dragonfly-market', typ: 'receipt+jwt' });
      expect(protectedHeader.kid).toMatch(/^receipt-v3-/);
      expect(payload).toMatchObject({ request_id: requestId, buyer_id: buyer.accountId, seller_id: seller.accountId, status: 'completed' });
    }, 60_000);
  },
);

if (!HAVE_SCALED_SERVICES) logSkip('signed receipts across a billing process and a gateway process');
