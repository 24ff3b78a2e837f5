// NaaP's brokered billing-provider login: /api/v1/auth/providers/:slug/{start,redirect,callback,result}.
// A thin adapter over billing's provider-login operations; the flow's rules (PKCE, state, the
// 10-minute TTL, single redemption, the browser binding, the redirect allow-list) live in billing.
// The adapter keeps billing's browser binding in a cookie and builds the callback URL from the
// configured public base URL, never from the request's Host header.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ProviderLoginCallbackDocument,
  ProviderLoginRedirectDocument,
  ProviderLoginResultDocument,
  ProviderLoginStartDocument,
} from '../../schema/generated/graphql';
import { isDomainError } from '../../subgraphs/common/errors';
import { ANONYMOUS, type Principal } from '../../subgraphs/common/principal';
import { publicBaseUrl } from '../../subgraphs/billing/settings';
import type { GatewayApi } from '../gateway-api';
import { restErrorFrom, restErrorFromFastify, type RestError } from './graphql-errors';
import * as oa from './openapi-schemas';
import { errorBody } from './envelopes';

const NAAP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};
/** NaaP: at most 5 login starts a minute (per client address). */
const STARTS_PER_MINUTE = 5;

function sendError(reply: FastifyReply, error: RestError) {
  return reply.code(error.status).send(errorBody.naap(NAAP_CODES[error.status] ?? 'INTERNAL_ERROR', error.message));
}

const COOKIE_PATH = '/api/v1/auth/providers';

/** One cookie per provider, so logins with two providers in one browser do not clash. */
function cookieName(slug: string): string {
  return `naap_login_${slug.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function cookie(request: FastifyRequest, name: string): string {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return '';
}

function query(request: FastifyRequest, name: string): string | null {
  const value = (request.query as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
}

// ---- documentation (GET /openapi.json) ----

const documented = oa.surfaceOperations('NaaP', 'NaapError', []);
const slugParam = { slug: oa.str('Billing provider slug (GET /api/v1/billing-providers)') };
const loginSessionQuery = { login_session_id: oa.str('From POST …/start', { maxLength: 200 }) };

export async function naapOAuthRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) =>
    sendError(reply, restErrorFromFastify(error)),
  );
  const base = '/api/v1/auth/providers/:slug';
  const slugOf = (request: FastifyRequest) => (request.params as { slug: string }).slug;
  const publicBase = publicBaseUrl(gateway.config.env);
  const secure = publicBase.startsWith('https://') || gateway.config.nodeEnv === 'production';
  // Lax: the provider's redirect back to the callback is a top-level navigation, which carries it.
  const setBinding = (reply: FastifyReply, slug: string, value: string, maxAge: number) =>
    reply.header(
      'set-cookie',
      `${cookieName(slug)}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
    );

  app.post(
    `${base}/start`,
    {
      schema: documented({
        operationId: 'naapProviderLoginStart',
        summary: 'Start a billing-provider login',
        description: `Sets the browser-binding cookie. At most ${STARTS_PER_MINUTE} starts a minute per client address. A dashboard session, if sent, links the login to the account.`,
        security: ['dashboardSession'],
        optionalAuth: true,
        params: slugParam,
        ok: oa.object({ login_session_id: oa.str(), expires_in: oa.int('Seconds (10 minutes)'), poll_after_ms: oa.int() }),
      }),
    },
    async (request, reply) => {
      let principal: Principal = ANONYMOUS;
      try {
        principal = await gateway.authenticator.fromAuthorization(request.headers.authorization);
      } catch (error) {
        if (isDomainError(error))
          return sendError(reply, { status: error.code === 'FORBIDDEN' ? 403 : 401, code: error.code, message: error.message });
        throw error;
      }
      const decision = await gateway.rateLimiter
        .hit(`oauth-start:${request.ip}`, STARTS_PER_MINUTE, 60_000)
        .catch(() => ({ allowed: true, retryAfterSeconds: 0 }));
      if (!decision.allowed) {
        reply.header('retry-after', String(decision.retryAfterSeconds));
        return sendError(reply, { status: 429, code: 'RATE_LIMITED', message: `At most ${STARTS_PER_MINUTE} logins may start a minute` });
      }
      const slug = slugOf(request);
      const redirectUri = `${publicBase}${COOKIE_PATH}/${encodeURIComponent(slug)}/callback`;
      const result = await gateway.run(ProviderLoginStartDocument, { slug, redirectUri }, principal, String(request.id));
      if (!result.data) return sendError(reply, restErrorFrom(result.errors ?? []));
      const started = result.data.startProviderLogin;
      setBinding(reply, slug, started.browserBinding, started.expiresIn);
      return reply.send({ login_session_id: started.loginSessionId, expires_in: started.expiresIn, poll_after_ms: started.pollAfterMs });
    },
  );

  app.get(
    `${base}/redirect`,
    {
      schema: documented({
        operationId: 'naapProviderLoginRedirect',
        summary: "Redirect the browser to the provider's consent page",
        params: slugParam,
        query: loginSessionQuery,
        requiredQuery: ['login_session_id'],
        status: 302,
        ok: oa.object({}, [], { description: "Location: the provider's authorization URL" }),
        okDescription: 'Redirect to the provider',
      }),
    },
    async (request, reply) => {
      const loginSessionId = query(request, 'login_session_id');
      if (!loginSessionId) return sendError(reply, { status: 400, code: 'BAD_REQUEST', message: 'login_session_id is required' });
      const result = await gateway.run(
        ProviderLoginRedirectDocument,
        { slug: slugOf(request), loginSessionId },
        ANONYMOUS,
        String(request.id),
      );
      if (!result.data) return sendError(reply, restErrorFrom(result.errors ?? []));
      return reply.redirect(result.data.providerLoginRedirect, 302);
    },
  );

  app.get(
    `${base}/callback`,
    {
      schema: documented({
        operationId: 'naapProviderLoginCallback',
        summary: "The provider's redirect back (a page for the browser)",
        params: slugParam,
        query: {
          state: oa.str('OAuth state', { maxLength: 200 }),
          code: oa.str('Authorization code', { maxLength: 200 }),
          error: oa.str("The provider's error", { maxLength: 200 }),
        },
        requiredQuery: ['state'],
        ok: oa.str('A short HTML page'),
        okMediaType: 'text/html',
      }),
    },
    async (request, reply) => {
      const state = query(request, 'state');
      if (!state) return sendError(reply, { status: 400, code: 'BAD_REQUEST', message: 'state is required' });
      const slug = slugOf(request);
      const browserBinding = cookie(request, cookieName(slug));
      const result = await gateway.run(
        ProviderLoginCallbackDocument,
        { slug, state, code: query(request, 'code'), error: query(request, 'error'), browserBinding },
        ANONYMOUS,
        String(request.id),
      );
      if (!result.data) return sendError(reply, restErrorFrom(result.errors ?? []));
      const status = result.data.completeProviderLogin;
      const text =
        status === 'complete' ? 'Signed in. You can close this window.' : `Sign-in ${status}. You can close this window and try again.`;
      return reply
        .code(status === 'complete' ? 200 : 400)
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><meta charset="utf-8"><title>Sign-in</title><p>${text}</p>`);
    },
  );

  app.get(
    `${base}/result`,
    {
      schema: documented({
        operationId: 'naapProviderLoginResult',
        summary: 'Redeem a completed provider login (once)',
        params: slugParam,
        query: loginSessionQuery,
        requiredQuery: ['login_session_id'],
        ok: oa.object(
          {
            status: oa.str('pending, complete, denied, expired, …'),
            access_token: oa.str('The provider-issued key, when complete'),
            user_id: oa.str(),
            expires_in: oa.int(),
          },
          ['status'],
        ),
      }),
    },
    async (request, reply) => {
      const loginSessionId = query(request, 'login_session_id');
      if (!loginSessionId) return sendError(reply, { status: 400, code: 'BAD_REQUEST', message: 'login_session_id is required' });
      const slug = slugOf(request);
      const result = await gateway.run(
        ProviderLoginResultDocument,
        { slug, loginSessionId, browserBinding: cookie(request, cookieName(slug)) },
        ANONYMOUS,
        String(request.id),
      );
      if (!result.data) return sendError(reply, restErrorFrom(result.errors ?? []));
      const login = result.data.redeemProviderLogin;
      reply.header('cache-control', 'no-store');
      if (login.status === 'complete' && login.accessToken)
        return reply.send({ status: 'complete', access_token: login.accessToken, user_id: login.userId, expires_in: login.expiresIn });
      return reply.send({ status: login.status });
    },
  );
}
