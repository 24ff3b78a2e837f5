// Errors on /v1 always take OpenAI's shape, so SDKs raise their usual exception classes.

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'insufficient_quota'
  | 'rate_limit_error'
  | 'api_error'
  | 'not_found_error';

export class InferenceError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAIErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
    /** Where it came from (the listing and the provider's status), as OpenRouter's `error.metadata`. */
    readonly metadata: Record<string, unknown> | null = null,
  ) {
    super(message);
  }

  body() {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        param: this.param,
        ...(this.metadata ? { metadata: this.metadata } : {}),
      },
    };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new InferenceError(400, message, 'invalid_request_error', code, param);
export const unauthorized = (message: string) => new InferenceError(401, message, 'authentication_error', 'invalid_api_key');
export const forbidden = (message: string, code: string | null = null) => new InferenceError(403, message, 'permission_error', code);
export const modelNotFound = (model: string) =>
  new InferenceError(
    404,
    `The model \`${model}\` does not exist or has no available supply`,
    'invalid_request_error',
    'model_not_found',
    'model',
  );
export const quotaExceeded = (message: string, code: string) => new InferenceError(402, message, 'insufficient_quota', code);
/** A spent budget is 402, never 429: OpenAI's SDKs retry a 429 by themselves, and a budget does not refill in seconds. */
export const budgetExceeded = (message: string, code: string) => new InferenceError(402, message, 'insufficient_quota', code);
export const rateLimited = (message: string, retryAfterSeconds: number, metadata: Record<string, unknown> | null = null) =>
  new InferenceError(429, message, 'rate_limit_error', 'rate_limit_exceeded', null, { 'retry-after': String(retryAfterSeconds) }, metadata);
export const upstreamFailed = (message: string) => new InferenceError(502, message, 'api_error', 'upstream_error');
export const unavailable = (message: string) => new InferenceError(503, message, 'api_error', 'service_unavailable');
