// A dialect is one API that buyers speak to the data plane (OpenAI Chat Completions, Anthropic
// Messages, OpenAI Responses, legacy Completions). Every dialect runs the same pipeline: its body
// is turned into a Chat Completions body before the parse stage, and the upstream's chat answer
// (usage already replaced by what is billed) is turned back into the dialect's answer, whole or as
// its own stream of events. Errors take the dialect's own envelope.
import type { IncomingHttpHeaders } from 'node:http';
import type { InferenceError } from '../openai-errors';

export type DialectName = 'chat' | 'messages' | 'responses' | 'completions';

/** What a dialect may read about the request while translating its answer. */
export interface DialectContext {
  /** The request id (x-request-id), also the id of the answer object where a dialect has one. */
  readonly requestId: string;
  /** The model the buyer called. */
  readonly model: string;
  /** When the gateway received the request. */
  readonly startedAt: Date;
  /** The buyer's own body, before translation. */
  readonly original: Record<string, unknown>;
  /** The prompt tokens by the gateway's count (known before any answer: Anthropic's message_start shows them). */
  readonly countedPrompt: number;
}

/** What a request was billed, in the fields every dialect maps to its own usage object. */
export interface BilledView {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costMicros: number;
}

export interface DialectStream {
  /** Events written before the first upstream chunk (e.g. message_start, response.created). */
  start(): string;
  /** One chat chunk from the upstream (its usage taken out) as this dialect's events. */
  chunk(payload: Record<string, unknown>): string;
  /** The end of a complete answer, with what it was billed. */
  finish(billed: BilledView): string;
  /** The answer failed after it began: the dialect's error event. */
  fail(message: string): string;
}

export interface ErrorAnswer {
  status: number;
  body: unknown;
}

export interface Dialect {
  readonly name: DialectName;
  /**
   * The buyer's credential as an `Authorization` header value. Chat reads `Authorization`;
   * Anthropic's clients send `x-api-key` (or Bearer, with an auth token).
   */
  authorization(headers: IncomingHttpHeaders): string | undefined;
  /**
   * The buyer's body as a Chat Completions body; throws the caller's InferenceError on bad input.
   * The headers are there for what a dialect versions by header (Anthropic's `anthropic-version`).
   */
  toChat(body: Record<string, unknown>, headers: IncomingHttpHeaders): Record<string, unknown>;
  /** A complete chat answer (its usage already what is billed) as this dialect's answer. */
  fromChat(chat: Record<string, unknown>, billed: BilledView, context: DialectContext): unknown;
  /** The translator of one streamed answer. */
  openStream(context: DialectContext): DialectStream;
  /** An error in this dialect's envelope (status may change: Anthropic's overload is 529); the request id for envelopes that name it. */
  error(error: InferenceError, requestId: string): ErrorAnswer;
  /** Headers on every answer of the dialect's routes, errors included (Anthropic's SDKs read `request-id`). */
  responseHeaders?(requestId: string): Record<string, string>;
}

/** Chat Completions itself: nothing to translate, so the respond stages keep their pass-through paths. */
export const chatDialect: Dialect = {
  name: 'chat',
  authorization: (headers) => headers.authorization,
  toChat: (body) => body,
  fromChat: (chat) => chat,
  openStream: () => {
    throw new Error('chat streams pass through untranslated');
  },
  error: (error) => ({ status: error.status, body: error.body() }),
};

/** What an outcome was billed, for a dialect's usage object. */
export function billedView(
  billed: { inputTokens: number; outputTokens: number; cachedInputTokens: number; reasoningTokens: number } | null,
  costMicros: number,
): BilledView {
  return {
    inputTokens: billed?.inputTokens ?? 0,
    outputTokens: billed?.outputTokens ?? 0,
    cachedInputTokens: billed?.cachedInputTokens ?? 0,
    reasoningTokens: billed?.reasoningTokens ?? 0,
    costMicros,
  };
}

/** One SSE event with a name (Anthropic and Responses name every event). */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
