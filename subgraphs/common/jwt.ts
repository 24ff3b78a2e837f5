// Dashboard sessions are HS256 JWTs signed with a key derived from the platform secret. Accounts
// issues them; the gateway verifies them and turns them into a principal. Each token carries its
// own id (`jti`, so one session can be signed out) and the account's session generation (`gen`,
// so "sign out everywhere" refuses every token issued before it).
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { deriveKey } from './secrets';

const ISSUER = 'dragonfly-market';
const AUDIENCE = 'dashboard';

export interface SessionClaims {
  accountId: string;
  /** The token's own id (`jti`). */
  sessionId: string;
  /** The account's session generation when the token was issued (`gen`). */
  generation: number;
  /** Expiry, seconds since the epoch (`exp`). */
  expiresAt: number;
}

export class SessionTokens {
  private readonly key: Uint8Array;
  constructor(
    platformSecret: string,
    readonly ttlSeconds: number,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.key = new Uint8Array(deriveKey(platformSecret, 'jwt'));
  }

  async issue(accountId: string, generation = 0): Promise<string> {
    const now = this.nowSeconds();
    return new SignJWT({ gen: generation })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(accountId)
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .sign(this.key);
  }

  /**
   * The session's claims, or null for any token that is not one of ours and current. `exp`, `jti`
   * and `gen` are required: jose only checks `exp` when present, and a token without it would never
   * end; one without `jti`/`gen` could not be signed out.
   */
  async verifySession(token: string): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        currentDate: new Date(this.nowSeconds() * 1000),
      });
      const { sub, jti, gen, exp } = payload;
      if (typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || jti === '' || jti.length > 64) return null;
      if (typeof gen !== 'number' || !Number.isSafeInteger(gen) || gen < 0 || typeof exp !== 'number') return null;
      return { accountId: sub, sessionId: jti, generation: gen, expiresAt: exp };
    } catch {
      return null;
    }
  }

  /** The account id, or null for any token that is not one of ours and current. */
  async verify(token: string): Promise<string | null> {
    return (await this.verifySession(token))?.accountId ?? null;
  }
}

/** Cheap shape test used before any verification work: three base64url segments. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
