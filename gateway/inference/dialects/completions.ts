// Legacy Completions (POST /v1/completions) over the chat pipeline: the prompt becomes one user
// message and each chat choice's text a completion choice (the prompt put in front with `echo`).
// What a chat upstream cannot honour is refused rather than faked: `suffix` (fill-in-the-middle),
// `logprobs`, token-id prompts and several prompts in one request.
import { badRequest, type InferenceError } from '../openai-errors';
import { MAX_CHOICES } from '../parse';
import { usd } from '../respond/headers';
import type { BilledView, Dialect, DialectContext, DialectStream } from './dialect';
import {
  boolean,
  given,
  idBase,
  integerIn,
  isObject,
  numberIn,
  refuseUnknown,
  stop,
  string,
  unixSeconds,
  type Body,
} from './openai-params';

const KNOWN = new Set([
  'model',
  'prompt',
  'max_tokens',
  'temperature',
  'top_p',
  'n',
  'stop',
  'user',
  'stream',
  'stream_options',
  'echo',
  'suffix',
  'logprobs',
  'best_of',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'seed',
  'provider',
]);
/** The legacy API's own default, far below chat's: a completion without max_tokens is short. */
export const LEGACY_DEFAULT_MAX_TOKENS = 16;

export const completionsDialect: Dialect = {
  name: 'completions',
  authorization: (headers) => headers.authorization,
  toChat,
  fromChat,
  openStream,
  error: (error: InferenceError) => ({ status: error.status, body: error.body() }),
};

/** The one prompt: a string, or an array holding one string. */
function promptOf(prompt: unknown): string {
  const refuse = (message: string) => badRequest(message, 'prompt');
  if (Array.isArray(prompt)) {
    if (prompt.length === 0) throw refuse('`prompt` must not be an empty array');
    if (prompt.some((p) => typeof p === 'number' || Array.isArray(p)))
      throw refuse('`prompt` as token ids is not supported: send the prompt as a string');
    if (prompt.length > 1) throw refuse('`prompt` with several prompts is not supported: send one prompt per request');
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string') throw refuse('`prompt` must be a string (or an array of one string)');
  if (prompt.length === 0) throw refuse('`prompt` must not be empty');
  return prompt;
}

function toChat(body: Body): Body {
  refuseUnknown(body, KNOWN);
  if (given(body.suffix))
    throw badRequest('`suffix` is not supported: completions are translated to chat, which has no fill-in-the-middle', 'suffix');
  if (given(body.logprobs))
    throw badRequest(
      '`logprobs` is not supported: completions are translated to chat, whose token log probabilities do not map onto the legacy ones',
      'logprobs',
    );
  const prompt = promptOf(body.prompt);
  const chat: Body = { model: body.model, messages: [{ role: 'user', content: prompt }] };
  chat.max_tokens = integerIn(body, 'max_tokens', 1, 1_000_000) ?? LEGACY_DEFAULT_MAX_TOKENS;
  const n = integerIn(body, 'n', 1, MAX_CHOICES);
  if (n !== undefined) chat.n = n;
  const bestOf = integerIn(body, 'best_of', 1, MAX_CHOICES);
  // best_of above n ranks candidates by log probability, which a chat upstream does not give back.
  if (bestOf !== undefined && bestOf !== (n ?? 1))
    throw badRequest('`best_of` other than `n` is not supported: the candidates cannot be ranked through chat', 'best_of');
  for (const [field, min, max] of [
    ['temperature', 0, 2],
    ['top_p', 0, 1],
    ['presence_penalty', -2, 2],
    ['frequency_penalty', -2, 2],
  ] as const) {
    const value = numberIn(body, field, min, max);
    if (value !== undefined) chat[field] = value;
  }
  const stops = stop(body);
  if (stops !== undefined) chat.stop = stops;
  const user = string(body, 'user', 256);
  if (user !== undefined) chat.user = user;
  const seed = integerIn(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (seed !== undefined) chat.seed = seed;
  if (given(body.logit_bias)) {
    const bias = body.logit_bias;
    if (!isObject(bias) || Object.values(bias).some((v) => typeof v !== 'number' || v < -100 || v > 100))
      throw badRequest('`logit_bias` must map token ids to numbers from -100 to 100', 'logit_bias');
    chat.logit_bias = bias;
  }
  boolean(body, 'echo');
  // OpenRouter's routing preferences, checked by the parse stage as for chat.
  if (given(body.provider)) chat.provider = body.provider;
  const stream = boolean(body, 'stream');
  if (stream !== undefined) chat.stream = stream;
  if (given(body.stream_options)) {
    if (!isObject(body.stream_options)) throw badRequest('`stream_options` must be an object', 'stream_options');
    if (given(body.stream_options.include_usage) && typeof body.stream_options.include_usage !== 'boolean')
      throw badRequest('`stream_options.include_usage` must be a boolean', 'stream_options.include_usage');
  }
  return chat;
}

/** The prompt again, for `echo` (the request already passed toChat, so it is a string or [string]). */
const echoed = (ctx: DialectContext): string =>
  ctx.original.echo === true ? (Array.isArray(ctx.original.prompt) ? String(ctx.original.prompt[0]) : String(ctx.original.prompt)) : '';

function usageOf(billed: BilledView): Body {
  return {
    prompt_tokens: billed.inputTokens,
    completion_tokens: billed.outputTokens,
    total_tokens: billed.inputTokens + billed.outputTokens,
    cost_usd: usd(billed.costMicros),
  };
}

const head = (ctx: DialectContext) => ({
  id: `cmpl-${idBase(ctx.requestId)}`,
  object: 'text_completion',
  created: unixSeconds(ctx.startedAt),
  model: ctx.model,
});

function fromChat(chat: Body, billed: BilledView, ctx: DialectContext): unknown {
  const prefix = echoed(ctx);
  const choices = (Array.isArray(chat.choices) ? chat.choices : []).map((choice, i) => {
    const c = (isObject(choice) ? choice : {}) as { index?: unknown; message?: Body; finish_reason?: unknown };
    const content = typeof c.message?.content === 'string' ? c.message.content : '';
    return {
      text: prefix + content,
      index: typeof c.index === 'number' ? c.index : i,
      logprobs: null,
      finish_reason: c.finish_reason ?? 'stop',
    };
  });
  return { ...head(ctx), choices, usage: usageOf(billed) };
}

/** Chunks of `text_completion` objects, the usage chunk only for a buyer that asked, then [DONE]. */
function openStream(ctx: DialectContext): DialectStream {
  const top = head(ctx);
  const data = (choices: unknown[], extra: Body = {}) => `data: ${JSON.stringify({ ...top, choices, ...extra })}\n\n`;
  const options = ctx.original.stream_options;
  const wantsUsage = isObject(options) && options.include_usage === true;
  return {
    start: () => {
      // The echoed prompt comes first, once per choice.
      const prefix = echoed(ctx);
      if (!prefix) return '';
      const n = typeof ctx.original.n === 'number' ? ctx.original.n : 1;
      return data(Array.from({ length: n }, (_, index) => ({ text: prefix, index, logprobs: null, finish_reason: null })));
    },
    chunk: (payload) => {
      const choices = (payload.choices as unknown[]).map((choice, i) => {
        const c = (isObject(choice) ? choice : {}) as { index?: unknown; delta?: Body; finish_reason?: unknown };
        const text = typeof c.delta?.content === 'string' ? c.delta.content : '';
        return { text, index: typeof c.index === 'number' ? c.index : i, logprobs: null, finish_reason: c.finish_reason ?? null };
      });
      return data(choices);
    },
    finish: (billed) => (wantsUsage ? data([], { usage: usageOf(billed) }) : '') + 'data: [DONE]\n\n',
    fail: (message) => `data: ${JSON.stringify({ error: { message, type: 'api_error', code: 'upstream_error', param: null } })}\n\n`,
  };
}
