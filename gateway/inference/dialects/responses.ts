// OpenAI's Responses API (POST /v1/responses, what Codex speaks) over the chat pipeline. The body
// becomes a chat body (input items → messages with tool calls and tool results, instructions → a
// system message, function tools, text.format → response_format); the chat answer becomes a
// `response` object or the Responses event stream. Nothing is stored: store is answered false and
// whatever needs a stored response or conversation is refused, since no server-side state exists.
import { badRequest, type InferenceError } from '../openai-errors';
import { usd } from '../respond/headers';
import { sseEvent, type BilledView, type Dialect, type DialectContext, type DialectStream } from './dialect';
import {
  boolean,
  given,
  idBase,
  integerIn,
  isObject,
  metadata,
  numberIn,
  refuseUnknown,
  string,
  unixSeconds,
  type Body,
} from './openai-params';

const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'max_output_tokens',
  'temperature',
  'top_p',
  'user',
  'metadata',
  'reasoning',
  'stream',
  'store',
  'previous_response_id',
  'conversation',
  'background',
  'prompt',
  'include',
  'stream_options',
  'prompt_cache_key',
  'prompt_cache_retention',
  'safety_identifier',
  'service_tier',
  'truncation',
  'top_logprobs',
  'max_tool_calls',
  'context_management',
  'provider',
]);
/** Fields whose meaning needs state or machinery a translation to chat cannot give. */
const STATEFUL: Record<string, string> = {
  previous_response_id:
    '`previous_response_id` is not supported: this gateway stores no responses (send the whole conversation in `input`)',
  conversation: '`conversation` is not supported: this gateway stores no conversations (send the whole conversation in `input`)',
  prompt: '`prompt` (stored prompt templates) is not supported: send the prompt in `instructions` and `input`',
  context_management: '`context_management` is not supported by this gateway',
  max_tool_calls: '`max_tool_calls` is not supported by this gateway',
};
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_OUTPUT_TOKENS = 1_000_000;

export const responsesDialect: Dialect = {
  name: 'responses',
  authorization: (headers) => headers.authorization,
  toChat,
  fromChat,
  openStream,
  error: (error: InferenceError) => ({ status: error.status, body: error.body() }),
};

// ---- the request ------------------------------------------------------------------------------

function toChat(body: Body): Body {
  refuseUnknown(body, KNOWN);
  for (const [field, message] of Object.entries(STATEFUL)) if (given(body[field])) throw badRequest(message, field);
  if (boolean(body, 'background') === true)
    throw badRequest('`background` is not supported: responses are answered while the request is open', 'background');
  if (given(body.top_logprobs) && body.top_logprobs !== 0)
    throw badRequest('`top_logprobs` is not supported by this gateway', 'top_logprobs');
  if (given(body.truncation) && body.truncation !== 'disabled') {
    throw badRequest(
      body.truncation === 'auto'
        ? "`truncation: 'auto'` is not supported: the gateway never drops input items"
        : "`truncation` must be 'auto' or 'disabled'",
      'truncation',
    );
  }
  boolean(body, 'store'); // accepted, and answered false: nothing is kept
  for (const field of ['prompt_cache_key', 'safety_identifier', 'service_tier', 'prompt_cache_retention']) string(body, field, 1024);
  if (given(body.include) && !(Array.isArray(body.include) && body.include.every((v) => typeof v === 'string')))
    throw badRequest('`include` must be an array of strings', 'include');
  if (given(body.stream_options) && !isObject(body.stream_options))
    throw badRequest('`stream_options` must be an object', 'stream_options');

  const chat: Body = { model: body.model };
  const messages: Body[] = [];
  const instructions = string(body, 'instructions', 10_000_000);
  if (instructions !== undefined) messages.push({ role: 'system', content: instructions });
  messages.push(...inputMessages(body.input));
  chat.messages = messages;

  const tools = functionTools(body.tools);
  if (tools.length > 0) chat.tools = tools;
  const choice = toolChoice(body.tool_choice, tools);
  if (choice !== undefined && tools.length > 0) chat.tool_choice = choice;
  const parallel = boolean(body, 'parallel_tool_calls');
  if (parallel !== undefined && tools.length > 0) chat.parallel_tool_calls = parallel;

  const format = responseFormat(body.text);
  if (format) chat.response_format = format;
  const maxOutput = integerIn(body, 'max_output_tokens', 1, MAX_OUTPUT_TOKENS);
  if (maxOutput !== undefined) chat.max_tokens = maxOutput;
  const temperature = numberIn(body, 'temperature', 0, 2);
  if (temperature !== undefined) chat.temperature = temperature;
  const topP = numberIn(body, 'top_p', 0, 1);
  if (topP !== undefined) chat.top_p = topP;
  const user = string(body, 'user', 256);
  if (user !== undefined) chat.user = user;
  const meta = metadata(body);
  if (meta !== undefined) chat.metadata = meta;
  const effort = reasoningEffort(body.reasoning);
  if (effort !== undefined) chat.reasoning_effort = effort;
  const stream = boolean(body, 'stream');
  if (stream !== undefined) chat.stream = stream;
  // OpenRouter's routing preferences, checked by the parse stage as for chat.
  if (given(body.provider)) chat.provider = body.provider;
  return chat;
}

/** `input` (a string, or items in order) as chat messages: function calls join the assistant turn they follow. */
function inputMessages(input: unknown): Body[] {
  if (typeof input === 'string') {
    if (input.length === 0) throw badRequest('`input` must not be empty', 'input');
    return [{ role: 'user', content: input }];
  }
  if (!Array.isArray(input) || input.length === 0)
    throw badRequest('`input` must be a non-empty string or a non-empty array of input items', 'input');
  const messages: Body[] = [];
  const calls = new Set<string>();
  input.forEach((item, i) => {
    const param = `input[${i}]`;
    if (!isObject(item)) throw badRequest(`\`${param}\` must be an input item object`, param);
    const type = item.type ?? 'message';
    switch (type) {
      case 'message':
        messages.push(messageOf(item, param));
        return;
      case 'function_call': {
        const callId = requiredString(item, 'call_id', param);
        const name = requiredString(item, 'name', param);
        const args = requiredString(item, 'arguments', param, true);
        calls.add(callId);
        const last = messages[messages.length - 1];
        const call = { id: callId, type: 'function', function: { name, arguments: args } };
        if (last?.role === 'assistant') last.tool_calls = [...((last.tool_calls as unknown[] | undefined) ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        return;
      }
      case 'function_call_output': {
        const callId = requiredString(item, 'call_id', param);
        if (!calls.has(callId))
          throw badRequest(
            `No tool call found for function call output with call_id ${callId} (\`${param}\`): the function_call item must come earlier in \`input\``,
            `${param}.call_id`,
          );
        messages.push({ role: 'tool', tool_call_id: callId, content: toolOutput(item.output, `${param}.output`) });
        return;
      }
      case 'reasoning':
        // Earlier reasoning has no chat form (and this gateway never emits it): it is left out.
        return;
      case 'item_reference':
        throw badRequest(`\`${param}\`: item references are not supported: this gateway stores no items (send the item itself)`, param);
      default:
        throw badRequest(
          `\`${param}\`: input items of type \`${String(type).slice(0, 64)}\` are not supported (message, function_call, function_call_output and reasoning are)`,
          `${param}.type`,
        );
    }
  });
  if (messages.length === 0) throw badRequest('`input` has no message or function call items', 'input');
  return messages;
}

function messageOf(item: Body, param: string): Body {
  const role = item.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    throw badRequest(`\`${param}.role\` must be one of user, assistant, system, developer`, `${param}.role`);
  }
  const content = item.content;
  if (typeof content === 'string') return { role: role === 'developer' ? 'system' : role, content };
  if (!Array.isArray(content) || content.length === 0)
    throw badRequest(`\`${param}.content\` must be a string or a non-empty array of content parts`, `${param}.content`);
  if (role === 'assistant') {
    // Earlier output: its text (and a refusal) as the assistant turn.
    let text = '';
    let refusal: string | null = null;
    content.forEach((part, j) => {
      const where = `${param}.content[${j}]`;
      if (!isObject(part)) throw badRequest(`\`${where}\` must be a content part object`, where);
      if (part.type === 'output_text' || part.type === 'input_text') text += requiredString(part, 'text', where, true);
      else if (part.type === 'refusal') refusal = requiredString(part, 'refusal', where, true);
      else
        throw badRequest(
          `\`${where}\`: assistant content parts of type \`${String(part.type).slice(0, 64)}\` are not supported (output_text and refusal are)`,
          `${where}.type`,
        );
    });
    return refusal === null ? { role, content: text } : { role, content: text, refusal };
  }
  const parts = content.map((part, j) => {
    const where = `${param}.content[${j}]`;
    if (!isObject(part)) throw badRequest(`\`${where}\` must be a content part object`, where);
    if (part.type === 'input_text' || (part.type === 'output_text' && role !== 'user'))
      return { type: 'text', text: requiredString(part, 'text', where, true) };
    if (part.type === 'input_image') {
      if (role !== 'user') throw badRequest(`\`${where}\`: images are only supported in user messages`, where);
      if (given(part.file_id))
        throw badRequest(
          `\`${where}.file_id\` is not supported: this gateway stores no files (send image_url, a URL or a data URL)`,
          `${where}.file_id`,
        );
      const url = requiredString(part, 'image_url', where);
      const detail = part.detail === 'low' || part.detail === 'high' ? part.detail : 'auto';
      return { type: 'image_url', image_url: { url, detail } };
    }
    if (part.type === 'input_file')
      throw badRequest(`\`${where}\`: input_file parts are not supported by this gateway (send the text as input_text)`, `${where}.type`);
    throw badRequest(
      `\`${where}\`: content parts of type \`${String(part.type).slice(0, 64)}\` are not supported (input_text and input_image are)`,
      `${where}.type`,
    );
  });
  return { role: role === 'developer' ? 'system' : role, content: parts };
}

/** A function call's output: a string, or text parts (the only kind a chat tool message holds). */
function toolOutput(output: unknown, param: string): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw badRequest(`\`${param}\` must be a string or an array of input_text parts`, param);
  return output
    .map((part, j) => {
      if (!isObject(part) || part.type !== 'input_text' || typeof part.text !== 'string') {
        throw badRequest(
          `\`${param}[${j}]\`: function call outputs may only hold input_text parts here (chat tool results are text)`,
          `${param}[${j}]`,
        );
      }
      return part.text;
    })
    .join('');
}

function requiredString(item: Body, field: string, param: string, allowEmpty = false): string {
  const value = item[field];
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0))
    throw badRequest(`\`${param}.${field}\` must be a ${allowEmpty ? '' : 'non-empty '}string`, `${param}.${field}`);
  return value;
}

function functionTools(tools: unknown): Body[] {
  if (!given(tools)) return [];
  if (!Array.isArray(tools)) throw badRequest('`tools` must be an array of function tools', 'tools');
  const names = new Set<string>();
  return tools.map((tool, i) => {
    const param = `tools[${i}]`;
    if (!isObject(tool)) throw badRequest(`\`${param}\` must be a tool object`, param);
    if (tool.type !== 'function') {
      throw badRequest(
        `Tools of type \`${String(tool.type).slice(0, 64)}\` are not supported (\`${param}\`): this gateway serves function tools only`,
        `${param}.type`,
      );
    }
    if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name))
      throw badRequest(`\`${param}.name\` must be 1 to 64 letters, digits, underscores or dashes`, `${param}.name`);
    if (names.has(tool.name)) throw badRequest(`\`${param}.name\`: two tools are named ${tool.name}`, `${param}.name`);
    names.add(tool.name);
    if (given(tool.description) && typeof tool.description !== 'string')
      throw badRequest(`\`${param}.description\` must be a string`, `${param}.description`);
    if (given(tool.parameters) && !isObject(tool.parameters))
      throw badRequest(`\`${param}.parameters\` must be a JSON schema object`, `${param}.parameters`);
    if (given(tool.strict) && typeof tool.strict !== 'boolean')
      throw badRequest(`\`${param}.strict\` must be a boolean`, `${param}.strict`);
    const fn: Body = { name: tool.name };
    if (given(tool.description)) fn.description = tool.description;
    if (given(tool.parameters)) fn.parameters = tool.parameters;
    if (given(tool.strict)) fn.strict = tool.strict;
    return { type: 'function', function: fn };
  });
}

function toolChoice(choice: unknown, tools: Body[]): unknown {
  if (!given(choice)) return undefined;
  if (choice === 'none' || choice === 'auto') return choice;
  if (choice === 'required') {
    if (tools.length === 0) throw badRequest("`tool_choice` is 'required' but `tools` is empty", 'tool_choice');
    return choice;
  }
  if (isObject(choice) && choice.type === 'function') {
    const name = choice.name;
    if (typeof name !== 'string' || !tools.some((t) => (t.function as Body).name === name))
      throw badRequest('`tool_choice.name` must name one of the function tools', 'tool_choice.name');
    return { type: 'function', function: { name } };
  }
  if (isObject(choice))
    throw badRequest(
      `\`tool_choice\` of type \`${String(choice.type).slice(0, 64)}\` is not supported: 'none', 'auto', 'required' or {type: 'function', name} are`,
      'tool_choice',
    );
  throw badRequest("`tool_choice` must be 'none', 'auto', 'required' or {type: 'function', name}", 'tool_choice');
}

function responseFormat(text: unknown): Body | undefined {
  if (!given(text)) return undefined;
  if (!isObject(text)) throw badRequest('`text` must be an object', 'text');
  refuseUnknown(text, new Set(['format', 'verbosity']), 'text.');
  // verbosity is a hint without a chat equivalent every upstream knows: accepted, not sent.
  if (given(text.verbosity) && !['low', 'medium', 'high'].includes(text.verbosity as string))
    throw badRequest("`text.verbosity` must be 'low', 'medium' or 'high'", 'text.verbosity');
  const format = text.format;
  if (!given(format)) return undefined;
  if (!isObject(format)) throw badRequest('`text.format` must be an object', 'text.format');
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (typeof format.name !== 'string' || !TOOL_NAME.test(format.name))
        throw badRequest('`text.format.name` must be 1 to 64 letters, digits, underscores or dashes', 'text.format.name');
      if (!isObject(format.schema)) throw badRequest('`text.format.schema` must be a JSON schema object', 'text.format.schema');
      if (given(format.description) && typeof format.description !== 'string')
        throw badRequest('`text.format.description` must be a string', 'text.format.description');
      if (given(format.strict) && typeof format.strict !== 'boolean')
        throw badRequest('`text.format.strict` must be a boolean', 'text.format.strict');
      const schema: Body = { name: format.name, schema: format.schema };
      if (given(format.description)) schema.description = format.description;
      if (given(format.strict)) schema.strict = format.strict;
      return { type: 'json_schema', json_schema: schema };
    }
    default:
      throw badRequest("`text.format.type` must be 'text', 'json_object' or 'json_schema'", 'text.format.type');
  }
}

function reasoningEffort(reasoning: unknown): string | undefined {
  if (!given(reasoning)) return undefined;
  if (!isObject(reasoning)) throw badRequest('`reasoning` must be an object', 'reasoning');
  const effort = reasoning.effort;
  if (!given(effort)) return undefined;
  if (!['none', 'minimal', 'low', 'medium', 'high', 'xhigh'].includes(effort as string))
    throw badRequest("`reasoning.effort` must be 'none', 'minimal', 'low', 'medium', 'high' or 'xhigh'", 'reasoning.effort');
  return effort as string;
}

// ---- the answer -------------------------------------------------------------------------------

type Status = 'completed' | 'incomplete' | 'failed' | 'in_progress';

/** The `response` object: the buyer's settings echoed, as OpenAI's answer carries them. */
function responseObject(
  ctx: DialectContext,
  status: Status,
  output: unknown[],
  extra: { usage?: Body | null; finishReason?: string | null; error?: Body | null } = {},
): Body {
  const o = ctx.original;
  const incomplete =
    status === 'incomplete' ? { reason: extra.finishReason === 'content_filter' ? 'content_filter' : 'max_output_tokens' } : null;
  const tools = Array.isArray(o.tools)
    ? (o.tools as Body[]).map((t) => ({
        type: 'function',
        name: t.name,
        description: t.description ?? null,
        parameters: t.parameters ?? null,
        strict: t.strict ?? null,
      }))
    : [];
  const reasoning = isObject(o.reasoning) ? o.reasoning : {};
  const text = isObject(o.text) ? o.text : {};
  const base = idBase(ctx.requestId);
  return {
    id: `resp_${base}`,
    object: 'response',
    created_at: unixSeconds(ctx.startedAt),
    status,
    background: false,
    error: extra.error ?? null,
    incomplete_details: incomplete,
    instructions: typeof o.instructions === 'string' ? o.instructions : null,
    max_output_tokens: typeof o.max_output_tokens === 'number' ? o.max_output_tokens : null,
    model: ctx.model,
    output,
    parallel_tool_calls: typeof o.parallel_tool_calls === 'boolean' ? o.parallel_tool_calls : true,
    previous_response_id: null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    store: false,
    temperature: typeof o.temperature === 'number' ? o.temperature : null,
    text: { format: text.format ?? { type: 'text' }, ...(text.verbosity ? { verbosity: text.verbosity } : {}) },
    tool_choice: o.tool_choice ?? 'auto',
    tools,
    top_p: typeof o.top_p === 'number' ? o.top_p : null,
    truncation: 'disabled',
    usage: extra.usage ?? null,
    user: typeof o.user === 'string' ? o.user : null,
    metadata: isObject(o.metadata) ? o.metadata : {},
  };
}

/** Responses usage from what was billed (cost_usd as on the chat route). */
function usageOf(billed: BilledView): Body {
  return {
    input_tokens: billed.inputTokens,
    input_tokens_details: { cached_tokens: billed.cachedInputTokens },
    output_tokens: billed.outputTokens,
    output_tokens_details: { reasoning_tokens: billed.reasoningTokens },
    total_tokens: billed.inputTokens + billed.outputTokens,
    cost_usd: usd(billed.costMicros),
  };
}

const statusOf = (finishReason: unknown): Status =>
  finishReason === 'length' || finishReason === 'content_filter' ? 'incomplete' : 'completed';

function messageItem(id: string, status: Status, text: string, refusal: string | null): Body {
  const content: Body[] = [];
  if (text.length > 0 || refusal === null) content.push({ type: 'output_text', text, annotations: [], logprobs: [] });
  if (refusal !== null) content.push({ type: 'refusal', refusal });
  return { id, type: 'message', status, role: 'assistant', content };
}

const callItem = (id: string, status: Status, callId: string, name: string, args: string): Body => ({
  id,
  type: 'function_call',
  status,
  arguments: args,
  call_id: callId,
  name,
});

function fromChat(chat: Body, billed: BilledView, ctx: DialectContext): unknown {
  const choice = (Array.isArray(chat.choices) ? chat.choices[0] : null) as { message?: Body; finish_reason?: unknown } | null;
  const message = choice?.message ?? {};
  const status = statusOf(choice?.finish_reason);
  const base = idBase(ctx.requestId);
  const output: Body[] = [];
  const text = typeof message.content === 'string' ? message.content : '';
  const refusal = typeof message.refusal === 'string' ? message.refusal : null;
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Body[]) : [];
  if (text.length > 0 || refusal !== null || calls.length === 0) output.push(messageItem(`msg_${base}`, status, text, refusal));
  calls.forEach((call, i) => {
    const fn = (call.function ?? {}) as Body;
    output.push(
      callItem(
        `fc_${base}_${i}`,
        'completed',
        String(call.id ?? `call_${base}_${i}`),
        String(fn.name ?? ''),
        typeof fn.arguments === 'string' ? fn.arguments : '{}',
      ),
    );
  });
  return responseObject(ctx, status, output, { usage: usageOf(billed), finishReason: choice?.finish_reason as string | null });
}

// ---- the stream -------------------------------------------------------------------------------

interface OpenText {
  outputIndex: number;
  id: string;
  /** The content parts opened so far, in order (output_text first, a refusal after). */
  parts: { type: 'output_text' | 'refusal'; text: string }[];
}
interface OpenCall {
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  args: string;
}

/**
 * The Responses events of one answer: response.created and .in_progress first; each output item
 * (the message, each function call) opened when its first delta comes, its deltas as they come;
 * every item closed at the end in output order, then response.completed (or .incomplete) with the
 * whole response and the billed usage. Every event carries the next sequence_number.
 */
function openStream(ctx: DialectContext): DialectStream {
  const base = idBase(ctx.requestId);
  let sequence = 0;
  let nextOutput = 0;
  let text: OpenText | null = null;
  const calls = new Map<number, OpenCall>();
  let finishReason: string | null = null;
  const event = (type: string, fields: Body) => sseEvent(type, { type, sequence_number: sequence++, ...fields });

  const textPart = (kind: 'output_text' | 'refusal') =>
    kind === 'output_text' ? { type: kind, text: '', annotations: [], logprobs: [] } : { type: kind, refusal: '' };
  const openPart = (kind: 'output_text' | 'refusal'): { out: string; index: number } => {
    let out = '';
    if (!text) {
      text = { outputIndex: nextOutput++, id: `msg_${base}`, parts: [] };
      out += event('response.output_item.added', {
        output_index: text.outputIndex,
        item: { id: text.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
      });
    }
    let index = text.parts.findIndex((p) => p.type === kind);
    if (index < 0) {
      index = text.parts.push({ type: kind, text: '' }) - 1;
      out += event('response.content_part.added', {
        item_id: text.id,
        output_index: text.outputIndex,
        content_index: index,
        part: textPart(kind),
      });
    }
    return { out, index };
  };
  const delta = (kind: 'output_text' | 'refusal', piece: string): string => {
    const { out, index } = openPart(kind);
    const open = text!;
    open.parts[index].text += piece;
    const fields = { item_id: open.id, output_index: open.outputIndex, content_index: index };
    return (
      out +
      (kind === 'output_text'
        ? event('response.output_text.delta', { ...fields, delta: piece, logprobs: [] })
        : event('response.refusal.delta', { ...fields, delta: piece }))
    );
  };

  const items = (status: Status): Body[] => {
    const all: [number, Body][] = [];
    if (text) {
      const t = text.parts.find((p) => p.type === 'output_text');
      const r = text.parts.find((p) => p.type === 'refusal');
      all.push([text.outputIndex, messageItem(text.id, status, t?.text ?? '', r ? r.text : null)]);
    }
    for (const c of calls.values())
      all.push([c.outputIndex, callItem(c.id, status === 'incomplete' ? 'incomplete' : status, c.callId, c.name, c.args)]);
    return all.sort((a, b) => a[0] - b[0]).map(([, item]) => item);
  };

  /** Closes every open item in output order (its .done events). */
  const closeAll = (status: Status): string => {
    let out = '';
    const order: { index: number; close: () => string }[] = [];
    const open = text;
    if (open) {
      order.push({
        index: open.outputIndex,
        close: () => {
          let s = '';
          open.parts.forEach((part, i) => {
            const fields = { item_id: open.id, output_index: open.outputIndex, content_index: i };
            if (part.type === 'output_text') {
              s += event('response.output_text.done', { ...fields, text: part.text, logprobs: [] });
              s += event('response.content_part.done', {
                ...fields,
                part: { type: 'output_text', text: part.text, annotations: [], logprobs: [] },
              });
            } else {
              s += event('response.refusal.done', { ...fields, refusal: part.text });
              s += event('response.content_part.done', { ...fields, part: { type: 'refusal', refusal: part.text } });
            }
          });
          const r = open.parts.find((p) => p.type === 'refusal');
          const item = messageItem(open.id, status, open.parts.find((p) => p.type === 'output_text')?.text ?? '', r ? r.text : null);
          return s + event('response.output_item.done', { output_index: open.outputIndex, item });
        },
      });
    }
    for (const c of calls.values()) {
      order.push({
        index: c.outputIndex,
        close: () =>
          event('response.function_call_arguments.done', { item_id: c.id, output_index: c.outputIndex, name: c.name, arguments: c.args }) +
          event('response.output_item.done', { output_index: c.outputIndex, item: callItem(c.id, status, c.callId, c.name, c.args) }),
      });
    }
    for (const { close } of order.sort((a, b) => a.index - b.index)) out += close();
    return out;
  };

  return {
    start: () => {
      const response = responseObject(ctx, 'in_progress', []);
      return event('response.created', { response }) + event('response.in_progress', { response });
    },
    chunk: (payload) => {
      const choice = (payload.choices as Body[])[0];
      if (!isObject(choice)) return '';
      if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
      const d = isObject(choice.delta) ? choice.delta : {};
      let out = '';
      if (typeof d.content === 'string' && d.content.length > 0) out += delta('output_text', d.content);
      if (typeof d.refusal === 'string' && d.refusal.length > 0) out += delta('refusal', d.refusal);
      for (const tc of Array.isArray(d.tool_calls) ? (d.tool_calls as Body[]) : []) {
        const index = typeof tc.index === 'number' ? tc.index : calls.size;
        const fn = isObject(tc.function) ? tc.function : {};
        let call = calls.get(index);
        if (!call) {
          call = {
            outputIndex: nextOutput++,
            id: `fc_${base}_${index}`,
            callId: typeof tc.id === 'string' ? tc.id : `call_${base}_${index}`,
            name: typeof fn.name === 'string' ? fn.name : '',
            args: '',
          };
          calls.set(index, call);
          out += event('response.output_item.added', {
            output_index: call.outputIndex,
            item: callItem(call.id, 'in_progress', call.callId, call.name, ''),
          });
        }
        if (typeof fn.arguments === 'string' && fn.arguments.length > 0) {
          call.args += fn.arguments;
          out += event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.outputIndex, delta: fn.arguments });
        }
      }
      return out;
    },
    finish: (billed) => {
      const status = statusOf(finishReason);
      // An answer with no text and no call still has its (empty) message, as the JSON answer does.
      let out = text || calls.size > 0 ? '' : openPart('output_text').out;
      out += closeAll(status);
      const response = responseObject(ctx, status, items(status), { usage: usageOf(billed), finishReason });
      return out + event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
    },
    fail: (message) => {
      const error = { code: 'server_error', message };
      return (
        event('error', { code: 'server_error', message, param: null }) +
        event('response.failed', { response: responseObject(ctx, 'failed', items('incomplete'), { error }) })
      );
    },
  };
}
