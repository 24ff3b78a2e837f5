// What every Dragonfly account, money and supply route shares: which credentials the surface
// accepts (a dashboard JWT or a management key; the owning subgraph decides the scope), one rate
// limit per credential, and the error envelope. Each adapter file builds its own run helpers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../../subgraphs/common/errors';
import type { Principal } from '../../subgraphs/common/principal';
import type { GatewayApi } from '../gateway-api';
import { credentialKind } from '../auth';
import { managementRateLimit } from './common';
import { sendDragonflyError } from './dragonfly-auth';
import type { GraphQLFormattedError } from 'graphql';
import { microsToUsdNumber } from '../../subgraphs/common/money';
import { restErrorFrom, restErrorFromFastify, type RestError } from './graphql-errors';

/** All Dragonfly account routes share one rate-limit counter per credential. */
const SURFACE = 'dragonfly';

/** Thrown inside a route to answer with a Dragonfly error envelope. */
export class DragonflyFailure extends Error {
  constructor(readonly error: RestError) {
    super(error.message);
  }
}

/** A refused field, in the envelope's words. */
export const dragonflyBadRequest = (message: string, field: string) =>
  new DragonflyFailure({ status: 400, code: 'BAD_USER_INPUT', message, details: { field } });

/**
 * A GraphQL error as a Dragonfly error. The operations' variables are named after the REST
 * parameters, so a refused variable (a bad date, an unknown interval) names the parameter sent.
 */
export function dragonflyFailureFrom(errors: readonly GraphQLFormattedError[]): DragonflyFailure {
  const error = restErrorFrom(errors);
  const variable = /^Variable "\$(\w+)"/.exec(errors[0]?.message ?? '')?.[1];
  if (variable && error.details?.field === 'body') {
    return new DragonflyFailure({
      ...error,
      message: error.message.replace(/^body:/, `${variable}:`),
      details: { ...error.details, field: variable },
    });
  }
  return new DragonflyFailure(error);
}

/** One amount as the convention's two fields: `name` (USD number) and `nameMicros` (exact integer). */
export function dragonflyMoney<Name extends string>(name: Name, amount: { micros: number }): Record<Name | `${Name}Micros`, number> {
  return { [name]: microsToUsdNumber(amount.micros), [`${name}Micros`]: amount.micros } as Record<Name | `${Name}Micros`, number>;
}

/** Scope set-up: the Dragonfly envelope for fastify's own errors; JSON bodies only (415 otherwise). */
export function prepareDragonflyScope(app: FastifyInstance): void {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) =>
    sendDragonflyError(reply, restErrorFromFastify(error)),
  );
  app.removeContentTypeParser('text/plain');
}

/** The caller's principal: a dashboard JWT or a management key. A buyer key only calls /v1 inference. */
async function authenticate(gateway: GatewayApi, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  const kind = credentialKind(header);
  if (kind === 'none')
    throw new DragonflyFailure({
      status: 401,
      code: 'UNAUTHENTICATED',
      message: 'Authorization: Bearer <dashboard JWT or management key> is required',
    });
  if (kind === 'buyer-key')
    throw new DragonflyFailure({
      status: 403,
      code: 'FORBIDDEN',
      message: 'A buyer key (sk-df-…) can only call the inference routes under /v1',
    });
  try {
    return await gateway.authenticator.fromAuthorization(header);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    throw new DragonflyFailure({ status: error.code === 'FORBIDDEN' ? 403 : 401, code: error.code, message: error.message });
  }
}

/**
 * A route factory: credential, rate limit, then the handler with the context `makeContext` builds
 * for the caller; any DragonflyFailure becomes the Dragonfly envelope.
 */
export function dragonflyRoute<Context>(
  gateway: GatewayApi,
  makeContext: (request: FastifyRequest, principal: Principal, reply: FastifyReply) => Context,
) {
  return (status: 200 | 201, handler: (context: Context) => Promise<unknown>) => async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await authenticate(gateway, request);
      const rate = await managementRateLimit(gateway, principal, SURFACE);
      if (!rate.allowed) {
        reply.header('retry-after', String(rate.retryAfterSeconds));
        throw new DragonflyFailure({
          status: 429,
          code: 'RATE_LIMITED',
          message: 'Too many requests; retry later',
          details: { retryAfterSeconds: rate.retryAfterSeconds },
        });
      }
      return reply.code(status).send(await handler(makeContext(request, principal, reply)));
    } catch (error) {
      if (error instanceof DragonflyFailure) return sendDragonflyError(reply, error.error);
      throw error;
    }
  };
}
