// Secrets the platform must be able to use again (sellers' provider keys, provider-issued keys)
// are sealed with AES-256-GCM under a key derived from the platform secret: `v1.<iv>.<tag>.<data>`.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from './secrets';

export class SecretSealer {
  private readonly key: Buffer;
  constructor(platformSecret: string) {
    this.key = deriveKey(platformSecret, 'provider-key-encryption');
  }

  seal(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** Throws when the sealed text was altered or sealed under another secret or context. */
  open(sealed: string, associatedData = ''): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** `abcd…wxyz` for any secret: enough to recognise, never enough to use. */
export function maskSecret(secret: string, visiblePrefix = 4): string {
  if (secret.length <= visiblePrefix + 8) return `${secret.slice(0, Math.min(visiblePrefix, 2))}…`;
  return `${secret.slice(0, visiblePrefix)}…${secret.slice(-4)}`;
}
