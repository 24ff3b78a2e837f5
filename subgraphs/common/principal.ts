// Who is calling, as the gateway asserts it to the subgraphs. The assertion travels in one header,
// HMAC-signed with a key derived from the platform secret and valid for a short time; a subgraph
// trusts nothing else, so a subgraph port reached directly answers nothing private.
import { deriveKey, hmacBase64Url, constantTimeEqual } from './secrets';

export type ManagementScope = 'buyer' | 'seller' | 'full';

export type Principal =
  | { kind: 'anonymous' }
  /** A person signed in to the dashboard (JWT); `sessionId` is the token's id (for signing it out). */
  | { kind: 'user'; accountId: string; sessionId?: string }
  /** Automation with a management key (`mk-…`), limited to its scope. */
  | { kind: 'management'; accountId: string; keyId: string; scope: ManagementScope }
  /** A buyer key (`sk-df-…`): inference only; admitted by the data plane, never by management routes. */
  | { kind: 'buyer-key'; accountId: string; keyId: string }
  /** The platform itself (the gateway's data plane, scheduled jobs): reads across accounts. */
  | { kind: 'service'; name: string };

export const ANONYMOUS: Principal = { kind: 'anonymous' };
export const PRINCIPAL_HEADER = 'x-df-principal';
export const REQUEST_ID_HEADER = 'x-request-id';
const VALIDITY_MS = 60_000;

export class PrincipalSigner {
  private readonly key: Buffer;
  constructor(
    platformSecret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = deriveKey(platformSecret, 'principal-header');
  }

  /** `clientAddress`: the caller's address as the gateway saw it (accounts throttles sign-in by it). */
  sign(principal: Principal, clientAddress?: string): string {
    const body = Buffer.from(
      JSON.stringify({ p: principal, exp: this.now() + VALIDITY_MS, ...(clientAddress ? { a: clientAddress } : {}) }),
    ).toString('base64url');
    return `${body}.${hmacBase64Url(this.key, body)}`;
  }

  /** The asserted principal, or null when the header is absent, forged, malformed or expired. */
  verify(header: string | string[] | undefined): Principal | null {
    return this.verifyAssertion(header)?.principal ?? null;
  }

  /** The principal and the client address asserted with it (signed together), or null as for `verify`. */
  verifyAssertion(header: string | string[] | undefined): { principal: Principal; clientAddress?: string } | null {
    if (typeof header !== 'string') return null;
    const dot = header.indexOf('.');
    if (dot <= 0) return null;
    const body = header.slice(0, dot);
    if (!constantTimeEqual(header.slice(dot + 1), hmacBase64Url(this.key, body))) return null;
    try {
      const { p, exp, a } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      if (typeof exp !== 'number' || exp < this.now()) return null;
      if (!isPrincipal(p)) return null;
      return typeof a === 'string' && a.length > 0 && a.length <= 64 ? { principal: p, clientAddress: a } : { principal: p };
    } catch {
      return null;
    }
  }
}

function isPrincipal(value: unknown): value is Principal {
  if (!value || typeof value !== 'object') return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'anonymous' || kind === 'user' || kind === 'management' || kind === 'buyer-key' || kind === 'service';
}

/** The account a principal acts for, if any. */
export function accountOf(principal: Principal): string | null {
  return 'accountId' in principal ? principal.accountId : null;
}
