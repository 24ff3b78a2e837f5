// POST /v1/chat/completions: validation, a deterministic reply (text, tool call or JSON), and its
// non-streaming and streaming shapes.
//
// Reply length: the x-simulator-chunks fault if set, else max_completion_tokens / max_tokens, else
// DEFAULT_REPLY_TOKENS; never above MAX_REPLY_TOKENS. A reply longer than the request's limit is
// cut to it with finish_reason "length". JSON replies are never cut (they stay parseable): their
// text field is budgeted to the length, and the count covers the whole JSON.
//
// Usage is honest by the simulator's tokenizer (tokens.ts): completion_tokens is the number of
// tokens generated (one per stream chunk); prompt_tokens is, per message, the tokens of its text
// content plus MESSAGE_OVERHEAD_TOKENS for the role and framing, as real chat formats add.
import { randomUUID } from 'node:crypto';
import type { FaultConfig } from './faults';
import { invalid } from './http';
import type { Reply } from './respond';
import { sampleFromSchema } from './schema-sample';
import { countTokens, tokenize } from './tokens';

const DEFAULT_REPLY_TOKENS = 32;
const MAX_REPLY_TOKENS = 4096;
export const MESSAGE_OVERHEAD_TOKENS = 3;
const QUOTED_WORDS = 6;

// Each cycle starts with whitespace, so consecutive cycles (and the lead before them) never merge
// into different tokens when joined.
const FILLER = tokenize(' The quick brown fox jumps over the lazy dog while the simulator keeps talking, one token at a time.');

type Body = Record<string, unknown>;

interface ToolCall {
  id: string;
  name: string;
  /** The JSON arguments, as the stream sends them. */
  argumentTokens: string[];
}

interface Completion {
  /** Text content, as the stream sends it; empty for a tool call. */
  tokens: string[];
  toolCall: ToolCall | null;
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export function chatCompletion(body: Body, faults: FaultConfig): Reply {
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw invalid('model', 'you must provide a model parameter');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('messages', "'messages' must be a non-empty array");
  messages.forEach((message, i) => {
    if (typeof message !== 'object' || message === null || typeof (message as Body).role !== 'string') {
      throw invalid(`messages[${i}]`, `'messages[${i}]' must be an object with a string 'role'`);
    }
  });
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalid('stream', "'stream' must be a boolean");

  const completion = complete(body, messages as Body[], faults);
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (body.stream !== true) return { kind: 'json', body: completionBody(id, created, model, completion) };
  const includeUsage = !faults.noUsage && (body.stream_options as Body | undefined)?.include_usage === true;
  return completionStream(id, created, model, completion, includeUsage);
}

function complete(body: Body, messages: Body[], faults: FaultConfig): Completion {
  const limit = maxTokens(body);
  const wanted = Math.min(faults.chunks ?? limit ?? DEFAULT_REPLY_TOKENS, MAX_REPLY_TOKENS);
  const length = limit === null ? wanted : Math.min(wanted, limit);
  const tool = chosenTool(body);
  const format = responseFormat(body);
  const promptTokens = messages.reduce((sum, m) => sum + MESSAGE_OVERHEAD_TOKENS + countTokens(textOf(m.content)), 0);
  const done = (finishReason: Completion['finishReason'], tokens: string[], toolCall: ToolCall | null, completionTokens: number): Completion => ({
    tokens,
    toolCall,
    finishReason,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });

  if (faults.empty) return done('stop', [], null, 0);
  if (tool) {
    const argumentTokens = tokenize(JSON.stringify(tool.parameters === undefined ? {} : sampleFromSchema(tool.parameters)));
    const call = { id: `call_${randomUUID().replaceAll('-', '')}`, name: tool.name, argumentTokens };
    return done('tool_calls', [], call, countTokens(tool.name) + argumentTokens.length);
  }
  const prompt = lastUserText(messages);
  if (format === 'text') {
    const tokens = replyTokens(prompt, length);
    return done(length < wanted ? 'length' : 'stop', tokens, null, tokens.length);
  }
  const json = format === 'json_object' ? { reply: replyTokens(prompt, length).join('') } : sampleFromSchema(format.schema);
  const tokens = tokenize(JSON.stringify(json));
  return done('stop', tokens, null, tokens.length);
}

/** "Simulated reply to: <first words of the prompt>…" then filler, exactly `length` tokens. */
function replyTokens(prompt: string, length: number): string[] {
  const words = prompt.trimStart().split(/\s+/, QUOTED_WORDS).filter(Boolean);
  const lead = tokenize(words.length > 0 ? `Simulated reply to: ${words.join(' ')}…` : 'Simulated reply.');
  const tokens = lead.length > length ? lead.slice(0, length) : lead;
  for (let i = 0; tokens.length < length; i++) tokens.push(FILLER[i % FILLER.length]);
  return tokens;
}

function maxTokens(body: Body): number | null {
  for (const param of ['max_completion_tokens', 'max_tokens']) {
    const value = body[param];
    if (value === undefined || value === null) continue;
    if (!Number.isInteger(value) || (value as number) < 1) throw invalid(param, `'${param}' must be a positive integer`);
    return value as number;
  }
  return null;
}

/** The tool the request forces ("required" or a named function); null lets the model answer in text. */
function chosenTool(body: Body): { name: string; parameters: unknown } | null {
  const { tools, tool_choice: choice } = body;
  if (tools === undefined || tools === null) {
    if (choice !== undefined && choice !== null && choice !== 'none' && choice !== 'auto') {
      throw invalid('tool_choice', "'tool_choice' is only allowed when 'tools' are specified");
    }
    return null;
  }
  if (!Array.isArray(tools)) throw invalid('tools', "'tools' must be an array");
  const functions = tools.map((tool, i) => {
    const fn = (tool as Body | null)?.function as Body | undefined;
    if (typeof fn?.name !== 'string' || fn.name === '') throw invalid(`tools[${i}]`, `'tools[${i}].function.name' is required`);
    return { name: fn.name, parameters: fn.parameters };
  });
  if (choice === undefined || choice === null || choice === 'auto' || choice === 'none') return null;
  if (choice === 'required') {
    if (functions.length === 0) throw invalid('tool_choice', "'tool_choice' is 'required' but 'tools' is empty");
    return functions[0];
  }
  const name = ((choice as Body).function as Body | undefined)?.name;
  const named = functions.find((fn) => fn.name === name);
  if (!named) throw invalid('tool_choice', "'tool_choice' must be 'none', 'auto', 'required' or name one of the tools");
  return named;
}

function responseFormat(body: Body): 'text' | 'json_object' | { schema: unknown } {
  const format = body.response_format as Body | undefined | null;
  if (format === undefined || format === null) return 'text';
  switch (format.type) {
    case 'text':
    case 'json_object':
      return format.type;
    case 'json_schema':
      return { schema: (format.json_schema as Body | undefined)?.schema ?? { type: 'object' } };
    default:
      throw invalid('response_format', "'response_format.type' must be 'text', 'json_object' or 'json_schema'");
  }
}

/** A message's text: a string content, or the text parts of an array content. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is { text: string } => typeof (part as Body | null)?.text === 'string')
    .map((part) => part.text)
    .join(' ');
}

function lastUserText(messages: Body[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return textOf(messages[i].content);
  return '';
}

function completionBody(id: string, created: number, model: string, c: Completion): unknown {
  const message = c.toolCall
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: c.toolCall.id, type: 'function', function: { name: c.toolCall.name, arguments: c.toolCall.argumentTokens.join('') } }],
      }
    : { role: 'assistant', content: c.tokens.join('') };
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: c.finishReason }],
    usage: c.usage,
  };
}

/**
 * Frames: the deltas (the first with the role; one token each), the finish chunk, the usage chunk
 * if asked for, then [DONE]. Each frame is built when sent, from a prefix shared by all of them.
 */
function completionStream(id: string, created: number, model: string, c: Completion, includeUsage: boolean): Reply {
  const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":`;
  const call = c.toolCall;
  const deltas = call ? 1 + call.argumentTokens.length : Math.max(1, c.tokens.length);
  const delta = (i: number): string => {
    if (call) {
      if (i > 0) return `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(call.argumentTokens[i - 1])}}}]}`;
      const opening = { index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
      return JSON.stringify({ role: 'assistant', content: null, tool_calls: [opening] });
    }
    const content = JSON.stringify(c.tokens[i] ?? '');
    return i === 0 ? `{"role":"assistant","content":${content}}` : `{"content":${content}}`;
  };
  const choice = (d: string, finish: string | null): string =>
    `${head}[{"index":0,"delta":${d},"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
  return {
    kind: 'stream',
    frames: deltas + (includeUsage ? 3 : 2),
    paced: deltas,
    frame: (i) => {
      if (i < deltas) return choice(delta(i), null);
      if (i === deltas) return choice('{}', c.finishReason);
      if (includeUsage && i === deltas + 1) return `${head}[],"usage":${JSON.stringify(c.usage)}}\n\n`;
      return 'data: [DONE]\n\n';
    },
  };
}
