// Structured JSON logs (pino) for every process. A request's lines carry its id: the gateway
// assigns it, sends it to the subgraphs in x-request-id, and each side logs through a logger bound
// to it (fastify's request.log; the GraphQL context's requestId in Apollo plugins). No
// AsyncLocalStorage: on Node 20 it puts a hook on every promise of the process. Nothing
// credential-shaped reaches a log line: known secret fields are redacted by path, and every
// string is scrubbed of key-, token- and JWT-shaped values and of secret query parameters.
import { performance } from 'node:perf_hooks';
import { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED = '[REDACTED]';

// Our buyer (sk-df-) and management (mk-) keys, provider keys (sk-…), JWTs and the signed
// principal header (base64url JSON + signature), credentials after an auth scheme.
const CREDENTIAL_SHAPES =
  /\b(sk-df-|mk-|sk-|pk-|rk-)[A-Za-z0-9_-]{8,}|\beyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]{6,}){1,2}|\b(Bearer|Basic|Token)\s+[^\s,;"']+/gi;
const SECRET_QUERY_PARAMS =
  /([?&](?:key|api_key|apikey|token|access_token|refresh_token|id_token|code|code_verifier|password|secret|client_secret|state|session)=)[^&#\s"]*/gi;

/** A string with every credential-shaped value replaced. */
export function scrub(value: string): string {
  return value
    .replace(CREDENTIAL_SHAPES, (_match, prefix: string | undefined, scheme: string | undefined) =>
      scheme ? `${scheme} ${REDACTED}` : `${prefix ?? ''}${REDACTED}`,
    )
    .replace(SECRET_QUERY_PARAMS, `$1${REDACTED}`);
}

/** Fields that hold a secret whole, wherever they appear: their value is replaced outright. */
const SECRET_FIELDS = new Set([
  'authorization',
  'password',
  'apikey',
  'rawapikey',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'cookie',
  'set-cookie',
  'x-df-principal',
  'principal',
]);

// One walk redacts secret fields by name and scrubs every other string (pino's path-based redact
// cost more than all the rest of a log line).
function scrubDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: scrub(value.message), stack: scrub(value.stack ?? '') };
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_FIELDS.has(key.toLowerCase()) ? REDACTED : scrubDeep(item, depth + 1);
  return out;
}

export interface LoggerHandle {
  log: Logger;
  /** Flush buffered lines and release the file (a process or a test stack ending). */
  close(): Promise<void>;
}

/**
 * The process's logger. LOG_LEVEL (default `info`; `silent` turns logs off) and LOG_FILE
 * (default: standard output) come from the environment; `service` names the process part.
 */
export function createLogger(env: Readonly<Record<string, string | undefined>>, service: string): LoggerHandle {
  const level = env.LOG_LEVEL || 'info';
  if (!Object.keys(pino.levels.values).includes(level) && level !== 'silent')
    throw new Error(`LOG_LEVEL must be one of ${Object.keys(pino.levels.values).join(', ')}, silent`);
  // Lines are written in 4 KiB batches (one write call per batch, not per line), and at least every
  // second; close() writes what is left.
  const destination = pino.destination({
    dest: env.LOG_FILE || 1,
    sync: false,
    mkdir: Boolean(env.LOG_FILE),
    append: true,
    minLength: 4096,
  });
  const flusher = setInterval(() => {
    try {
      destination.flush();
    } catch {
      // not open yet, or already closed: the next tick or close() writes it
    }
  }, 1000);
  flusher.unref();
  const log = pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are flattened (and scrubbed) by the formatter below; pino's own serializer would re-type them.
      serializers: { err: (value: unknown) => value },
      formatters: { log: (object) => scrubDeep(object, 0) as Record<string, unknown> },
      // The message and its format arguments are scrubbed too (an error message can quote input).
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrub(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  return {
    log,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(flusher);
        if (!env.LOG_FILE) return log.flush(() => resolve());
        // end() writes what is buffered, then closes the file.
        destination.once('close', () => resolve());
        destination.end();
      }),
  };
}

/** The fastify options that make a server log through `log`: one line per request (logRequests), `requestId` as the label. */
export function fastifyLogging(log: Logger): { loggerInstance: FastifyBaseLogger; logController: LogController } {
  return {
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
  };
}

/** Request ids we accept from a caller (the gateway, towards a subgraph): short and plain. */
export const REQUEST_ID_SHAPE = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Paths polled by orchestrators and scrapers: logged at debug, not info. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One line per HTTP request, written when the response is closed (so hijacked replies such as the
 * data plane's streams are logged too).
 */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const started = performance.now();
    reply.raw.once('close', () => {
      const statusCode = reply.raw.statusCode;
      const line = {
        method: request.method,
        url: request.url,
        statusCode,
        ms: Math.round((performance.now() - started) * 100) / 100,
        ...(reply.raw.writableFinished ? {} : { aborted: true }),
      };
      if (statusCode >= 500) request.log.error(line, 'request');
      else if (QUIET_PATHS.has(request.url.split('?')[0])) request.log.debug(line, 'request');
      else request.log.info(line, 'request');
    });
    done();
  });
}
