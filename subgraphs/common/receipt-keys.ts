// Receipt signing keys: Ed25519 key pairs derived from the platform secret, one per key version.
// Billing signs with the current version; the gateway publishes every version from 1 to current
// (GET /.well-known/jwks.json), so receipts signed before a rotation still verify. Both derive the
// same keys from the same secret: no key material is stored or exchanged.
import { createHash, createPrivateKey, createPublicKey, hkdfSync, sign, type KeyObject } from 'node:crypto';

/** The `iss` of every receipt. */
export const RECEIPT_ISSUER = 'dragonfly-market';
/** The JWS header's `typ`: a JWT whose claims describe one request. */
export const RECEIPT_TYPE = 'receipt+jwt';
/** Versions the JWKS publishes are 1..current: a bound keeps it (and derivation at start) small. */
export const MAX_RECEIPT_KEY_VERSION = 100;

/** ASN.1 prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface ReceiptPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
}

export interface ReceiptKey {
  version: number;
  kid: string;
  privateKey: KeyObject;
  publicJwk: ReceiptPublicJwk;
}

/** RECEIPT_KEY_VERSION as given; throws a message naming the setting on anything but 1..MAX. */
export function parseReceiptKeyVersion(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const version = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(version) || version < 1 || version > MAX_RECEIPT_KEY_VERSION) {
    throw new Error(
      `RECEIPT_KEY_VERSION must be an integer from 1 to ${MAX_RECEIPT_KEY_VERSION} (the receipt signing key's version; raise it by one to rotate), got ${JSON.stringify(value)}`,
    );
  }
  return version;
}

function checkVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1 || version > MAX_RECEIPT_KEY_VERSION)
    throw new Error(`receipt key version must be an integer from 1 to ${MAX_RECEIPT_KEY_VERSION}`);
}

/** The 32-byte Ed25519 seed of one version (HKDF-SHA256; its own info string, so no other key purpose collides). */
export function receiptKeySeed(platformSecret: string, version: number): Buffer {
  checkVersion(version);
  return Buffer.from(hkdfSync('sha256', platformSecret, 'dragonfly-market', `dragonfly receipt signing key v${version}`, 32));
}

/** One version's key pair and kid (`receipt-v<N>-<first 12 chars of the RFC 7638 thumbprint>`). */
export function deriveReceiptKey(platformSecret: string, version: number): ReceiptKey {
  const seed = receiptKeySeed(platformSecret, version);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string };
  // The thumbprint's input: the required members in lexicographic order, no whitespace.
  const thumbprint = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
  const kid = `receipt-v${version}-${thumbprint.slice(0, 12)}`;
  return { version, kid, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' } };
}

/**
 * The keys of versions 1..current, derived once per process (a keyring is built at start), so
 * signing a receipt costs the signature only.
 */
export class ReceiptKeyring {
  readonly current: ReceiptKey;
  private readonly keys: ReceiptKey[];
  private jwksBody: string | null = null;
  /** The JWS protected header, encoded once: only the kid changes, and only with the version. */
  private readonly header: string;

  constructor(platformSecret: string, currentVersion: number) {
    checkVersion(currentVersion);
    this.keys = Array.from({ length: currentVersion }, (_, i) => deriveReceiptKey(platformSecret, i + 1));
    this.current = this.keys[currentVersion - 1];
    this.header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: RECEIPT_TYPE, kid: this.current.kid })).toString('base64url');
  }

  /** Every published key, newest first (verifiers pick by kid). */
  jwks(): { keys: ReceiptPublicJwk[] } {
    return { keys: this.keys.map((key) => key.publicJwk).reverse() };
  }

  /** The JWKS as JSON, serialised once. */
  jwksJson(): string {
    this.jwksBody ??= JSON.stringify(this.jwks());
    return this.jwksBody;
  }

  /**
   * A compact JWS (EdDSA) of `claims` with the current key. Synchronous (node:crypto's one-shot
   * Ed25519 sign), so a receipt can be produced where it is read. Ed25519 is deterministic: the
   * same claims and key give the same receipt.
   */
  sign(claims: object): string {
    const input = `${this.header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input), this.current.privateKey).toString('base64url')}`;
  }
}
