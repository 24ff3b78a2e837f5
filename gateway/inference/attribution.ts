// Who a request was for and how the buyer labels it: the end user (OpenAI's `user`), tags (the
// `x-df-tags` header and/or a top-level `tags` array, our extension as OpenRouter and LiteLLM
// have one) and OpenAI's `metadata`. Captured from a chat-shaped body, so every dialect whose body
// is translated to chat goes through this one function; a bad value is the caller's 400 before
// any upstream call. None of it reaches the provider: sellers are strangers, and the buyer's end
// users and labels are the buyer's own data (an OpenAI upstream also refuses `metadata` without `store`).
import { badRequest } from './openai-errors';

export const MAX_USER_CHARS = 256;
export const MAX_TAGS = 10;
export const MAX_TAG_CHARS = 64;
export const MAX_METADATA_KEYS = 16;
export const MAX_METADATA_KEY_CHARS = 64;
export const MAX_METADATA_VALUE_CHARS = 512;
/** Tags are labels for grouping and filtering: no commas (the header's separator), spaces or quotes. */
const TAG = /^[A-Za-z0-9_.:-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface Attribution {
  /** The buyer's end user (null: none given). */
  user: string | null;
  /** Distinct, in the order given (header first). */
  tags: string[];
  /** OpenAI's metadata, as key/value pairs in the order given (null: none given). */
  metadata: { key: string; value: string }[] | null;
}

/**
 * Reads and checks the attribution of a chat-shaped body (and the `x-df-tags` header), and removes
 * them from `upstream` (the body the provider gets).
 */
export function captureAttribution(
  body: Record<string, unknown>,
  tagsHeader: string | string[] | undefined,
  upstream?: Record<string, unknown>,
): Attribution {
  const attribution: Attribution = { user: endUser(body.user), tags: tags(body.tags, tagsHeader), metadata: metadata(body.metadata) };
  if (upstream) {
    delete upstream.tags;
    delete upstream.metadata;
    delete upstream.user;
  }
  return attribution;
}

function endUser(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw badRequest('`user` must be a string (an id of your end user)', 'user');
  if (value.length > MAX_USER_CHARS) throw badRequest(`\`user\` is at most ${MAX_USER_CHARS} characters`, 'user');
  if (CONTROL.test(value)) throw badRequest('`user` must not contain control characters', 'user');
  return value;
}

function tags(bodyTags: unknown, header: string | string[] | undefined): string[] {
  const found: string[] = [];
  if (header !== undefined) {
    // Node joins a repeated header with ", ": both forms read the same.
    const text = Array.isArray(header) ? header.join(',') : header;
    const parts = text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0);
    if (parts.length > MAX_TAGS) throw badRequest(`The x-df-tags header holds at most ${MAX_TAGS} tags`, 'x-df-tags', 'invalid_tags');
    for (const part of parts) {
      if (!TAG.test(part))
        throw badRequest(`Each tag in x-df-tags is 1 to ${MAX_TAG_CHARS} characters of A-Z a-z 0-9 _ . : -`, 'x-df-tags', 'invalid_tags');
      found.push(part);
    }
  }
  if (bodyTags !== undefined && bodyTags !== null) {
    if (!Array.isArray(bodyTags)) throw badRequest('`tags` must be an array of strings', 'tags', 'invalid_tags');
    if (bodyTags.length > MAX_TAGS) throw badRequest(`\`tags\` holds at most ${MAX_TAGS} tags`, 'tags', 'invalid_tags');
    bodyTags.forEach((tag, i) => {
      if (typeof tag !== 'string' || !TAG.test(tag))
        throw badRequest(`\`tags[${i}]\` must be 1 to ${MAX_TAG_CHARS} characters of A-Z a-z 0-9 _ . : -`, `tags[${i}]`, 'invalid_tags');
      found.push(tag);
    });
  }
  const distinct = [...new Set(found)];
  if (distinct.length > MAX_TAGS)
    throw badRequest(`A request carries at most ${MAX_TAGS} distinct tags (header and body together)`, 'tags', 'invalid_tags');
  return distinct;
}

function metadata(value: unknown): { key: string; value: string }[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw badRequest('`metadata` must be an object of string values', 'metadata', 'invalid_metadata');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_METADATA_KEYS)
    throw badRequest(`\`metadata\` holds at most ${MAX_METADATA_KEYS} keys`, 'metadata', 'invalid_metadata');
  const pairs: { key: string; value: string }[] = [];
  for (const [key, entry] of entries) {
    const where = `metadata.${key.slice(0, MAX_METADATA_KEY_CHARS)}`;
    if (key.length === 0 || key.length > MAX_METADATA_KEY_CHARS)
      throw badRequest(`\`metadata\` keys are 1 to ${MAX_METADATA_KEY_CHARS} characters`, 'metadata', 'invalid_metadata');
    if (typeof entry !== 'string') throw badRequest(`\`${where}\` must be a string`, where, 'invalid_metadata');
    if (entry.length > MAX_METADATA_VALUE_CHARS)
      throw badRequest(`\`${where}\` is at most ${MAX_METADATA_VALUE_CHARS} characters`, where, 'invalid_metadata');
    pairs.push({ key, value: entry });
  }
  return pairs.length > 0 ? pairs : null;
}
