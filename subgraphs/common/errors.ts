// The domain's error vocabulary. Services throw DomainError; every surface maps the code to its
// own envelope (GraphQL extensions.code, REST status and body). Anything else is an internal error
// whose message never leaves the process.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin, BaseContext as ApolloBaseContext } from '@apollo/server';
import type { Logger } from './log';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'LIMIT_EXCEEDED'
  | 'QUOTA_EXCEEDED'
  | 'SERVICE_UNAVAILABLE';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** The error a resolver threw, under any GraphQLError wrappers (duck-typed: graphql may be loaded twice, ESM and CJS). */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current && typeof current === 'object' && (current as { originalError?: unknown }).originalError) {
    current = (current as { originalError: unknown }).originalError;
  }
  return current;
}

function isGraphQLError(error: unknown): boolean {
  return error instanceof GraphQLError || (error instanceof Error && error.name === 'GraphQLError');
}

/** Brand check rather than instanceof: it holds across module instances (test runners, bundles). */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof Error && error.name === 'DomainError' && typeof (error as DomainError).code === 'string';
}

export const badInput = (message: string, details?: Record<string, unknown>) => new DomainError('BAD_USER_INPUT', message, details);
export const unauthenticated = (message = 'Authentication required') => new DomainError('UNAUTHENTICATED', message);
export const forbidden = (message = 'Not allowed') => new DomainError('FORBIDDEN', message);
export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string) => new DomainError('CONFLICT', message);

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
]);
const UNREACHABLE_MESSAGE =
  /Connection terminated|Connection ended unexpectedly|Timeout acquiring a connection|Client has encountered a connection error|connect ECONNREFUSED/i;

/**
 * Whether an error means the database could not be reached (PostgreSQL stopped or restarting, a
 * connection cut, the pool unable to connect) rather than a bug: such a request is worth retrying,
 * so surfaces should answer SERVICE_UNAVAILABLE (503) instead of an internal error. Driver errors
 * arrive raw (pg, knex) or wrapped by MikroORM (which copies `code`); SQLSTATE class 08 is
 * "connection exception"; 57014 is a statement cancelled by statement_timeout (an overloaded server).
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (name === 'KnexTimeoutError' || name === 'ConnectionException') return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGE.test(message)) return true;
  }
  return false;
}

/** GraphQL codes produced by graphql-js / Apollo itself for a bad request. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo `formatError` for every server here: domain errors keep their code and message, client
 * errors pass, anything else becomes a bare INTERNAL_SERVER_ERROR (no message, no stack).
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = rootCause(error);
  if (isDomainError(original)) {
    return {
      message: original.message,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) },
    };
  }
  if (isStoreUnavailable(original)) {
    return {
      message: 'The service is temporarily unavailable; try again shortly',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && (CLIENT_CODES.has(code) || isDomainCode(code))) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  // A GraphQLError raised by validation or coercion without a code is the client's fault as well.
  if (original === error && isGraphQLError(error) && code === undefined) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_USER_INPUT' } };
  }
  // Logged by logInternalErrors, with the request id.
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** The request's context as far as logging needs it. */
interface RequestIds {
  requestId?: string;
}

/**
 * An Apollo plugin that writes each internal error (what formatGraphQLError hides from the
 * client) to this server's log with the request id: only the first line of the message (driver
 * errors carry whole SQL statements with values) and the stack frames.
 */
export function logInternalErrors(log: Logger): ApolloServerPlugin<RequestIds & ApolloBaseContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const internal = internalCause(error);
            if (internal === null) continue;
            const cause = internal instanceof Error ? internal : error;
            const message = cause.message.split('\n')[0].slice(0, 200);
            const stack = (cause.stack ?? '')
              .split('\n')
              .filter((line) => line.trimStart().startsWith('at '))
              .slice(0, 8)
              .join('\n');
            // At the gateway, an error a subgraph reported names it (that subgraph logged the cause).
            const from = typeof error.extensions?.serviceName === 'string' ? { fromSubgraph: error.extensions.serviceName } : {};
            log.error(
              { requestId: contextValue.requestId, err: { type: cause.name, message, stack }, path: error.path?.join('.'), ...from },
              'internal error',
            );
          }
        },
      };
    },
  };
}

/** The root cause of an error formatGraphQLError turns into a bare internal error, or null. */
export function internalCause(error: GraphQLError): unknown {
  const original = rootCause(error);
  if (isDomainError(original)) return null;
  const code = error.extensions?.code;
  if (typeof code === 'string' && (CLIENT_CODES.has(code) || isDomainCode(code))) return null;
  if (original === error && code === undefined) return null;
  return original;
}

function isDomainCode(code: string): code is ErrorCode {
  return [
    'BAD_USER_INPUT',
    'UNAUTHENTICATED',
    'FORBIDDEN',
    'NOT_FOUND',
    'CONFLICT',
    'RATE_LIMITED',
    'LIMIT_EXCEEDED',
    'QUOTA_EXCEEDED',
    'SERVICE_UNAVAILABLE',
  ].includes(code);
}
