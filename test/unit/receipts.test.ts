// Receipt keys and claims without a stack: derivation is deterministic per secret and version,
// versions differ, a bad RECEIPT_KEY_VERSION stops the config load, and what the keyring signs
// verifies with jose against the JWKS it publishes.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadConfig } from '../../subgraphs/common/config';
import {
  deriveReceiptKey,
  MAX_RECEIPT_KEY_VERSION,
  parseReceiptKeyVersion,
  ReceiptKeyring,
  receiptKeySeed,
} from '../../subgraphs/common/receipt-keys';
import { receiptClaims, ReceiptService } from '../../subgraphs/billing/services/receipts';
import { UsageRecord } from '../../subgraphs/billing/entities/UsageRecord';

const SECRET = 'a-platform-secret-of-at-least-32-characters';
const OTHER_SECRET = 'another-platform-secret-of-32-characters!!';

function record(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return Object.assign(new UsageRecord(), {
    requestId: 'req_unit_1',
    keyId: 'key-1',
    buyerId: 'buyer-1',
    listingId: 'listing-1',
    sellerId: 'seller-1',
    model: 'acme/chat',
    capability: 'chat',
    inputTokens: 12,
    outputTokens: 40,
    characters: 0,
    costMicros: 30,
    uncollectedMicros: 22,
    sellerMicros: 21,
    feeMicros: 9,
    status: 'completed',
    reportedInputTokens: 12,
    reportedOutputTokens: 41,
    countedInputTokens: 12,
    countedOutputTokens: 40,
    cachedInputTokens: null,
    reasoningTokens: null,
    servedModel: 'sim-chat',
    meteringFlags: 'completion_over_count',
    occurredAt: new Date('2025-03-04T05:06:07.890Z'),
    ...overrides,
  });
}

describe('receipt signing keys', () => {
  it('derive deterministically from the secret and the version', async () => {
    const a = deriveReceiptKey(SECRET, 1);
    const b = deriveReceiptKey(SECRET, 1);
    expect(b.publicJwk).toEqual(a.publicJwk);
    expect(receiptKeySeed(SECRET, 1).equals(receiptKeySeed(SECRET, 1))).toBe(true);
    expect(a.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' });
    // The kid ends with the start of the key's RFC 7638 thumbprint.
    const thumbprint = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: a.publicJwk.x });
    expect(a.kid).toBe(`receipt-v1-${thumbprint.slice(0, 12)}`);
  });

  it('differ between versions and between secrets', () => {
    const xs = [1, 2, 3].map((v) => deriveReceiptKey(SECRET, v).publicJwk.x);
    expect(new Set(xs).size).toBe(3);
    expect(deriveReceiptKey(OTHER_SECRET, 1).publicJwk.x).not.toBe(xs[0]);
    expect(deriveReceiptKey(SECRET, 2).kid).toMatch(/^receipt-v2-[A-Za-z0-9_-]{12}$/);
  });

  it('a keyring publishes versions 1..current, newest first, and signs with the current one', () => {
    const ring = new ReceiptKeyring(SECRET, 3);
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([3, 2, 1].map((v) => deriveReceiptKey(SECRET, v).kid));
    expect(decodeProtectedHeader(ring.sign({ a: 1 }))).toEqual({ alg: 'EdDSA', typ: 'receipt+jwt', kid: ring.current.kid });
    expect(JSON.parse(ring.jwksJson())).toEqual(ring.jwks());
  });

  it('RECEIPT_KEY_VERSION defaults to 1 and anything but an integer from 1 to the maximum stops the config load', () => {
    const env = { PLATFORM_SECRET: SECRET, DATA_DIR: tmpdir() };
    expect(loadConfig(env).receiptKeyVersion).toBe(1);
    expect(loadConfig({ ...env, RECEIPT_KEY_VERSION: '' }).receiptKeyVersion).toBe(1);
    expect(loadConfig({ ...env, RECEIPT_KEY_VERSION: ' 7 ' }).receiptKeyVersion).toBe(7);
    expect(parseReceiptKeyVersion(String(MAX_RECEIPT_KEY_VERSION))).toBe(MAX_RECEIPT_KEY_VERSION);
    for (const bad of ['0', '-1', '1.5', 'v2', 'two', '0x2', String(MAX_RECEIPT_KEY_VERSION + 1), '1e3']) {
      expect(() => loadConfig({ ...env, RECEIPT_KEY_VERSION: bad }), bad).toThrow(/RECEIPT_KEY_VERSION must be an integer from 1 to 100/);
    }
  });
});

describe('receipts', () => {
  it('carry the record: ids, models, both token counts, billed figures, price = charged + uncollected, iat = occurredAt', () => {
    expect(receiptClaims(record())).toEqual({
      iss: 'dragonfly-market',
      iat: Math.floor(Date.parse('2025-03-04T05:06:07.890Z') / 1000),
      jti: 'req_unit_1',
      request_id: 'req_unit_1',
      key_id: 'key-1',
      buyer_id: 'buyer-1',
      listing_id: 'listing-1',
      seller_id: 'seller-1',
      model: 'acme/chat',
      served_model: 'sim-chat',
      capability: 'chat',
      status: 'completed',
      occurred_at: '2025-03-04T05:06:07.890Z',
      reported_input_tokens: 12,
      reported_output_tokens: 41,
      counted_input_tokens: 12,
      counted_output_tokens: 40,
      cached_input_tokens: null,
      reasoning_tokens: null,
      metering_flags: ['completion_over_count'],
      input_tokens: 12,
      output_tokens: 40,
      characters: 0,
      cost_micros: 52,
      charged_micros: 30,
      uncollected_micros: 22,
      seller_micros: 21,
      fee_micros: 9,
    });
    expect(
      receiptClaims(record({ listingId: null, sellerId: null, servedModel: null, meteringFlags: null, status: 'failed' })),
    ).toMatchObject({ listing_id: null, seller_id: null, served_model: null, metering_flags: [], status: 'failed' });
  });

  it('are stable (same record, same key: same receipt) and verify with jose against the published keys', async () => {
    const service = new ReceiptService(SECRET, 2);
    const receipt = service.sign(record());
    expect(service.sign(record())).toBe(receipt);
    const jwks = createLocalJWKSet(new ReceiptKeyring(SECRET, 2).jwks());
    const { payload, protectedHeader } = await jwtVerify(receipt, jwks, {
      issuer: 'dragonfly-market',
      typ: 'receipt+jwt',
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader.kid).toBe(service.kid);
    expect(payload).toEqual(receiptClaims(record()));
    // Another secret's keys do not verify it.
    await expect(
      compactVerify(receipt, createLocalJWKSet({ keys: [{ ...deriveReceiptKey(OTHER_SECRET, 2).publicJwk, kid: service.kid }] })),
    ).rejects.toThrow();
  });

  it('signing cost (printed, not asserted)', () => {
    const service = new ReceiptService(SECRET, 1);
    const base = record();
    for (let i = 0; i < 500; i++) service.sign(base);
    const samples: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const r = record({ requestId: `req_${i}` });
      const start = process.hrtime.bigint();
      service.sign(r);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `receipt signing: p50 ${samples[2_500].toFixed(1)} µs, p99 ${samples[4_950].toFixed(1)} µs per receipt (claims + JSON + base64url + Ed25519)`,
    );
    expect(samples).toHaveLength(5_000);
  });
});
