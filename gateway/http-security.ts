// HTTP hardening on every route of the gateway (REST adapters, /graphql, the data plane, health):
// security headers on every response, and CORS.
//
// Headers: `x-content-type-options: nosniff`, `x-frame-options: DENY`, `referrer-policy:
// no-referrer`, a restrictive `content-security-policy` (none for the GraphQL landing page in
// development, which loads Apollo's sandbox), `strict-transport-security` in production.
//
// CORS: closed by default. `CORS_ORIGINS` (comma-separated origins, via config.env) lists the
// browser origins allowed on every route. The public, read-only routes (`/api/v1/dashboard/*`,
// `GET /api/v1/billing-providers`) allow any origin, GET only. Preflights (`OPTIONS` with
// `Origin` and `Access-Control-Request-Method`) are answered here: 204 when allowed, 403 otherwise.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../subgraphs/common/config';

export interface HttpSecurityOptions {
  production: boolean;
  /** Exact origins (scheme://host[:port]) allowed on every route; empty: none. */
  corsOrigins: string[];
}

export function httpSecurityFromConfig(config: Config): HttpSecurityOptions {
  const corsOrigins = (config.env.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  return { production: config.nodeEnv === 'production', corsOrigins };
}

const CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'authorization, content-type, accept, apollo-require-preflight, x-apollo-operation-name, idempotency-key';
const PREFLIGHT_MAX_AGE = '600';

/** Public read-only routes: any origin may read them (GET only). */
export function isPublicPath(url: string): boolean {
  const pathname = url.split('?')[0];
  return pathname.startsWith('/api/v1/dashboard/') || pathname === '/api/v1/billing-providers';
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0];
}

export function registerHttpSecurity(app: FastifyInstance, options: HttpSecurityOptions): void {
  const allowed = new Set(options.corsOrigins);

  const corsHeaders = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const origin = request.headers.origin;
    if (!origin) return false;
    if (isPublicPath(request.url)) {
      reply.header('access-control-allow-origin', '*');
      return true;
    }
    if (!allowed.has(origin)) return false;
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', 'retry-after, x-request-id');
    return true;
  };

  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'OPTIONS' || !request.headers.origin || !request.headers['access-control-request-method']) return;
    const wanted = String(request.headers['access-control-request-method']).toUpperCase();
    const isPublic = isPublicPath(request.url);
    const ok = corsHeaders(request, reply) && (!isPublic || wanted === 'GET' || wanted === 'HEAD');
    if (!ok) {
      reply.removeHeader('access-control-allow-origin');
      return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'Cross-origin request not allowed' } });
    }
    reply.header('access-control-allow-methods', isPublic ? 'GET, HEAD, OPTIONS' : ALLOWED_METHODS);
    reply.header('access-control-allow-headers', isPublic ? 'accept, content-type' : ALLOWED_HEADERS);
    reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
    return reply.code(204).send();
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (options.production) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    const landingPage = !options.production && pathOf(request) === '/graphql' && request.method === 'GET' && String(reply.getHeader('content-type') ?? '').startsWith('text/html');
    if (!landingPage) reply.header('content-security-policy', CSP);
    // Actual (non-preflight) cross-origin requests: the allow-origin header when permitted. The
    // public routes allow any origin for GET only.
    if (request.method !== 'OPTIONS' && request.headers.origin && !reply.hasHeader('access-control-allow-origin')) {
      if (!isPublicPath(request.url) || request.method === 'GET' || request.method === 'HEAD') corsHeaders(request, reply);
    }
    return payload;
  });
}
