// Fault knobs. Each request's effective config is resolved field by field: its x-simulator-* headers,
// then the faults set for its API key, then the simulator's defaults, then DEFAULT_FAULTS.
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './http';

export interface FaultConfig {
  /** 200 answers normally; 400–599 answers with an OpenAI-shaped error of that status. */
  status: number;
  /** Seconds for a `retry-after` header on an error status (null: no header). */
  retryAfter: number | null;
  /** Delay before anything is sent: the whole response, or a stream's headers. */
  latencyMs: number;
  /** Stream: delay from the headers to the first token chunk. */
  ttftMs: number;
  /** Stream: delay between token chunks. */
  chunkDelayMs: number;
  /** Chat reply length in tokens (one stream chunk each), instead of the request's; max_tokens still truncates. */
  chunks: number | null;
  /** 0: reset the connection before any byte. N ≥ 1: send N stream chunks (non-stream: the headers), then drop it. */
  cutAfter: number | null;
  /** Chat: reply with empty content and completion_tokens 0. */
  empty: boolean;
  /** Stream: every chunk in a single write, unspaced, as an upstream that buffers its "stream" does. */
  fakeStream: boolean;
  /** No usage: no usage chunk in a stream even when stream_options.include_usage asks; no `usage` in a plain answer. */
  noUsage: boolean;
  /** Stream: every chunk carries `"usage":null`, as OpenAI's do when include_usage is set; the usage chunk is unchanged. */
  nullUsage: boolean;
  /** Stream: events framed with CRLF instead of LF. */
  crlf: boolean;
  /** Lie: reported prompt_tokens and completion_tokens (and total) multiplied by this. */
  usageFactor: number;
  /** Lie: reported completion_tokens, whatever was generated (null: the honest count). */
  reportCompletionTokens: number | null;
  /** Reported usage.prompt_tokens_details.cached_tokens, capped at prompt_tokens (null: no details). */
  cachedTokens: number | null;
  /** Reported usage.completion_tokens_details.reasoning_tokens, added to completion_tokens without extra text (null: none). */
  reasoningTokens: number | null;
  /** The answer's `model` field instead of the requested model (null: the requested one). */
  answerModel: string | null;
  /** Lie: chat prompt_tokens counted with this tokenizer instead of o200k_base (a different model behind the name). */
  tokenizer: 'o200k_base' | 'cl100k_base';
  /** Lie: a forced tool call (tool_choice required or named) is answered with text. */
  ignoreTools: boolean;
  /** Lie: JSON replies (json_object, json_schema) are cut short, not parseable. */
  invalidJson: boolean;
  /** Lie: chat prompts above this many tokens are refused (context_length_exceeded), whatever the listing declares. */
  contextTokens: number | null;
}

export const DEFAULT_FAULTS: Readonly<FaultConfig> = {
  status: 200,
  retryAfter: null,
  latencyMs: 0,
  ttftMs: 30,
  chunkDelayMs: 10,
  chunks: null,
  cutAfter: null,
  empty: false,
  fakeStream: false,
  noUsage: false,
  nullUsage: false,
  crlf: false,
  usageFactor: 1,
  reportCompletionTokens: null,
  cachedTokens: null,
  reasoningTokens: null,
  answerModel: null,
  tokenizer: 'o200k_base',
  ignoreTools: false,
  invalidJson: false,
  contextTokens: null,
};

type Field =
  | { header: string; kind: 'bool' }
  | { header: string; kind: 'int'; min: number; max: number; nullable: boolean }
  | { header: string; kind: 'string'; min: number; max: number; nullable: boolean }
  | { header: string; kind: 'enum'; values: readonly string[] };

const MAX_DELAY_MS = 600_000;

const int = (header: string, min: number, max: number, nullable = false): Field => ({ header, kind: 'int', min, max, nullable });
const bool = (header: string): Field => ({ header, kind: 'bool' });
const string = (header: string, min: number, max: number, nullable = false): Field => ({ header, kind: 'string', min, max, nullable });
const oneOf = (header: string, values: readonly string[]): Field => ({ header, kind: 'enum', values });

const FIELDS: Record<keyof FaultConfig, Field> = {
  status: int('x-simulator-status', 200, 599),
  retryAfter: int('x-simulator-retry-after', 0, 86_400, true),
  latencyMs: int('x-simulator-latency-ms', 0, MAX_DELAY_MS),
  ttftMs: int('x-simulator-ttft-ms', 0, MAX_DELAY_MS),
  chunkDelayMs: int('x-simulator-chunk-delay-ms', 0, MAX_DELAY_MS),
  chunks: int('x-simulator-chunks', 1, 4096, true),
  cutAfter: int('x-simulator-cut-after', 0, 1_000_000, true),
  empty: bool('x-simulator-empty'),
  fakeStream: bool('x-simulator-fake-stream'),
  noUsage: bool('x-simulator-no-usage'),
  nullUsage: bool('x-simulator-null-usage'),
  crlf: bool('x-simulator-crlf'),
  usageFactor: int('x-simulator-usage-factor', 1, 100_000),
  reportCompletionTokens: int('x-simulator-report-completion-tokens', 0, 10_000_000, true),
  cachedTokens: int('x-simulator-cached-tokens', 0, 1_000_000, true),
  reasoningTokens: int('x-simulator-reasoning-tokens', 0, 1_000_000, true),
  answerModel: string('x-simulator-answer-model', 1, 200, true),
  tokenizer: oneOf('x-simulator-tokenizer', ['o200k_base', 'cl100k_base']),
  ignoreTools: bool('x-simulator-ignore-tools'),
  invalidJson: bool('x-simulator-invalid-json'),
  contextTokens: int('x-simulator-context-tokens', 1, 10_000_000, true),
};
const NAMES = Object.keys(FIELDS) as (keyof FaultConfig)[];

function check(name: keyof FaultConfig, field: Field, value: unknown, param: string): unknown {
  if (field.kind === 'bool') {
    if (typeof value === 'boolean') return value;
    throw new ApiError(400, `${param} must be a boolean.`, 'invalid_request_error', null, param);
  }
  if (field.kind === 'enum') {
    if (typeof value === 'string' && field.values.includes(value)) return value;
    throw new ApiError(400, `${param} must be one of ${field.values.join(', ')}.`, 'invalid_request_error', null, param);
  }
  if (value === null && field.nullable) return null;
  if (field.kind === 'string') {
    if (typeof value === 'string' && value.length >= field.min && value.length <= field.max) return value;
    throw new ApiError(
      400,
      `${param} must be a string of ${field.min} to ${field.max} characters${field.nullable ? ' (or null)' : ''}.`,
      'invalid_request_error',
      null,
      param,
    );
  }
  const ok =
    Number.isInteger(value) &&
    (value as number) >= field.min &&
    (value as number) <= field.max &&
    (name !== 'status' || value === 200 || (value as number) >= 400);
  if (ok) return value;
  const range = name === 'status' ? '200 or 400–599' : `an integer from ${field.min} to ${field.max}`;
  throw new ApiError(400, `${param} must be ${range}${field.nullable ? ' (or null)' : ''}.`, 'invalid_request_error', null, param);
}

/** Validates a partial config given as JSON (admin route) or in code; unknown fields are rejected. */
export function faultsFromJson(value: unknown): Partial<FaultConfig> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'Faults must be a JSON object.');
  }
  const faults: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(value)) {
    const field = Object.hasOwn(FIELDS, name) ? FIELDS[name as keyof FaultConfig] : undefined;
    if (!field) throw new ApiError(400, `Unknown fault "${name}"; known: ${NAMES.join(', ')}.`, 'invalid_request_error', null, name);
    if (raw !== undefined) faults[name] = check(name as keyof FaultConfig, field, raw, name);
  }
  return faults as Partial<FaultConfig>;
}

const HEADER_BOOLEANS = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

/** The request's x-simulator-* overrides, or null when it has none (the common, allocation-free case). */
export function faultsFromHeaders(headers: IncomingHttpHeaders): Partial<FaultConfig> | null {
  let faults: Record<string, unknown> | null = null;
  for (const name of NAMES) {
    const field = FIELDS[name];
    const raw = headers[field.header];
    if (typeof raw !== 'string') continue;
    // Unparseable text is passed on as is, for check() to reject with the header's name.
    const value = field.kind === 'bool' ? (HEADER_BOOLEANS.get(raw) ?? raw) : field.kind === 'int' && /^\d+$/.test(raw) ? Number(raw) : raw;
    (faults ??= {})[name] = check(name, field, value, field.header);
  }
  return faults as Partial<FaultConfig> | null;
}
