// Credential resolution at the edge: the caller's credential becomes a principal, which the
// gateway then asserts to the subgraphs in a signed header. Each subgraph still checks what that
// principal may do with the data it owns; each REST surface checks which kinds it accepts.
import { DomainError } from '../subgraphs/common/errors';
import { looksLikeJwt, type SessionTokens } from '../subgraphs/common/jwt';
import { ANONYMOUS, type ManagementScope, type Principal } from '../subgraphs/common/principal';
import type { KeyHasher } from '../subgraphs/common/secrets';

export type CredentialKind = 'none' | 'jwt' | 'buyer-key' | 'management-key' | 'unknown';

/** What the caller presented, by shape alone (before any verification). */
export function credentialKind(header: string | undefined | null): CredentialKind {
  const token = bearerToken(header);
  if (token === null) return header && header.trim() !== '' ? 'unknown' : 'none';
  if (token.startsWith('sk-df-')) return 'buyer-key';
  if (token.startsWith('mk-')) return 'management-key';
  return looksLikeJwt(token) ? 'jwt' : 'unknown';
}

function bearerToken(header: string | undefined | null): string | null {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header.trim()) : null;
  return match ? match[1] : null;
}

export interface ManagementCredential {
  keyId: string;
  accountId: string;
  scope: ManagementScope;
  enabled: boolean;
}

export class Authenticator {
  constructor(
    private readonly sessions: SessionTokens,
    private readonly keyHasher: KeyHasher,
    /** Looks a management key up by its hash (accounts owns them). Not cached: enable/disable apply at once. */
    private readonly findManagementKey: (keyHash: string) => Promise<ManagementCredential | null>,
  ) {}

  /** From an `Authorization` header value. No credential → anonymous. */
  async fromAuthorization(header: string | undefined | null): Promise<Principal> {
    if (header === undefined || header === null || header.trim() === '') return ANONYMOUS;
    const token = bearerToken(header);
    if (!token) throw new DomainError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    if (token.startsWith('sk-df-')) throw new DomainError('FORBIDDEN', 'A buyer key (sk-df-…) can only call the inference routes under /v1');
    if (token.startsWith('mk-')) {
      const credential = token.length <= 100 ? await this.findManagementKey(this.keyHasher.hash(token)) : null;
      if (!credential || !credential.enabled) throw new DomainError('UNAUTHENTICATED', 'Invalid, deleted or disabled management key');
      // Over GraphQL the scope arrives as its enum name (BUYER); principals carry the value (buyer).
      const scope = String(credential.scope).toLowerCase() as ManagementScope;
      return { kind: 'management', accountId: credential.accountId, keyId: credential.keyId, scope };
    }
    if (looksLikeJwt(token)) {
      const accountId = await this.sessions.verify(token);
      if (accountId) return { kind: 'user', accountId };
    }
    throw new DomainError('UNAUTHENTICATED', 'Invalid or expired credential');
  }
}
