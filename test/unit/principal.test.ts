import { describe, expect, it } from 'vitest';
import { PrincipalSigner } from '../../subgraphs/common/principal';
import { SessionTokens } from '../../subgraphs/common/jwt';
import { deriveKey } from '../../subgraphs/common/secrets';

const SECRET = 'x'.repeat(48);

describe('signed principal header', () => {
  const signer = new PrincipalSigner(SECRET);

  it('round-trips every principal kind', () => {
    for (const principal of [
      { kind: 'anonymous' },
      { kind: 'user', accountId: 'a1' },
      { kind: 'management', accountId: 'a1', keyId: 'k1', scope: 'seller' },
      { kind: 'buyer-key', accountId: 'a1', keyId: 'k2' },
      { kind: 'service', name: 'gateway' },
    ] as const) {
      expect(signer.verify(signer.sign(principal))).toEqual(principal);
    }
  });

  it('refuses absent, malformed, tampered, foreign and expired headers', () => {
    const header = signer.sign({ kind: 'user', accountId: 'a1' });
    const [body, mac] = header.split('.');
    const tamperedBody = Buffer.from(JSON.stringify({ p: { kind: 'user', accountId: 'a2' }, exp: Date.now() + 60_000 })).toString(
      'base64url',
    );
    expect(signer.verify(undefined)).toBeNull();
    expect(signer.verify(['a', 'b'])).toBeNull();
    expect(signer.verify('')).toBeNull();
    expect(signer.verify(body)).toBeNull();
    expect(signer.verify(`${tamperedBody}.${mac}`)).toBeNull();
    expect(signer.verify(`${body}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(new PrincipalSigner('y'.repeat(48)).verify(header)).toBeNull();
    expect(new PrincipalSigner(SECRET, () => Date.now() + 120_000).verify(header)).toBeNull();
  });

  it('refuses a signed body that is not a principal', () => {
    const odd = new PrincipalSigner(SECRET);
    const header = odd.sign({ kind: 'nobody' } as never);
    expect(signer.verify(header)).toBeNull();
  });
});

describe('derived keys', () => {
  it('differ per purpose and per secret', () => {
    const a = deriveKey(SECRET, 'jwt');
    expect(a).toHaveLength(32);
    expect(deriveKey(SECRET, 'principal-header').equals(a)).toBe(false);
    expect(deriveKey('z'.repeat(48), 'jwt').equals(a)).toBe(false);
    expect(deriveKey(SECRET, 'jwt').equals(a)).toBe(true);
  });
});

describe('dashboard session tokens', () => {
  it('verify their own tokens and nothing else', async () => {
    const tokens = new SessionTokens(SECRET, 3600);
    const token = await tokens.issue('acc-1');
    expect(await tokens.verify(token)).toBe('acc-1');
    expect(await new SessionTokens('q'.repeat(48), 3600).verify(token)).toBeNull();
    expect(await tokens.verify(token.slice(0, -2) + 'xx')).toBeNull();
    expect(await tokens.verify('not.a.jwt')).toBeNull();
  });

  it('expire', async () => {
    const now = Math.floor(Date.now() / 1000);
    const issuer = new SessionTokens(SECRET, 60, () => now);
    const token = await issuer.issue('acc-1');
    expect(await new SessionTokens(SECRET, 60, () => now + 61).verify(token)).toBeNull();
  });
});
