// The brokered provider login (NaaP's /api/v1/auth/providers/:slug/…): start → redirect to the
// provider with state and a PKCE challenge → callback exchanges the code for the provider's token
// (sealed) → the client collects the token once (then the session is redeemed). Sessions live 10
// minutes. Each session is bound to the browser that started it: start hands out a binding (the
// session id sealed under the platform's key) that the gateway keeps in a cookie, and the callback
// and the result refuse a request that does not carry it, so a leaked session id or state is useless
// elsewhere. The provider may only send the code back to an allow-listed redirect URI.
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/knex';
import type { Clock } from '../../common/runtime';
import type { SecretSealer } from '../../common/sealing';
import { badInput, forbidden, notFound } from '../../common/errors';
import { accountOf, type Principal } from '../../common/principal';
import { billingProviderById, BILLING_PROVIDERS } from '../../common/billing-providers';
import { ProviderLoginSession, type ProviderLoginStatus } from '../entities/ProviderLoginSession';
import type { OAuthProviderConfig } from '../oauth-providers';

export const LOGIN_TTL_SECONDS = 600;
export const POLL_AFTER_MS = 2000;

export interface ProviderLoginDeps {
  clock: Clock;
  sealer: SecretSealer;
  providers: Map<string, OAuthProviderConfig>;
  /** The token exchange (an HTTP call to the provider); injectable for tests. */
  fetch: typeof fetch;
  /** URL prefixes the redirect URI must start with (OAUTH_REDIRECT_ALLOWLIST). */
  redirectAllowlist: readonly string[];
}

export class ProviderLoginService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: ProviderLoginDeps,
  ) {}

  async start(
    principal: Principal,
    slug: string,
    redirectUri: string,
  ): Promise<{ loginSessionId: string; browserBinding: string; expiresIn: number; pollAfterMs: number }> {
    this.provider(slug);
    if (!/^https?:\/\//.test(redirectUri) || redirectUri.length > 500 || !URL.canParse(redirectUri))
      throw badInput('redirectUri must be an http(s) URL', { field: 'redirectUri' });
    // The provider sends the code (and the browser) there: only to the platform's own addresses.
    if (!this.deps.redirectAllowlist.some((prefix) => onPrefix(redirectUri, prefix)))
      throw badInput('redirectUri is not on the allow-list', { field: 'redirectUri' });
    const now = this.deps.clock.now();
    const id = randomBytes(24).toString('base64url');
    const session = this.em.create(ProviderLoginSession, {
      id,
      providerSlug: slug,
      accountId: accountOf(principal),
      state: randomBytes(24).toString('base64url'),
      codeVerifierSealed: this.deps.sealer.seal(randomBytes(48).toString('base64url'), `login:${id}`),
      redirectUri,
      status: 'pending',
      createdAt: now,
      expiresAt: new Date(now.getTime() + LOGIN_TTL_SECONDS * 1000),
    });
    await this.em.flush();
    return {
      loginSessionId: session.id,
      browserBinding: this.deps.sealer.seal(session.id, `login-binding:${session.id}`),
      expiresIn: LOGIN_TTL_SECONDS,
      pollAfterMs: POLL_AFTER_MS,
    };
  }

  /** Where to send the browser: the provider's authorize URL with state and the PKCE challenge. */
  async redirect(slug: string, loginSessionId: string): Promise<string> {
    const provider = this.provider(slug);
    const session = await this.live(slug, loginSessionId);
    if (session.status !== 'pending') throw badInput(`this login is ${session.status}`, { field: 'login_session_id' });
    const verifier = this.deps.sealer.open(session.codeVerifierSealed, `login:${session.id}`);
    const url = new URL(provider.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', provider.clientId);
    url.searchParams.set('redirect_uri', session.redirectUri);
    url.searchParams.set('state', session.state);
    url.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    if (provider.scope) url.searchParams.set('scope', provider.scope);
    return url.toString();
  }

  /** The provider's callback: exchange the code (once) and keep the token sealed. */
  async complete(
    slug: string,
    state: string,
    code: string | null,
    error: string | null,
    browserBinding: string,
  ): Promise<ProviderLoginStatus> {
    const provider = this.provider(slug);
    const session = await this.em.findOne(ProviderLoginSession, { state, providerSlug: slug });
    if (!session) throw notFound('Login session');
    this.assertBound(session, browserBinding);
    if (this.expired(session)) return this.mark(session, 'expired');
    if (session.status !== 'pending') throw badInput(`this login is ${session.status}`, { field: 'state' });
    if (error || !code) return this.mark(session, 'failed', error ?? 'the provider sent no code');
    session.status = 'processing';
    await this.em.flush();
    try {
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: session.redirectUri,
        client_id: provider.clientId,
        code_verifier: this.deps.sealer.open(session.codeVerifierSealed, `login:${session.id}`),
      });
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (provider.clientSecret)
        headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(provider.clientId)}:${encodeURIComponent(provider.clientSecret)}`).toString('base64')}`;
      const response = await this.deps.fetch(provider.tokenUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      const token = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; user_id?: string };
      if (!response.ok || typeof token.access_token !== 'string')
        return this.mark(session, 'failed', `the provider refused the code (${response.status})`);
      session.accessTokenSealed = this.deps.sealer.seal(token.access_token, `login:${session.id}`);
      session.tokenExpiresIn = typeof token.expires_in === 'number' ? token.expires_in : null;
      session.providerUserId = token.user_id ?? subjectOf(token.access_token);
      return this.mark(session, 'complete');
    } catch {
      return this.mark(session, 'failed', 'the provider could not be reached');
    }
  }

  /** The login's status; once complete, the token itself, exactly once (the session is then redeemed). */
  async result(
    slug: string,
    loginSessionId: string,
    browserBinding: string,
  ): Promise<{ status: ProviderLoginStatus; accessToken?: string; userId?: string | null; expiresIn?: number | null }> {
    this.provider(slug);
    const session = await this.em.findOne(ProviderLoginSession, { id: loginSessionId, providerSlug: slug });
    if (!session) throw notFound('Login session');
    this.assertBound(session, browserBinding);
    if (session.status !== 'complete' && session.status !== 'redeemed' && this.expired(session))
      return { status: await this.mark(session, 'expired') };
    if (session.status !== 'complete') return { status: session.status };
    const accessToken = this.deps.sealer.open(session.accessTokenSealed!, `login:${session.id}`);
    session.status = 'redeemed';
    session.accessTokenSealed = null;
    await this.em.flush();
    return { status: 'complete', accessToken, userId: session.providerUserId ?? null, expiresIn: session.tokenExpiresIn ?? null };
  }

  private provider(slug: string): OAuthProviderConfig {
    const entry = BILLING_PROVIDERS.find((p) => p.slug === slug);
    const config = this.deps.providers.get(slug);
    if (!entry || !billingProviderById(entry.id) || entry.authType !== 'oauth' || !config)
      throw notFound(`OAuth billing provider "${String(slug).slice(0, 40)}"`);
    return config;
  }

  private async live(slug: string, id: string): Promise<ProviderLoginSession> {
    const session = await this.em.findOne(ProviderLoginSession, { id, providerSlug: slug });
    if (!session) throw notFound('Login session');
    if (this.expired(session) && session.status === 'pending') {
      await this.mark(session, 'expired');
      throw badInput('this login has expired; start again', { field: 'login_session_id' });
    }
    return session;
  }

  /** The binding must be this session's own: sealed by this platform for exactly this session id. */
  private assertBound(session: ProviderLoginSession, browserBinding: string): void {
    let bound = false;
    try {
      bound = browserBinding.length <= 500 && this.deps.sealer.open(browserBinding, `login-binding:${session.id}`) === session.id;
    } catch {
      bound = false;
    }
    if (!bound) throw forbidden('This login was started in another browser');
  }

  private expired(session: ProviderLoginSession): boolean {
    return new Date(session.expiresAt).getTime() <= this.deps.clock.now().getTime();
  }

  private async mark(session: ProviderLoginSession, status: ProviderLoginStatus, failure?: string): Promise<ProviderLoginStatus> {
    session.status = status;
    if (failure) session.failure = failure.slice(0, 200);
    await this.em.flush();
    return status;
  }
}

/** `url` lies under `prefix`: same origin, and the path continues the prefix's at a segment boundary. */
function onPrefix(url: string, prefix: string): boolean {
  if (!URL.canParse(prefix)) return false;
  const target = new URL(url);
  const allowed = new URL(prefix);
  if (target.origin !== allowed.origin || target.username || target.password) return false;
  const base = allowed.pathname;
  return target.pathname === base || target.pathname.startsWith(base.endsWith('/') ? base : `${base}/`);
}

/** The `sub` claim of a JWT access token, read without verification (it only labels the login). */
function subjectOf(token: string): string | null {
  const [, payload] = token.split('.');
  if (!payload) return null;
  try {
    const sub = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}
