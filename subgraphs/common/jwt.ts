// Dashboard sessions are HS256 JWTs signed with a key derived from the platform secret. Accounts
// issues them; the gateway verifies them and turns them into a principal.
import { SignJWT, jwtVerify } from 'jose';
import { deriveKey } from './secrets';

const ISSUER = 'dragonfly-market';
const AUDIENCE = 'dashboard';

export class SessionTokens {
  private readonly key: Uint8Array;
  constructor(platformSecret: string, private readonly ttlSeconds: number, private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {
    this.key = new Uint8Array(deriveKey(platformSecret, 'jwt'));
  }

  async issue(accountId: string): Promise<string> {
    const now = this.nowSeconds();
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(accountId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .sign(this.key);
  }

  /** The account id, or null for any token that is not one of ours and current. */
  async verify(token: string): Promise<string | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(this.nowSeconds() * 1000),
      });
      return typeof payload.sub === 'string' ? payload.sub : null;
    } catch {
      return null;
    }
  }
}

/** Cheap shape test used before any verification work: three base64url segments. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
