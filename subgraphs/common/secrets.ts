// Keys derived from the one platform secret, one per purpose, so that no purpose can forge another.
import { hkdfSync, createHmac, timingSafeEqual } from 'node:crypto';

export type KeyPurpose = 'jwt' | 'principal-header' | 'api-key-hash' | 'provider-key-encryption';

export function deriveKey(platformSecret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', platformSecret, 'dragonfly-market', purpose, 32));
}

export function hmacBase64Url(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Keyed hash of a credential (buyer or management key): lookups by key, no way back to it. */
export class KeyHasher {
  private readonly key: Buffer;
  constructor(platformSecret: string) {
    this.key = deriveKey(platformSecret, 'api-key-hash');
  }
  hash(rawKey: string): string {
    return hmacBase64Url(this.key, rawKey);
  }
}
