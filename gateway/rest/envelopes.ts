// Which surface a path belongs to, and an error in that surface's own envelope, for the answers no
// adapter writes itself: a path or method that no route serves under a surface's prefix (each
// prefix gets its own not-found handler, registered by ./index.ts), a refused CORS preflight
// (../http-security.ts), and fastify's own refusals of a URL before routing (a malformed
// %-escape, an over-long path parameter: `restFrameworkErrors`, for fastify's `frameworkErrors`
// option). Statuses and messages here; the envelopes are the ones each adapter writes.
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Surface = 'dragonfly' | 'dgrid' | 'naap' | 'dashboard' | 'openai' | 'anthropic' | 'graphql';

/** Path prefixes of the surfaces (longest first wins), as in README's Surfaces table. */
export const SURFACE_PREFIXES: readonly [prefix: string, surface: Surface][] = [
  ['/api/auth', 'dragonfly'],
  ['/api/keys', 'dragonfly'],
  ['/api/management-keys', 'dragonfly'],
  ['/api/usage', 'dragonfly'],
  ['/api/billing', 'dragonfly'],
  ['/api/routing', 'dragonfly'],
  ['/v1/market', 'dragonfly'],
  ['/v1/pool', 'dragonfly'],
  ['/v1/management-keys', 'dgrid'],
  ['/api/v1/model-router', 'dgrid'],
  ['/api/v1/developer', 'naap'],
  ['/api/v1/billing-providers', 'naap'],
  ['/api/v1/auth', 'naap'],
  ['/api/v1/dashboard', 'dashboard'],
  ['/v1', 'openai'],
  // Anthropic's Messages API (POST /v1/messages, /v1/messages/count_tokens) answers in its own envelope.
  ['/v1/messages', 'anthropic'],
  ['/graphql', 'graphql'],
];

export function surfaceOfPath(url: string): Surface | null {
  const path = url.split('?')[0];
  let best: readonly [string, Surface] | null = null;
  for (const entry of SURFACE_PREFIXES) {
    const [prefix] = entry;
    if ((path === prefix || path.startsWith(`${prefix}/`)) && (!best || prefix.length > best[0].length)) best = entry;
  }
  return best ? best[1] : null;
}

const CODES: Record<number, { graphql: string; naap: string; dgrid: number; openaiType: string }> = {
  400: { graphql: 'BAD_REQUEST', naap: 'BAD_REQUEST', dgrid: 40001, openaiType: 'invalid_request_error' },
  403: { graphql: 'FORBIDDEN', naap: 'FORBIDDEN', dgrid: 40301, openaiType: 'permission_error' },
  404: { graphql: 'NOT_FOUND', naap: 'NOT_FOUND', dgrid: 40401, openaiType: 'invalid_request_error' },
  414: { graphql: 'BAD_REQUEST', naap: 'BAD_REQUEST', dgrid: 41401, openaiType: 'invalid_request_error' },
};

/** Anthropic's error types by status. */
const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  403: 'permission_error',
  404: 'not_found_error',
  414: 'invalid_request_error',
};

/**
 * Each REST surface's error body, written once: the adapters' own errors and the edge's refusals
 * (sendSurfaceError below) both build them here. The dashboard (NaaP's network overview) uses
 * Dragonfly's shape.
 */
export const errorBody = {
  dragonfly: (code: string, message: string, details?: Record<string, unknown>) => ({
    error: { code, message, ...(details ? { details } : {}) },
  }),
  naap: (code: string, message: string, details?: Record<string, unknown>) => ({
    success: false as const,
    error: { code, message, ...(details ? { details } : {}) },
  }),
  dgrid: (code: number, message: string) => ({ code, message, data: null }),
};

/** Dragonfly's (and the dashboard's) codes by status. */
const DRAGONFLY_CODES: Record<number, string> = { 400: 'BAD_REQUEST', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 414: 'URI_TOO_LONG' };

/**
 * An error in the envelope of the surface `url` belongs to; paths outside every surface get
 * Dragonfly's shape (`{error: {code, message}}`), which is also the gateway's generic one.
 */
export function sendSurfaceError(
  reply: FastifyReply,
  url: string,
  status: 400 | 403 | 404 | 414,
  message: string,
  code?: string,
): FastifyReply {
  const surface = surfaceOfPath(url);
  const codes = CODES[status];
  reply.code(status);
  switch (surface) {
    case 'dgrid':
      return reply.send(errorBody.dgrid(codes.dgrid, message));
    case 'naap':
      return reply.send(errorBody.naap(code ?? codes.naap, message));
    case 'openai':
      return reply.type('application/json').send({
        error: { message, type: codes.openaiType, code: code ? code.toLowerCase() : status === 404 ? 'not_found' : null, param: null },
      });
    case 'anthropic':
      // Anthropic's SDKs read the request id from the request-id header; the body names it too.
      return reply
        .type('application/json')
        .header('request-id', String(reply.request.id))
        .send({ type: 'error', error: { type: ANTHROPIC_TYPES[status], message }, request_id: String(reply.request.id) });
    case 'graphql':
      return reply.send({ errors: [{ message, extensions: { code: code ?? codes.graphql } }] });
    case 'dashboard':
      return reply.header('cache-control', 'no-store').send(errorBody.dragonfly(code ?? DRAGONFLY_CODES[status], message));
    default:
      return reply.send(errorBody.dragonfly(code ?? DRAGONFLY_CODES[status], message));
  }
}

/** A path or method no route serves. */
export function restNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0];
  return sendSurfaceError(reply, request.url, 404, `No route ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`);
}

/**
 * For fastify's `frameworkErrors` option (gateway/app.ts): errors fastify raises before routing —
 * a URL whose %-escapes do not decode (FST_ERR_BAD_URL), a path parameter over the router's
 * length limit (FST_ERR_MAX_PARAM_LENGTH) — in the envelope of the surface the path belongs to,
 * without fastify's internal code or the URL echoed back.
 */
export function restFrameworkErrors(
  error: Error & { code?: string; statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendSurfaceError(reply, request.url, 414, 'A path segment is too long');
  return sendSurfaceError(reply, request.url, 400, error.code === 'FST_ERR_BAD_URL' ? 'The URL is not validly %-encoded' : 'Bad request');
}
