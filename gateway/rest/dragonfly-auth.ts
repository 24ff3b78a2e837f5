// Dragonfly dashboard sessions: POST /api/auth/signup, /api/auth/login, /api/auth/logout (this
// session) and /api/auth/logout-all (every session of the account). A thin adapter: the rules
// (email shape, password policy, uniqueness, sign-in throttling) live in the accounts subgraph, so
// REST and GraphQL share them and their counters; the client address travels with the principal.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LoginDocument, LogoutDocument, LogoutEverywhereDocument, SignupDocument } from '../../schema/generated/graphql';
import { isDomainError } from '../../subgraphs/common/errors';
import { ANONYMOUS, type Principal } from '../../subgraphs/common/principal';
import { credentialKind } from '../auth';
import type { GatewayApi } from '../gateway-api';
import { managementRateLimit } from './common';
import { restErrorFrom, restErrorFromFastify, type RestError } from './graphql-errors';
import * as oa from './openapi-schemas';
import { errorBody } from './envelopes';

export { authRateLimits } from '../../subgraphs/accounts/throttle';

export function sendDragonflyError(reply: import('fastify').FastifyReply, error: RestError) {
  return reply.code(error.status).send(errorBody.dragonfly(error.code, error.message, error.details));
}

function asObject(body: unknown): Record<string, unknown> | null {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** A GraphQL error as the Dragonfly envelope; a throttled attempt also gets its Retry-After. */
function sendGraphQLErrors(reply: FastifyReply, errors: Parameters<typeof restErrorFrom>[0]) {
  const error = restErrorFrom(errors);
  const retryAfter = error.details?.retryAfterSeconds;
  if (error.status === 429 && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return sendDragonflyError(reply, error);
}

/** Signing out takes the dashboard session itself (a management key has no session to end). */
async function sessionOf(gateway: GatewayApi, request: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
  const header = request.headers.authorization;
  const kind = credentialKind(header);
  if (kind === 'none') {
    sendDragonflyError(reply, { status: 401, code: 'UNAUTHENTICATED', message: 'Authorization: Bearer <dashboard JWT> is required' });
    return null;
  }
  if (kind === 'buyer-key' || kind === 'management-key') {
    sendDragonflyError(reply, { status: 403, code: 'FORBIDDEN', message: 'Signing out takes a dashboard session (JWT), not a key' });
    return null;
  }
  let principal: Principal;
  try {
    principal = await gateway.authenticator.fromAuthorization(header);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    sendDragonflyError(reply, { status: error.code === 'FORBIDDEN' ? 403 : 401, code: error.code, message: error.message });
    return null;
  }
  if (principal.kind !== 'user') {
    sendDragonflyError(reply, { status: 401, code: 'UNAUTHENTICATED', message: 'Invalid or expired credential' });
    return null;
  }
  const rate = await managementRateLimit(gateway, principal, 'dragonfly');
  if (!rate.allowed) {
    reply.header('retry-after', String(rate.retryAfterSeconds));
    sendDragonflyError(reply, {
      status: 429,
      code: 'RATE_LIMITED',
      message: 'Too many requests; retry later',
      details: { retryAfterSeconds: rate.retryAfterSeconds },
    });
    return null;
  }
  return principal;
}

// ---- documentation (GET /openapi.json) ----

const documented = oa.surfaceOperations('Dragonfly', 'DragonflyError', []);
const session = oa.object(
  {
    token: oa.str('Dashboard session JWT: send as Authorization: Bearer <token>'),
    account: oa.object({ id: oa.str(), email: oa.str(), name: oa.nullable(oa.str()) }),
  },
  ['token', 'account'],
);
const credentials = { email: oa.str('Email address', { format: 'email' }), password: oa.str('Password (the account policy applies)') };

export async function dragonflyAuthRoutes(app: FastifyInstance, gateway: GatewayApi) {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) =>
    sendDragonflyError(reply, restErrorFromFastify(error)),
  );

  app.post(
    '/api/auth/signup',
    {
      schema: documented({
        operationId: 'dragonflySignup',
        summary: 'Sign up (create an account and a session)',
        body: oa.object({ ...credentials, name: oa.str('Display name') }, ['email', 'password']),
        status: 201,
        ok: session,
      }),
    },
    async (request, reply) => {
      const body = asObject(request.body);
      if (!body) return sendDragonflyError(reply, { status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
      const result = await gateway.run(
        SignupDocument,
        { input: { email: body.email as string, password: body.password as string, name: body.name as string | undefined } },
        ANONYMOUS,
        String(request.id),
        request.ip,
      );
      if (result.errors?.length || !result.data) return sendGraphQLErrors(reply, result.errors ?? []);
      return reply.code(201).send(result.data.signup);
    },
  );

  app.post(
    '/api/auth/login',
    {
      schema: documented({
        operationId: 'dragonflyLogin',
        summary: 'Sign in (a dashboard session)',
        description: 'Attempts are throttled per account and client address (429 with Retry-After).',
        body: oa.object(credentials, ['email', 'password']),
        ok: session,
      }),
    },
    async (request, reply) => {
      const body = asObject(request.body);
      if (!body) return sendDragonflyError(reply, { status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
      const result = await gateway.run(
        LoginDocument,
        { input: { email: body.email as string, password: body.password as string } },
        ANONYMOUS,
        String(request.id),
        request.ip,
      );
      if (result.errors?.length || !result.data) return sendGraphQLErrors(reply, result.errors ?? []);
      return reply.code(200).send(result.data.login);
    },
  );

  const signOut = (everywhere: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await sessionOf(gateway, request, reply);
    if (!principal) return reply;
    const result = everywhere
      ? await gateway.run(LogoutEverywhereDocument, {}, principal, String(request.id), request.ip)
      : await gateway.run(LogoutDocument, {}, principal, String(request.id), request.ip);
    if (result.errors?.length || !result.data) return sendGraphQLErrors(reply, result.errors ?? []);
    // accounts' event drops the cached state on every replica; this one forgets at once, so the
    // very next request here is refused whatever the bus's latency.
    if (principal.kind === 'user') gateway.authenticator.sessionStates?.forget(principal.accountId);
    return reply.code(200).send({ ok: true });
  };
  app.post(
    '/api/auth/logout',
    {
      schema: documented({
        operationId: 'dragonflyLogout',
        summary: 'Sign out this session',
        security: ['dashboardSession'],
        ok: oa.object({ ok: { const: true } }),
      }),
    },
    signOut(false),
  );
  app.post(
    '/api/auth/logout-all',
    {
      schema: documented({
        operationId: 'dragonflyLogoutAll',
        summary: 'Sign out every session of the account',
        security: ['dashboardSession'],
        ok: oa.object({ ok: { const: true } }),
      }),
    },
    signOut(true),
  );
}
