// The gateway's own token counts, with a real BPE tokenizer (o200k_base): what a request may bill
// as prompt (for the reservation) and what a buyer actually received (to check the upstream's
// reported usage). Every function here is bounded in time whatever a hostile body holds.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Text beyond this many characters is not tokenised but counted as its UTF-8 length, an upper
 * bound (every o200k token is at least one byte): a 16 MB prompt must not hold the event loop.
 */
const MAX_EXACT_CHARS = 256 * 1024;
/** BPE merges are quadratic in a run without whitespace; longer runs are cut into pieces this long. */
const MAX_RUN = 48;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, 'g');
/** OpenAI's chat framing: tokens around each message, and the priming of the reply. */
const PER_MESSAGE = 4;
const PER_NAME = 1;
const REPLY_PRIMING = 3;
/** An image part, whatever its size: above the largest tile count any current vision model bills. */
export const IMAGE_TOKENS = 1_600;
/** Audio or file parts are billed by the upstream in ways the gateway cannot count: a fixed allowance. */
const OPAQUE_PART_TOKENS = 4_096;

/** Tokens of a text (exact for ordinary text; an upper bound for pathological runs or huge texts). */
export function countText(text: string): number {
  if (text.length === 0) return 0;
  let head = text.length > MAX_EXACT_CHARS ? text.slice(0, MAX_EXACT_CHARS) : text;
  const tail = text.length > MAX_EXACT_CHARS ? Buffer.byteLength(text.slice(MAX_EXACT_CHARS)) : 0;
  // A piece boundary can only prevent a merge, so cutting long runs never undercounts by more
  // than a token per piece; in exchange the cost stays linear.
  if (head.length > MAX_RUN) head = head.replace(LONG_RUN, (run) => run.replace(new RegExp(`.{${MAX_RUN}}`, 'gsu'), '$& '));
  return countTokens(head) + tail;
}

type Json = unknown;

function textOfContent(content: Json, images: { count: number; opaque: number }): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content == null ? '' : JSON.stringify(content);
  let text = '';
  for (const part of content) {
    if (typeof part === 'string') text += part;
    else if (part && typeof part === 'object') {
      const p = part as Record<string, Json>;
      if (typeof p.text === 'string') text += p.text;
      else if (p.type === 'image_url' || p.type === 'image') images.count++;
      else if (p.type === 'input_audio' || p.type === 'file') images.opaque++;
      else text += JSON.stringify(p);
    }
  }
  return text;
}

/**
 * What a chat request may bill as prompt: OpenAI's per-message framing around the messages' text,
 * their tool calls, and every other field the upstream renders into the prompt (tools, functions,
 * response_format, tool_choice), counted as their JSON text (more than any upstream's rendering).
 * The body is validated before this runs (messages is an array of objects, depth bounded).
 */
export function countChatPrompt(body: Record<string, Json>): number {
  const messages = body.messages as Record<string, Json>[];
  const parts = { count: 0, opaque: 0 };
  let text = '';
  let framing = REPLY_PRIMING;
  for (const message of messages) {
    framing += PER_MESSAGE;
    if (typeof message.role === 'string') text += message.role + '\n';
    if (typeof message.name === 'string') {
      text += message.name + '\n';
      framing += PER_NAME;
    }
    text += textOfContent(message.content, parts) + '\n';
    if (message.tool_calls !== undefined) text += JSON.stringify(message.tool_calls) + '\n';
    if (message.function_call !== undefined) text += JSON.stringify(message.function_call) + '\n';
    if (typeof message.tool_call_id === 'string') text += message.tool_call_id + '\n';
    if (typeof message.refusal === 'string') text += message.refusal + '\n';
  }
  for (const field of ['tools', 'functions', 'response_format', 'tool_choice', 'function_call', 'prediction']) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== 'string') text += JSON.stringify(value) + '\n';
  }
  return countText(text) + framing + parts.count * IMAGE_TOKENS + parts.opaque * OPAQUE_PART_TOKENS;
}

/** What an embeddings request bills: the tokens of every input (token-id arrays count as their length). */
export function countEmbeddingInput(input: Json): number {
  if (typeof input === 'string') return countText(input);
  if (!Array.isArray(input)) return 0;
  if (input.every((v) => typeof v === 'number')) return input.length;
  let total = 0;
  let text = '';
  for (const item of input) {
    if (typeof item === 'string') text += item + '\n';
    else if (Array.isArray(item)) total += item.length;
  }
  // Each input is framed on its own upstream; one count over all of them, plus one per input, bounds it.
  return total + countText(text) + input.length;
}

/**
 * The visible output of one chat completion message (or stream delta): content, refusal, reasoning
 * text and tool calls (function names and arguments). Appended to `into` per choice index.
 */
export function collectCompletionText(message: Record<string, Json> | null | undefined, into: string[]): void {
  if (!message || typeof message !== 'object') return;
  const content = message.content;
  if (typeof content === 'string') into.push(content);
  else if (Array.isArray(content))
    for (const part of content) if (part && typeof (part as { text?: Json }).text === 'string') into.push((part as { text: string }).text);
  for (const field of ['refusal', 'reasoning_content', 'reasoning'])
    if (typeof message[field] === 'string') into.push(message[field] as string);
  const calls = message.tool_calls;
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const fn = (call as { function?: { name?: Json; arguments?: Json } } | null)?.function;
      if (typeof fn?.name === 'string') into.push(fn.name);
      if (typeof fn?.arguments === 'string') into.push(fn.arguments);
    }
  }
  const legacy = message.function_call as { name?: Json; arguments?: Json } | undefined;
  if (legacy && typeof legacy === 'object') {
    if (typeof legacy.name === 'string') into.push(legacy.name);
    if (typeof legacy.arguments === 'string') into.push(legacy.arguments);
  }
}
