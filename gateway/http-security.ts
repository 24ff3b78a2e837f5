// HTTP hardening on every route of the gateway (REST adapters, /graphql, the data plane, health):
// security headers on every response, CORS, and two refusals made before any handler runs (an
// Accept that /graphql cannot answer, a NUL character in a request's text).
//
// Headers: `x-content-type-options: nosniff`, `x-frame-options: DENY`, `referrer-policy:
// no-referrer`, a restrictive `content-security-policy` (the web pages send their own, which
// allows this origin's scripts and styles only), `strict-transport-security` in production.
//
// CORS: closed by default. `CORS_ORIGINS` (comma-separated origins, via config.env) lists the
// browser origins allowed on every route. The public, read-only routes (`/api/v1/dashboard/*`,
// `GET /api/v1/billing-providers`) allow any origin, GET only. Preflights (`OPTIONS` with
// `Origin` and `Access-Control-Request-Method`) are answered here: 204 when allowed, 403 otherwise.
//
// Accept on POST /graphql: Apollo Server negotiates the answer's media type only after it has
// executed the operation, so a mutation sent with an Accept that allows no JSON type ran and was
// then answered 406 (the client, told it failed, retries: two keys, two top-ups). The same
// negotiation is done here first: such a request is a 406 before anything runs.
//
// NUL: no store takes U+0000 in text (SQLite/libsql and PostgreSQL both fail the statement), so a
// NUL in a path parameter, the query string or a JSON body used to surface as a 500 from whichever
// subgraph met it first. It is refused here as bad input, in the surface's envelope (the data
// plane's bodies are left alone: they are forwarded to the provider, not stored).
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../subgraphs/common/config';
import { sendSurfaceError, surfaceOfPath } from './rest/envelopes';

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

/** The media types Apollo Server answers a single result in (its MEDIA_TYPES, in its order). */
const GRAPHQL_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/**
 * Apollo Server's own content negotiator (the `negotiator` package, resolved from @apollo/server
 * so that it is the very copy Apollo uses): the decision here is exactly the one Apollo would make
 * after executing.
 */
type NegotiatorClass = new (request: { headers: { accept?: string } }) => { mediaType(available: string[]): string | undefined };
const requireFromApollo = createRequire(createRequire(import.meta.url).resolve('@apollo/server'));
const Negotiator = requireFromApollo('negotiator') as NegotiatorClass;

/** Whether Apollo Server could answer a request with this Accept header (absent: yes). */
export function acceptsGraphQLResult(accept: string | undefined): boolean {
  if (!accept) return true;
  try {
    return new Negotiator({ headers: { accept } }).mediaType(GRAPHQL_RESULT_TYPES) !== undefined;
  } catch {
    return true; // whatever Apollo makes of it, it decides
  }
}

/** Whether a parsed value (strings, object keys, nested arrays and objects) holds a U+0000. */
export function containsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes('\u0000')) return true;
    } else if (Array.isArray(next)) {
      for (const item of next) pending.push(item); // not push(...next): a long array would overflow the call stack
    } else if (next && typeof next === 'object') {
      for (const [key, inner] of Object.entries(next)) {
        if (key.includes('\u0000')) return true;
        pending.push(inner);
      }
    }
  }
  return false;
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
      // In the envelope of the surface the path belongs to (DGrid's {code, message, data}, …).
      return sendSurfaceError(reply, request.url, 403, 'Cross-origin request not allowed', 'FORBIDDEN');
    }
    reply.header('access-control-allow-methods', isPublic ? 'GET, HEAD, OPTIONS' : ALLOWED_METHODS);
    reply.header('access-control-allow-headers', isPublic ? 'accept, content-type' : ALLOWED_HEADERS);
    reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
    return reply.code(204).send();
  });

  // Before Apollo executes anything: a POST /graphql whose Accept admits no result type is a 406.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST' || pathOf(request) !== '/graphql') return;
    const accept = request.headers.accept;
    if (acceptsGraphQLResult(accept)) return;
    return reply
      .code(406)
      .type('application/json; charset=utf-8')
      .send({
        errors: [
          {
            message:
              "An 'accept' header was provided for this request which does not accept application/json; charset=utf-8 or application/graphql-response+json; charset=utf-8",
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      });
  });

  // A NUL anywhere in what a surface's route would store or look up: 400 before it runs.
  app.addHook('preValidation', async (request, reply) => {
    // Parameters and the query string come from the URL: only a URL holding a NUL needs the walk.
    const inUrl = request.url.includes('%00') || request.url.includes('\u0000');
    if (!inUrl && (request.body === undefined || request.body === null)) return;
    const surface = surfaceOfPath(request.url);
    if (!surface) return;
    if (
      (inUrl && (containsNul(request.params) || containsNul(request.query))) ||
      (surface !== 'openai' && surface !== 'anthropic' && containsNul(request.body))
    ) {
      return sendSurfaceError(reply, request.url, 400, 'Text must not contain NUL (U+0000) characters');
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (options.production) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    // The web pages (gateway/web-pages.ts) set their own policy; every other answer gets the closed one.
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CSP);
    // Actual (non-preflight) cross-origin requests: the allow-origin header when permitted. The
    // public routes allow any origin for GET only.
    if (request.method !== 'OPTIONS' && request.headers.origin && !reply.hasHeader('access-control-allow-origin')) {
      if (!isPublicPath(request.url) || request.method === 'GET' || request.method === 'HEAD') corsHeaders(request, reply);
    }
    return payload;
  });
}
