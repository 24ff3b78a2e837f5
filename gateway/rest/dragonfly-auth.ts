// Dragonfly dashboard sessions: POST /api/auth/signup and /api/auth/login. A thin adapter: the
// rules (email shape, password length, uniqueness) live in the accounts subgraph.
import type { FastifyInstance } from 'fastify';
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

export async function dragonflyAuthRoutes(app: FastifyInstance, gateway: GatewayApi) {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => sendDragonflyError(reply, restErrorFromFastify(error)));

  app.post('/api/auth/signup', async (request, reply) => {
    const body = asObject(request.body);
    if (!body) return sendDragonflyError(reply, { status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
    const result = await gateway.run(SignupDocument, { input: { email: body.email as string, password: body.password as string, name: body.name as string | undefined } }, ANONYMOUS, String(request.id));
    if (result.errors?.length || !result.data) return sendDragonflyError(reply, restErrorFrom(result.errors ?? []));
    return reply.code(201).send(result.data.signup);
  });

  app.post('/api/auth/login', async (request, reply) => {
    const body = asObject(request.body);
    if (!body) return sendDragonflyError(reply, { status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
    const result = await gateway.run(LoginDocument, { input: { email: body.email as string, password: body.password as string } }, ANONYMOUS, String(request.id));
    if (result.errors?.length || !result.data) return sendDragonflyError(reply, restErrorFrom(result.errors ?? []));
    return reply.code(200).send(result.data.login);
  });
}
