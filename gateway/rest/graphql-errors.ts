// GraphQL error codes → HTTP statuses, shared by every REST surface. Each surface then writes the
// status into its own envelope.
import type { GraphQLFormattedError } from 'graphql';

const STATUS_BY_CODE: Record<string, number> = {
  BAD_USER_INPUT: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  GRAPHQL_PARSE_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  LIMIT_EXCEEDED: 402,
  QUOTA_EXCEEDED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

export interface RestError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export function restErrorFrom(errors: readonly GraphQLFormattedError[]): RestError {
  const first = errors[0];
  const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
  const status = STATUS_BY_CODE[code] ?? 500;
  if (status === 500) return { status, code, message: 'Internal server error' };
  const coercion = first?.message ? fromCoercionMessage(first.message) : null;
  if (coercion) return { status, code, message: coercion.message, details: { field: coercion.field } };
  return {
    status,
    code,
    message: first?.message ?? 'Request failed',
    details: first?.extensions?.details as Record<string, unknown> | undefined,
  };
}

/**
 * graphql-js words a bad variable as `Variable "$input" got invalid value "x" at "input.cycle";
 * Value "x" does not exist in "KeyCycle" enum.` REST callers never wrote `$input`: name the field.
 */
function fromCoercionMessage(message: string): { field: string; message: string } | null {
  const match = /^Variable "\$\w+" got invalid value (.*?)(?: at "\w+\.([\w.[\]]+)")?; (.*)$/s.exec(message);
  if (!match) return null;
  const [, value, path, reason] = match;
  const field = path ?? 'body';
  const enumMatch = /does not exist in "\w+" enum/.test(reason);
  return {
    field,
    message: enumMatch
      ? `${field}: ${value} is not one of the allowed values`
      : `${field}: ${reason.replace(/^Expected type "(\w+)"\.?/, 'expected $1').replace(/\.$/, '')}`,
  };
}

/** A thrown error from fastify itself (bad JSON, oversize body, wrong content type). */
export function restErrorFromFastify(error: { statusCode?: number; code?: string; message?: string }): RestError {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) return { status, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
  const message =
    error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? 'Request body is too large'
      : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'Content-Type must be application/json'
        : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'Request body is empty'
          : /JSON/i.test(error.message ?? '')
            ? 'Request body is not valid JSON'
            : (error.message ?? 'Bad request');
  return { status, code: status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', message };
}
