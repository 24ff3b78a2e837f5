// POST /v1/chat/completions: validation, a deterministic reply (text, tool call or JSON) for each of
// the n choices, and its non-streaming shape (chat-stream.ts has the streaming one).
//
// Reply length: the x-simulator-chunks fault if set, else max_completion_tokens / max_tokens when it
// is at most 1,024, else DEFAULT_REPLY_TOKENS; never above MAX_REPLY_TOKENS. A reply longer than the request's limit is
// cut to it with finish_reason "length". JSON replies are never cut (they stay parseable): their
// text field is budgeted to the length, and the count covers the whole JSON.
//
// `stop` (a string or up to 4) ends a text reply before the first stop sequence it would hold, at a
// token boundary, with finish_reason "stop"; `seed` needs nothing: replies are a function of the prompt.
//
// Usage is honest by o200k (tokens.ts), the lying faults aside (usage.ts): completion_tokens is
// the o200k count of what was generated, summed over the choices (a tool call counts its name and
// arguments); prompt_tokens is chatPromptTokens.
import { randomUUID } from 'node:crypto';
import { completionStream } from './chat-stream';
import type { Choice, Completion } from './completion';
import type { FaultConfig } from './faults';
import { ApiError, invalid } from './http';
import { knownAnswer } from './known-answers';
import { replyTokens } from './reply-text';
import type { Reply } from './respond';
import { sampleFromSchema } from './schema-sample';
import { countCl100kTokens, countTokens, tokenPieces } from './tokens';
import { chatPromptTokens, reportedUsage } from './usage';

const DEFAULT_REPLY_TOKENS = 32;
const MAX_REPLY_TOKENS = 4096;
/** max_tokens up to this is the reply's length; above it, only a cap. */
const CAP_SIZES_REPLY_UP_TO = 1024;
const MAX_CHOICES = 8;

type Body = Record<string, unknown>;

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
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    throw invalid('stream', "'stream' must be a boolean");
  const n = body.n ?? 1;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_CHOICES)
    throw invalid('n', `'n' must be an integer from 1 to ${MAX_CHOICES}`);

  const completion = complete(body, messages as Body[], n as number, faults);
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const answerModel = faults.answerModel ?? model;
  if (body.stream !== true) return { kind: 'json', body: completionBody(id, created, answerModel, completion) };
  const includeUsage = (body.stream_options as Body | undefined)?.include_usage === true;
  return completionStream({ id, created, model: answerModel, completion, includeUsage, nullUsage: faults.nullUsage, crlf: faults.crlf });
}

function complete(body: Body, messages: Body[], n: number, faults: FaultConfig): Completion {
  const limit = maxTokens(body);
  // A small cap sizes the reply (tests ask for N tokens that way); a large one is only a cap, as
  // gateways set it for every request, and the reply keeps its natural length.
  const sized = limit !== null && limit <= CAP_SIZES_REPLY_UP_TO ? limit : null;
  const wanted = Math.min(faults.chunks ?? sized ?? DEFAULT_REPLY_TOKENS, MAX_REPLY_TOKENS);
  const length = limit === null ? wanted : Math.min(wanted, limit);
  // The lying mode still validates the tools; it just answers in text.
  const forced = chosenTool(body);
  const tool = faults.ignoreTools ? null : forced;
  const format = responseFormat(body);
  const stops = stopSequences(body);
  const promptTokens = chatPromptTokens(messages, body.tools);
  if (faults.contextTokens !== null && promptTokens > faults.contextTokens) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${faults.contextTokens} tokens. However, your messages resulted in ${promptTokens} tokens.`,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    );
  }
  const reportedPrompt = faults.tokenizer === 'cl100k_base' ? chatPromptTokens(messages, body.tools, countCl100kTokens) : promptTokens;
  const prompt = lastUserText(messages);
  const known = knownAnswer(String(body.model), prompt);
  let completionTokens = 0;
  const choose = (i: number): Choice => {
    if (faults.empty) return { tokens: [], toolCall: null, finishReason: 'stop' };
    if (tool) {
      const args = JSON.stringify(tool.parameters === undefined ? {} : sampleFromSchema(tool.parameters));
      completionTokens += countTokens(tool.name) + countTokens(args);
      const toolCall = { id: `call_${randomUUID().replaceAll('-', '')}`, name: tool.name, argumentPieces: tokenPieces(args) };
      return { tokens: [], toolCall, finishReason: 'tool_calls' };
    }
    if (format === 'text' && known !== null) {
      const tokens = tokenPieces(known);
      const cut = tokens.length > length ? tokens.slice(0, length) : tokens;
      const stopped = beforeStop(cut, stops);
      completionTokens += countTokens(stopped.join(''));
      return {
        tokens: stopped,
        toolCall: null,
        finishReason: stopped.length < cut.length || cut.length === tokens.length ? 'stop' : 'length',
      };
    }
    if (format === 'text') {
      const tokens = replyTokens(prompt, length, i);
      const stopped = beforeStop(tokens, stops);
      if (stopped.length < tokens.length) {
        completionTokens += countTokens(stopped.join(''));
        return { tokens: stopped, toolCall: null, finishReason: 'stop' };
      }
      completionTokens += tokens.length;
      return { tokens, toolCall: null, finishReason: length < wanted ? 'length' : 'stop' };
    }
    const whole = JSON.stringify(
      format === 'json_object' ? { reply: replyTokens(prompt, length, i).join('') } : sampleFromSchema(format.schema),
    );
    // The lying mode: a reply cut before its closing brace does not parse.
    const json = faults.invalidJson ? whole.slice(0, Math.max(1, whole.length - 1)) : whole;
    completionTokens += countTokens(json);
    return { tokens: tokenPieces(json), toolCall: null, finishReason: 'stop' };
  };
  const choices = Array.from({ length: n }, (_, i) => choose(i));
  return { choices, usage: reportedUsage(reportedPrompt, completionTokens, faults) };
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

/** `stop`: null, one string, or up to 4 non-empty strings (OpenAI's rule). */
function stopSequences(body: Body): string[] {
  const stop = body.stop;
  if (stop === undefined || stop === null) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw invalid('stop', "'stop' must be a string or an array of at most 4 non-empty strings");
  }
  return list as string[];
}

/** The reply's tokens before the first stop sequence it holds (whole tokens only, so the counts stay exact). */
function beforeStop(tokens: string[], stops: readonly string[]): string[] {
  if (stops.length === 0) return tokens;
  const text = tokens.join('');
  const at = Math.min(
    ...stops.map((stop) => {
      const index = text.indexOf(stop);
      return index === -1 ? Infinity : index;
    }),
  );
  if (at === Infinity) return tokens;
  const kept: string[] = [];
  let end = 0;
  for (const token of tokens) {
    if (end + token.length > at) break;
    kept.push(token);
    end += token.length;
  }
  return kept;
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
  const choices = c.choices.map((choice, index) => {
    const call = choice.toolCall;
    const message = call
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.argumentPieces.join('') } }],
        }
      : { role: 'assistant', content: choice.tokens.join('') };
    return { index, message, logprobs: null, finish_reason: choice.finishReason };
  });
  const answer = { id, object: 'chat.completion', created, model, choices };
  return c.usage ? { ...answer, usage: c.usage } : answer;
}
