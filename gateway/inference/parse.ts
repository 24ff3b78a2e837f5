// The parse stage: the body is checked, counted and serialised for the upstream once, before any
// attempt. Whatever is wrong here is the caller's 400, never a provider failure.
import { captureAttribution } from './attribution';
import { badRequest } from './openai-errors';
import { parseModelVariant, parseProviderPreferences } from './provider-routing';
import type { InferenceRequest } from './request';
import { countChatPrompt, countEmbeddingInput } from './tokens';

/** Deeper JSON than this is refused (JSON schemas in tools stay far below it). */
export const MAX_BODY_DEPTH = 64;
export const MAX_CHOICES = 16;
/** The output cap the gateway sends upstream when the request sets none (the reservation covers it). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
const MAX_OUTPUT_TOKENS = 1_000_000;

/** Depth of a parsed JSON value without recursion (a 20,000-deep body must not overflow the stack). */
export function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** A conversation id the buyer chooses for sticky routing (`x-df-session`). */
const SESSION = /^[\x21-\x7e]{1,128}$/;

export function parse(
  request: InferenceRequest,
  options: { defaultMaxOutputTokens?: number; tagsHeader?: string | string[]; sessionHeader?: string | string[] } = {},
): void {
  const body = request.body;
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 200)
    throw badRequest('`model` is required (a model id such as acme/sim-chat)', 'model');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(model)) throw badRequest('`model` must not contain control characters', 'model');
  if (depthExceeds(body, MAX_BODY_DEPTH))
    throw badRequest(`The request body is nested more than ${MAX_BODY_DEPTH} levels deep`, null, 'body_too_deep');
  const variant = parseModelVariant(model);
  request.model = variant.model;
  request.variantSort = variant.sort;
  request.providerPreferences = parseProviderPreferences(body.provider);
  const session = Array.isArray(options.sessionHeader) ? options.sessionHeader[0] : options.sessionHeader;
  if (session !== undefined) {
    if (!SESSION.test(session)) throw badRequest('`x-df-session` must be 1 to 128 visible ASCII characters', 'x-df-session');
    request.session = session;
  }

  const upstream: Record<string, unknown> = { ...body };
  delete upstream.model;
  // Routing preferences are the platform's business, not the seller's.
  delete upstream.provider;
  request.attribution = captureAttribution(body, options.tagsHeader, upstream);
  if (request.capability === 'chat') parseChat(request, upstream, options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
  else if (request.capability === 'embeddings') parseEmbeddings(request);
  else parseSpeech(request);

  try {
    request.upstreamJsonTail = JSON.stringify(upstream);
  } catch {
    throw badRequest('The request body cannot be forwarded (it could not be serialised)', null, 'invalid_body');
  }
}

function parseChat(request: InferenceRequest, upstream: Record<string, unknown>, defaultMaxOutputTokens: number): void {
  const body = request.body;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest('`messages` must be a non-empty array', 'messages');
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!m || typeof m !== 'object' || Array.isArray(m))
      throw badRequest(`\`messages[${i}]\` must be an object with a role and content`, `messages[${i}]`);
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw badRequest('`stream` must be a boolean', 'stream');
  const n = body.n ?? 1;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_CHOICES)
    throw badRequest(`\`n\` must be an integer from 1 to ${MAX_CHOICES}`, 'n');
  request.choices = n as number;
  const param = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  const asked = body[param];
  if (
    asked !== undefined &&
    asked !== null &&
    (!Number.isInteger(asked) || (asked as number) < 1 || (asked as number) > MAX_OUTPUT_TOKENS)
  ) {
    throw badRequest(`\`${param}\` must be a positive integer`, param);
  }
  if (asked === undefined || asked === null) {
    // The reservation and the upstream must agree on the most it may generate: the cap is set
    // explicitly, per listing within its context (the route stage; upstreamBody splices it in).
    request.maxTokens = defaultMaxOutputTokens;
    request.defaultedMaxTokens = true;
    delete upstream.max_tokens;
    delete upstream.max_completion_tokens;
  } else {
    request.maxTokens = asked as number;
  }
  // Usage must always be known to meter the request; the client sees it only if it asked.
  if (body.stream === true)
    upstream.stream_options = { ...(isObject(body.stream_options) ? body.stream_options : {}), include_usage: true };
  request.countedPrompt = countChatPrompt(body);
}

function parseEmbeddings(request: InferenceRequest): void {
  const input = request.body.input;
  const ok = typeof input === 'string' ? input.length > 0 : Array.isArray(input) && input.length > 0 && input.length <= 2048;
  if (!ok) throw badRequest('`input` must be a non-empty string or array', 'input');
  request.countedPrompt = countEmbeddingInput(input);
}

function parseSpeech(request: InferenceRequest): void {
  const input = request.body.input;
  if (typeof input !== 'string' || input.length === 0) throw badRequest('`input` must be a non-empty string', 'input');
  if (input.length > 4096) throw badRequest('`input` is at most 4096 characters', 'input');
  request.characters = [...input].length;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
