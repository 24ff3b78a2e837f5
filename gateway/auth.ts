// Credential resolution at the edge: the caller's credential becomes a principal, which the
// gateway then asserts to the subgraphs in a signed header. Each subgraph still checks what that
// principal may do with the data it owns.
import { DomainError } from '../subgraphs/common/errors';
import { looksLikeJwt, type SessionTokens } from '../subgraphs/common/jwt';
import { ANONYMOUS, type Principal } from '../subgraphs/common/principal';

export class Authenticator {
  constructor(private readonly sessions: SessionTokens) {}

  /** From an `Authorization` header value (or a bare token). No credential → anonymous. */
  async fromAuthorization(header: string | undefined | null): Promise<Principal> {
    if (header === undefined || header === null || header.trim() === '') return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
    if (!match) throw new DomainError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    const token = match[1];
    if (token.startsWith('sk-df-')) throw new DomainError('FORBIDDEN', 'A buyer key (sk-df-…) can only call the inference routes under /v1');
    if (looksLikeJwt(token)) {
      const accountId = await this.sessions.verify(token);
      if (accountId) return { kind: 'user', accountId };
    }
    throw new DomainError('UNAUTHENTICATED', 'Invalid or expired credential');
  }
}
