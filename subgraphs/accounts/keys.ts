// Secret key material for buyer keys: generation, keyed hashing, masking. The raw key exists only
// in the response that creates it.
import { randomBytes } from 'node:crypto';
export { KeyHasher } from '../common/secrets';

export const BUYER_KEY_PREFIX = 'sk-df-';
export const MANAGEMENT_KEY_PREFIX = 'mk-';
/** Every key is its prefix and 43 URL-safe characters (32 random bytes). */
export const KEY_BODY_LENGTH = 43;

/** `sk-df-` + 43 URL-safe characters (256 bits of randomness). */
export function generateBuyerKey(): string {
  return BUYER_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** `mk-` + 43 URL-safe characters (256 bits of randomness). */
export function generateManagementKey(): string {
  return MANAGEMENT_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function keyPrefix(rawKey: string): string {
  return rawKey.slice(0, BUYER_KEY_PREFIX.length + 4);
}

/** `sk-df-Ab3d…x9Qz`: enough to recognise, far too little to use. */
export function maskKey(rawKey: string, visiblePrefix: number): string {
  return `${rawKey.slice(0, visiblePrefix + 4)}…${rawKey.slice(-4)}`;
}
