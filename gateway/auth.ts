// Credential resolution at the edge: the caller's credential becomes a principal, which the
// gateway then asserts to the subgraphs in a signed header. Each subgraph still checks what that
// principal may do with the data it owns; each REST surface checks which kinds it accepts.
import { DomainError } from '../subgraphs/common/errors';
import type { EventBus } from '../subgraphs/common/bus';
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

/** What accounts says a dashboard token of an account must match (null: no such account). */
export interface SessionState {
  accountId: string;
  generation: number;
  revokedSessionIds: string[];
}

interface CachedSession {
  generation: number;
  revoked: ReadonlySet<string>;
}

/** SESSION_CACHE_TTL_MS (60000): how long a gateway trusts its cached session state without an event. */
export function sessionCacheTtlMs(env: Readonly<Record<string, string | undefined>>): number {
  const value = env.SESSION_CACHE_TTL_MS;
  return value && /^\d+$/.test(value) ? Number(value) : 60_000;
}

/**
 * Each account's session state (does it exist, its session generation, its signed-out tokens),
 * so that checking a dashboard token costs no database read: loaded once, then dropped at once
 * by `account.sessions-revoked`. The TTL bounds how stale an entry can be if an event is lost
 * (Redis pub/sub does not replay) or an account is removed outside the API.
 */
export class SessionStateCache {
  private readonly entries = new Map<string, { value: CachedSession | null; loadedAt: number }>();
  private readonly loading = new Map<string, Promise<CachedSession | null>>();
  /** Bumped by every drop: a load that started before one does not store what it read. */
  private epoch = 0;
  /** Look-ups that went to accounts (tests assert it stays flat under load). */
  loads = 0;

  constructor(
    private readonly load: (accountId: string) => Promise<SessionState | null>,
    private readonly options: { ttlMs: number; maxEntries?: number; now?: () => number } = { ttlMs: 60_000 },
  ) {}

  /** Drops the cache of these accounts when accounts announces a change. Returns the unsubscribe. */
  follow(bus: EventBus): () => void {
    const unsubscribe = bus.subscribe('account.sessions-revoked', (event) => this.forget(event.accountId));
    // A sign-out missed while the bus was down must not wait for the TTL.
    const unfollowGaps = bus.onGap(() => this.forgetAll());
    return () => {
      unsubscribe();
      unfollowGaps();
    };
  }

  forgetAll(): void {
    this.epoch++;
    this.entries.clear();
    this.loading.clear();
  }

  forget(accountId: string): void {
    this.epoch++;
    this.entries.delete(accountId);
    this.loading.delete(accountId);
  }

  async get(accountId: string): Promise<CachedSession | null> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.entries.get(accountId);
    if (cached && now - cached.loadedAt < this.options.ttlMs) return cached.value;
    let pending = this.loading.get(accountId);
    if (!pending) {
      const epoch = this.epoch;
      this.loads++;
      pending = this.load(accountId)
        .then((state) => {
          const value = state ? { generation: state.generation, revoked: new Set(state.revokedSessionIds) } : null;
          if (this.epoch === epoch) this.store(accountId, value, now);
          return value;
        })
        .finally(() => {
          if (this.loading.get(accountId) === pending) this.loading.delete(accountId);
        });
      this.loading.set(accountId, pending);
    }
    return pending;
  }

  private store(accountId: string, value: CachedSession | null, now: number): void {
    const max = this.options.maxEntries ?? 100_000;
    if (this.entries.size >= max) {
      // Oldest first (insertion order): a tenth at a time keeps this rare.
      let drop = Math.ceil(max / 10);
      for (const key of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(key);
      }
    }
    this.entries.delete(accountId);
    this.entries.set(accountId, { value, loadedAt: now });
  }
}

export class Authenticator {
  constructor(
    private readonly sessions: SessionTokens,
    private readonly keyHasher: KeyHasher,
    /** Looks a management key up by its hash (accounts owns them). Not cached: enable/disable apply at once. */
    private readonly findManagementKey: (keyHash: string) => Promise<ManagementCredential | null>,
    /** Session state per account; without it (unit tests) a valid signature is enough. */
    readonly sessionStates?: SessionStateCache,
  ) {}

  /** From an `Authorization` header value. No credential → anonymous. */
  async fromAuthorization(header: string | undefined | null): Promise<Principal> {
    if (header === undefined || header === null || header.trim() === '') return ANONYMOUS;
    const token = bearerToken(header);
    if (!token) throw new DomainError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    if (token.startsWith('sk-df-'))
      throw new DomainError('FORBIDDEN', 'A buyer key (sk-df-…) can only call the inference routes under /v1');
    if (token.startsWith('mk-')) {
      const credential = token.length <= 100 ? await this.findManagementKey(this.keyHasher.hash(token)) : null;
      if (!credential || !credential.enabled) throw new DomainError('UNAUTHENTICATED', 'Invalid, deleted or disabled management key');
      if (this.sessionStates && !(await this.sessionStates.get(credential.accountId)))
        throw new DomainError('UNAUTHENTICATED', 'The account of this management key no longer exists');
      // Over GraphQL the scope arrives as its enum name (BUYER); principals carry the value (buyer).
      const scope = String(credential.scope).toLowerCase() as ManagementScope;
      return { kind: 'management', accountId: credential.accountId, keyId: credential.keyId, scope };
    }
    if (looksLikeJwt(token) && token.length <= 4096) {
      const claims = await this.sessions.verifySession(token);
      if (claims) {
        if (this.sessionStates) {
          const state = await this.sessionStates.get(claims.accountId);
          if (!state) throw new DomainError('UNAUTHENTICATED', 'The account of this session no longer exists');
          if (claims.generation !== state.generation || state.revoked.has(claims.sessionId))
            throw new DomainError('UNAUTHENTICATED', 'This session has been signed out; sign in again');
        }
        return { kind: 'user', accountId: claims.accountId, sessionId: claims.sessionId };
      }
    }
    throw new DomainError('UNAUTHENTICATED', 'Invalid or expired credential');
  }
}
