// Field checks for the OpenAI-shaped dialects (Responses, legacy Completions). Their bodies are
// rebuilt as chat bodies field by field, so each field is checked here under the buyer's own name:
// a wrong type is a 400 that says which field and what it must be, before anything is reserved.
import { badRequest } from '../openai-errors';

export type Body = Record<string, unknown>;

export const isObject = (value: unknown): value is Body => value !== null && typeof value === 'object' && !Array.isArray(value);
/** Set and not null (OpenAI's SDKs send null for "not given"). */
export const given = (value: unknown): boolean => value !== undefined && value !== null;

/** OpenAI's answer to a parameter it does not know, so that a typo is not silently dropped. */
export function refuseUnknown(body: Body, known: ReadonlySet<string>, where = ''): void {
  for (const name of Object.keys(body)) {
    if (!known.has(name)) throw badRequest(`Unknown parameter: '${where}${name}'.`, `${where}${name}`, 'unknown_parameter');
  }
}

export function numberIn(body: Body, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (!given(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw badRequest(`\`${field}\` must be a number from ${min} to ${max}`, field);
  return value;
}

export function integerIn(body: Body, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (!given(value)) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
    throw badRequest(`\`${field}\` must be an integer from ${min} to ${max}`, field);
  return value as number;
}

export function boolean(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (!given(value)) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`\`${field}\` must be a boolean`, field);
  return value;
}

export function string(body: Body, field: string, maxLength: number, param = field): string | undefined {
  const value = body[field];
  if (!given(value)) return undefined;
  if (typeof value !== 'string') throw badRequest(`\`${param}\` must be a string`, param);
  if (value.length > maxLength) throw badRequest(`\`${param}\` is at most ${maxLength} characters`, param);
  return value;
}

/** OpenAI's metadata rules: at most 16 pairs, keys up to 64 characters, string values up to 512. */
export function metadata(body: Body): Record<string, string> | undefined {
  const value = body.metadata;
  if (!given(value)) return undefined;
  if (!isObject(value)) throw badRequest('`metadata` must be an object of string values', 'metadata');
  const entries = Object.entries(value);
  if (entries.length > 16) throw badRequest('`metadata` has at most 16 keys', 'metadata');
  for (const [key, v] of entries) {
    if (key.length > 64) throw badRequest('`metadata` keys are at most 64 characters', 'metadata');
    if (typeof v !== 'string' || v.length > 512)
      throw badRequest(`\`metadata.${key}\` must be a string of at most 512 characters`, 'metadata');
  }
  return value as Record<string, string>;
}

/** `stop`: a string or up to four strings, as chat takes it. */
export function stop(body: Body): string | string[] | undefined {
  const value = body.stop;
  if (!given(value)) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length <= 4 && value.every((s) => typeof s === 'string')) return value as string[];
  throw badRequest('`stop` must be a string or an array of up to 4 strings', 'stop');
}

/** The part of a request id after `req_`, for the ids of the answer's objects. */
export const idBase = (requestId: string): string => requestId.replace(/^req_/, '');
export const unixSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
