// Dragonfly dashboard sessions: POST /api/auth/signup and /api/auth/login. A thin adapter: the
// rules (email shape, password length, uniqueness) live in the accounts subgraph.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SignupDocument, LoginDocument } from '../../schema/generated/graphql';
import { ANONYMOUS } from '../../subgraphs/common/principal';
import type { GatewayApi } from '../app';
import { restErrorFrom, restErrorFromFastify, type RestError } from './graphql-errors';

export function sendDragonflyError(reply: import('fastify').FastifyReply, error: RestError) {
  return reply.code(error.status).send({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
}

function asObject(body: unknown): Record<string, unknown> | null {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/**
 * Brute-force throttling (issue 8), fixed one-minute windows in the gateway's rate limiter (shared
 * by every replica when the bus is Redis): AUTH_RATE_LIMIT_PER_ADDRESS (30) attempts per client
 * address and route, and LOGIN_RATE_LIMIT_PER_EMAIL (10) login attempts per email. Like the other
 * REST limits it fails open if the limiter's store is down.
 */
export function authRateLimits(env: Readonly<Record<string, string | undefined>>) {
  const int = (value: string | undefined, fallback: number) => (value && /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : fallback);
  return { perAddress: int(env.AUTH_RATE_LIMIT_PER_ADDRESS, 30), loginPerEmail: int(env.LOGIN_RATE_LIMIT_PER_EMAIL, 10) };
}

async function throttled(gateway: GatewayApi, request: FastifyRequest, reply: FastifyReply, route: 'login' | 'signup', email: unknown): Promise<boolean> {
  const limits = authRateLimits(gateway.config.env);
  const hit = async (key: string, limit: number) => {
    try {
      return await gateway.rateLimiter.hit(key, limit, 60_000);
    } catch {
      return { allowed: true, retryAfterSeconds: 0, remaining: 0 };
    }
  };
  const decisions = [await hit(`auth:${route}:addr:${request.ip}`, limits.perAddress)];
  if (route === 'login' && typeof email === 'string' && email.length <= 320) decisions.push(await hit(`auth:login:email:${email.trim().toLowerCase()}`, limits.loginPerEmail));
  const refused = decisions.filter((d) => !d.allowed);
  if (refused.length === 0) return false;
  reply.header('retry-after', String(Math.max(1, ...refused.map((d) => d.retryAfterSeconds))));
  sendDragonflyError(reply, { status: 429, code: 'RATE_LIMITED', message: `Too many ${route} attempts; try again later` });
  return true;
}

export async function dragonflyAuthRoutes(app: FastifyInstance, gateway: GatewayApi) {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => sendDragonflyError(reply, restErrorFromFastify(error)));

  app.post('/api/auth/signup', async (request, reply) => {
    const body = asObject(request.body);
    if (await throttled(gateway, request, reply, 'signup', undefined)) return reply;
    if (!body) return sendDragonflyError(reply, { status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
    const result = await gateway.run(SignupDocument, { input: { email: body.email as string, password: body.password as string, name: body.name as string | undefined } }, ANONYMOUS, String(request.id));
    if (result.errors?.length || !result.data) return sendDragonflyError(reply, restErrorFrom(result.errors ?? []));
    return reply.code(201).send(result.data.signup);
  });

  app.post('/api/auth/login', async (request, reply) => {
    const body = asObject(request.body);
    if (await throttled(gateway, request, reply, 'login', body?.email)) return reply;
    if (!body) return sendDragonflyError(reply, { status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
    const result = await gateway.run(LoginDocument, { input: { email: body.email as string, password: body.password as string } }, ANONYMOUS, String(request.id));
    if (result.errors?.length || !result.data) return sendDragonflyError(reply, restErrorFrom(result.errors ?? []));
    return reply.code(200).send(result.data.login);
  });
}
