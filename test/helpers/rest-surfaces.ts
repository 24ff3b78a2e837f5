export type Surface =
  | 'dragonfly'
  | 'dgrid'
  | 'naap'
  | 'naap-oauth'
  | 'dashboard'
  | 'openai'
  | 'anthropic'
  | 'graphql'
  | 'health'
  | 'metrics'
  | 'jwks'
  | 'web';

export interface Route {
  method: string;
  /** fastify's pattern: `/api/keys/:id`, `/api/v1/developer/models/*`. */
  path: string;
}

/** Every method + path the gateway routes, as it registered them. */
export function listRoutes(gateway: { routes: readonly Route[] }): Route[] {
  return gateway.routes.map(({ method, path }) => ({ method, path }));
}

/** Path prefix → surface; the longest matching prefix wins. */
const SURFACE_PREFIXES: [prefix: string, surface: Surface][] = [
  ['/graphql', 'graphql'],
  ['/healthz', 'health'],
  ['/readyz', 'health'],
  ['/metrics', 'metrics'],
  ['/.well-known/jwks.json', 'jwks'],
  // The web face: pages, their assets, the API reference
  ['/', 'web'],
  ['/dashboard', 'web'],
  ['/assets/', 'web'],
  ['/docs', 'web'],
  ['/openapi.json', 'web'],
  // Dragonfly (sessions, buyer, management keys, money, supply, routing)
  ['/api/auth/', 'dragonfly'],
  ['/api/keys', 'dragonfly'],
  ['/api/management-keys', 'dragonfly'],
  ['/api/usage', 'dragonfly'],
  ['/api/billing/', 'dragonfly'],
  ['/api/routing/', 'dragonfly'],
  ['/v1/market/', 'dragonfly'],
  ['/v1/pool/', 'dragonfly'],
  // DGrid
  ['/v1/management-keys', 'dgrid'],
  ['/api/v1/model-router/', 'dgrid'],
  // NaaP
  ['/api/v1/developer/', 'naap'],
  ['/api/v1/billing-providers', 'naap'],
  ['/api/v1/auth/providers/', 'naap-oauth'],
  ['/api/v1/dashboard/', 'dashboard'],
  // OpenAI-compatible data plane
  ['/v1/chat/completions', 'openai'],
  ['/v1/responses', 'openai'],
  ['/v1/completions', 'openai'],
  ['/v1/embeddings', 'openai'],
  ['/v1/audio/speech', 'openai'],
  ['/v1/models', 'openai'],
  ['/v1/generation', 'openai'],
  ['/v1/key', 'openai'],
  // Anthropic's Messages API, in Anthropic's envelope
  ['/v1/messages', 'anthropic'],
];

/** The surface a path belongs to, or null (a route no envelope is known for). */
export function surfaceOf(path: string): Surface | null {
  let best: [string, Surface] | null = null;
  for (const entry of SURFACE_PREFIXES) {
    const [prefix] = entry;
    const matches =
      prefix === '/'
        ? path === '/' || path.startsWith('/?')
        : prefix.endsWith('/')
          ? path.startsWith(prefix)
          : path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
    if (matches && (!best || prefix.length > best[0].length)) best = entry;
  }
  return best?.[1] ?? null;
}

export interface Answer {
  method: string;
  /** The route pattern that was called. */
  route: string;
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
  /** What the request's Accept header asked for. */
  accept?: string;
  /** The request named a method or path no route serves (a 404 is then the expected answer). */
  unrouted?: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const contentType = (answer: Answer) => answer.headers.get('content-type') ?? '';
const isJson = (answer: Answer) => /^application\/(json|graphql-response\+json)\b/.test(contentType(answer));

function errorObject(value: unknown, { codeType = 'string' as 'string' | 'number' } = {}): string | null {
  if (!isObject(value)) return 'error is not an object';
  if (typeof value.message !== 'string' || value.message.length === 0) return 'error.message is not a non-empty string';
  if (typeof value.code !== codeType) return `error.code is not a ${codeType}`;
  return null;
}

/** Dragonfly-style `{error: {code, message, details?}}` and nothing else. */
function bareError(body: unknown): string | null {
  if (!isObject(body)) return 'body is not a JSON object';
  const extra = Object.keys(body).filter((k) => k !== 'error');
  if (extra.length) return `unexpected top-level fields ${extra.join(', ')}`;
  const problem = errorObject(body.error);
  if (problem) return problem;
  const error = body.error as Record<string, unknown>;
  if (error.details !== undefined && !isObject(error.details)) return 'error.details is not an object';
  return null;
}

/** Anthropic's error type for each status it answers with (529: overloaded). */
const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * Whether an answer is in its surface's envelope; null when it is, else what is wrong. HEAD
 * answers carry no body and are checked for their status only.
 */
export function envelopeProblem(surface: Surface, answer: Answer): string | null {
  const { status, json } = answer;
  if (answer.method === 'HEAD') return answer.text === '' ? null : 'HEAD answered a body';
  // An allowed CORS preflight.
  if (answer.method === 'OPTIONS' && answer.status === 204) return answer.text === '' ? null : '204 with a body';
  const error = status >= 400;
  const needJson = () => (isJson(answer) && json !== undefined ? null : `not JSON (content-type ${contentType(answer) || 'none'})`);
  switch (surface) {
    case 'dragonfly': {
      // The spend log's CSV export: CSV when it succeeds, the JSON envelope when refused.
      if (!error && answer.route === '/api/usage/requests.csv')
        return /^text\/csv\b/.test(contentType(answer)) ? null : 'CSV export not text/csv';
      const problem = needJson();
      if (problem) return problem;
      if (error) return bareError(json);
      return isObject(json) && !('error' in json) ? null : 'success body is not a bare object';
    }
    case 'dgrid': {
      const problem = needJson();
      if (problem) return problem;
      if (!isObject(json) || typeof json.code !== 'number' || typeof json.message !== 'string' || !('data' in json))
        return 'not {code, message, data}';
      if (Object.keys(json).length !== 3) return `unexpected fields: ${Object.keys(json).join(', ')}`;
      if (error) {
        if (!/^\d{5}$/.test(String(json.code)) || Math.floor(json.code / 100) !== status)
          return `code ${json.code} does not match status ${status}`;
        if (json.data !== null) return 'error with data';
        return null;
      }
      return json.code === 200 ? null : `success with code ${json.code}`;
    }
    case 'naap': {
      const problem = needJson();
      if (problem) return problem;
      if (!isObject(json)) return 'body is not a JSON object';
      if (error) {
        if (json.success !== false) return 'error without success: false';
        return errorObject(json.error);
      }
      // network-models answers its rows bare (NaaP's contract has no envelope there).
      if (answer.route === '/api/v1/developer/network-models') return Array.isArray(json.models) ? null : 'network-models without models[]';
      return json.success === true && 'data' in json ? null : 'success without {success: true, data}';
    }
    case 'naap-oauth': {
      // The callback is the page the browser lands on: HTML, whatever the outcome.
      if (answer.route.endsWith('/callback') && /^text\/html\b/.test(contentType(answer)) && (status === 200 || status === 400))
        return null;
      if (answer.route.endsWith('/redirect') && status === 302) return answer.headers.get('location') ? null : '302 without location';
      const problem = needJson();
      if (problem) return problem;
      if (!isObject(json)) return 'body is not a JSON object';
      if (error) return json.success === false ? errorObject(json.error) : 'error without success: false';
      if (answer.route.endsWith('/start')) return typeof json.login_session_id === 'string' ? null : 'start without login_session_id';
      if (answer.route.endsWith('/result')) return typeof json.status === 'string' ? null : 'result without status';
      return 'unexpected success';
    }
    case 'dashboard': {
      const problem = needJson();
      if (problem) return problem;
      if (error) {
        if (status !== 400 && status !== 503 && !(answer.unrouted && [403, 404, 414].includes(status)))
          return `status ${status} is not a documented dashboard status`;
        if (!/no-store/.test(answer.headers.get('cache-control') ?? '')) return 'error without cache-control: no-store';
        return bareError(json);
      }
      return /public/.test(answer.headers.get('cache-control') ?? '') ? null : 'success without a public cache-control';
    }
    case 'openai': {
      if (!error && /^text\/event-stream\b/.test(contentType(answer))) return null;
      if (!error && /^audio\//.test(contentType(answer))) return null;
      const problem = needJson();
      if (problem) return problem;
      if (!isObject(json)) return 'body is not a JSON object';
      if (error) {
        if (Object.keys(json).join() !== 'error') return 'error body has other top-level fields';
        const e = json.error;
        if (!isObject(e) || typeof e.message !== 'string' || typeof e.type !== 'string' || !('code' in e) || !('param' in e))
          return 'not {error: {message, type, code, param}}';
        return null;
      }
      // A Responses `response` object carries `error: null` on success (its failure field).
      if (answer.route === '/v1/responses' && json.object === 'response') return json.error === null ? null : 'response with an error';
      return 'error' in json ? 'success with error' : null;
    }
    case 'anthropic': {
      if (!error && /^text\/event-stream\b/.test(contentType(answer))) return null;
      const problem = needJson();
      if (problem) return problem;
      if (!isObject(json)) return 'body is not a JSON object';
      if (error) {
        if (Object.keys(json).sort().join() !== 'error,request_id,type' || json.type !== 'error')
          return 'not {type: "error", error, request_id}';
        if (typeof json.request_id !== 'string' || json.request_id !== answer.headers.get('request-id'))
          return 'request_id is not the request-id header';
        const e = json.error;
        if (!isObject(e) || typeof e.message !== 'string' || e.message.length === 0) return 'error.message is not a non-empty string';
        const expected = ANTHROPIC_TYPES[status] ?? (status < 500 ? 'invalid_request_error' : undefined);
        if (e.type !== expected) return `error.type ${String(e.type)} for status ${status} (expected ${expected ?? 'no such status'})`;
        if (e.details !== undefined && (!isObject(e.details) || typeof e.details.error_code !== 'string'))
          return 'error.details without an error_code';
        return null;
      }
      if (answer.route.endsWith('/count_tokens'))
        return Object.keys(json).join() === 'input_tokens' && Number.isInteger(json.input_tokens) ? null : 'not {input_tokens}';
      return json.type === 'message' && typeof json.id === 'string' && Array.isArray(json.content)
        ? null
        : 'success is not a message object';
    }
    case 'graphql': {
      // The development landing page (GET with Accept: text/html).
      if (answer.method === 'GET' && status === 200 && /^text\/html\b/.test(contentType(answer))) return null;
      if (answer.method === 'OPTIONS' && answer.text === '') return null;
      const problem = needJson();
      if (problem) return problem;
      if (!isObject(json)) return 'body is not a JSON object';
      if (!('data' in json) && !Array.isArray(json.errors)) return 'neither data nor errors';
      if (Array.isArray(json.errors) && json.errors.some((e) => !isObject(e) || typeof e.message !== 'string'))
        return 'an error without a message';
      if (error && !Array.isArray(json.errors)) return 'error status without errors';
      return null;
    }
    case 'health': {
      const problem = needJson();
      if (problem) return problem;
      return isObject(json) && typeof json.status === 'string' ? null : 'not {status}';
    }
    case 'jwks': {
      // The receipt-signing public keys: a bare JSON key set.
      const problem = needJson();
      if (problem) return problem;
      return isObject(json) && Array.isArray(json.keys) ? null : 'not {keys}';
    }
    case 'metrics': {
      if (status === 200) return /^text\/plain\b/.test(contentType(answer)) ? null : 'metrics not text/plain';
      const problem = needJson();
      return problem ?? bareError(json);
    }
    case 'web': {
      // Pages, assets and the API reference: a document of its own type, or fastify's 404 / redirect.
      if (status >= 300 && status < 400) return answer.headers.get('location') ? null : 'a redirect without a location';
      // A refused path (a NUL, a traversal) or no such file: any 4xx, never a 5xx.
      if (status >= 500) return `status ${status}`;
      if (status >= 400) return null;
      return /^(text\/html|application\/json|text\/javascript|application\/javascript|text\/css|image\/|font\/|application\/(x-)?yaml|text\/yaml)/.test(
        contentType(answer),
      )
        ? null
        : `unexpected content type ${contentType(answer)}`;
    }
  }
}

/** Frames of a stack trace, as text or inside a JSON string. */
const STACK_FRAME = /(?:\n|\\n)\s*at (?:async )?[\w$.<>[\] ]+ \(|(?:\n|\\n)\s*at (?:file:\/\/|node:|\/)/;
/** Source locations and module paths. */
const FILE_PATH = /node_modules|file:\/\/|(?:\/(?:work|home|usr|opt|srv|root|tmp)\/[\w.-]+\/)|\.(?:ts|js|mjs|cjs):\d+/;
/** Class names of internal errors (JS, fastify, MikroORM, SQLite/libsql, PostgreSQL, sockets). */
const INTERNAL_NAMES =
  /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|EvalError|AggregateError|DriverException|ServerException|ValidationError|NotFoundError|OptimisticLockError|MikroORM|UniqueConstraintViolationException|ForeignKeyConstraintViolationException|NotNullConstraintViolationException|LibsqlError|SqliteError|SQLITE_[A-Z_]+|FST_ERR_[A-Z_]+|ECONNREFUSED|ECONNRESET|EPIPE|QueryFailedError|GraphQLError|DataLoader)\b/;

/** What in a body looks like an internal leak (a stack trace, a file path, an internal error class), or null. */
export function leakProblem(answer: Answer): string | null {
  const type = contentType(answer);
  if (/^audio\//.test(type)) return null;
  const frame = STACK_FRAME.exec(answer.text);
  if (frame) return `stack frame: ${JSON.stringify(answer.text.slice(Math.max(0, frame.index - 80), frame.index + 120))}`;
  // The GraphQL landing page and the metrics text are not checked for names (they are not error bodies).
  if (/^text\/html\b/.test(type) && answer.route === '/graphql') return null;
  if (answer.route === '/metrics' && answer.status === 200) return null;
  const path = FILE_PATH.exec(answer.text);
  if (path) return `file path: ${JSON.stringify(answer.text.slice(Math.max(0, path.index - 80), path.index + 80))}`;
  const name = INTERNAL_NAMES.exec(answer.text);
  if (name) return `internal name ${name[0]}: ${JSON.stringify(answer.text.slice(Math.max(0, name.index - 80), name.index + 80))}`;
  return null;
}
