// Anthropic's Messages API as a dialect (POST /v1/messages and /v1/messages/count_tokens): the
// body is checked as Anthropic checks it and turned into a Chat Completions body; the chat answer
// becomes a `message` object or Anthropic's named event stream; errors take Anthropic's envelope.
// Listings speak chat only today, so every request is translated (no native pass-through).
import type { IncomingHttpHeaders } from 'node:http';
import { InferenceError } from '../openai-errors';
import { depthExceeds, MAX_BODY_DEPTH } from '../parse';
import { sseEvent, type BilledView, type Dialect, type DialectContext, type DialectStream, type ErrorAnswer } from './dialect';

type Json = Record<string, unknown>;

export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
/** The documented versions; 2026-10-21 removed the sampling parameters (a 400 when sent). */
export const ANTHROPIC_VERSIONS: readonly string[] = ['2023-01-01', '2023-06-01', '2026-10-21'];
const WITHOUT_SAMPLING = '2026-10-21';
/** Anthropic's own limit on a request's messages. */
const MAX_MESSAGES = 100_000;
const MAX_OUTPUT_TOKENS = 1_000_000;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const invalid = (message: string) => new InferenceError(400, message, 'invalid_request_error');
const present = (value: unknown) => value !== undefined && value !== null;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The API version the request asks for (the header's value is never echoed: it is the caller's text). */
export function anthropicVersion(headers: IncomingHttpHeaders): string {
  const value = header(headers, 'anthropic-version')?.trim();
  if (!value) return DEFAULT_ANTHROPIC_VERSION;
  if (!ANTHROPIC_VERSIONS.includes(value))
    throw invalid(`anthropic-version: not a supported version; use one of ${ANTHROPIC_VERSIONS.join(', ')}`);
  return value;
}

// ---- request: Anthropic → chat -----------------------------------------------------------------

/** A content block once checked, in the terms chat needs. */
type Block =
  | { kind: 'text'; text: string }
  | { kind: 'part'; part: Json }
  | { kind: 'tool_use'; id: string; name: string; input: Json }
  | { kind: 'tool_result'; id: string; text: string; parts: Json[]; where: string };

interface Turn {
  role: 'user' | 'assistant' | 'system';
  blocks: Block[];
  /** The first message of the turn (consecutive messages of a role are one turn, as Anthropic combines them). */
  index: number;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw invalid(`${where}: Input should be a valid string`);
  return value;
}

function imagePart(source: unknown, where: string): Json {
  if (!isObject(source)) throw invalid(`${where}.source: Field required (an object with a type)`);
  if (source.type === 'base64') {
    const mediaType = source.media_type;
    if (typeof mediaType !== 'string' || !IMAGE_TYPES.has(mediaType))
      throw invalid(`${where}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
    const data = text(source.data, `${where}.source.data`);
    if (data.length === 0) throw invalid(`${where}.source.data: image data must be non-empty`);
    return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${data}` } };
  }
  if (source.type === 'url') {
    const url = text(source.url, `${where}.source.url`);
    if (!/^https?:\/\//i.test(url)) throw invalid(`${where}.source.url: must be an http or https URL`);
    return { type: 'image_url', image_url: { url } };
  }
  if (source.type === 'file')
    throw invalid(
      `${where}.source: file sources are not available on this gateway (it has no Files API); send the image as base64 or a URL`,
    );
  throw invalid(`${where}.source.type: Input should be 'base64', 'url' or 'file'`);
}

function documentBlocks(block: Json, where: string): Block[] {
  const source = block.source;
  if (!isObject(source)) throw invalid(`${where}.source: Field required (an object with a type)`);
  if (source.type === 'text') return [{ kind: 'text', text: text(source.data, `${where}.source.data`) }];
  if (source.type === 'base64' && source.media_type === 'application/pdf') {
    const data = text(source.data, `${where}.source.data`);
    const filename = typeof block.title === 'string' && block.title ? block.title : 'document.pdf';
    return [{ kind: 'part', part: { type: 'file', file: { filename, file_data: `data:application/pdf;base64,${data}` } } }];
  }
  if (source.type === 'content') {
    if (!Array.isArray(source.content)) throw invalid(`${where}.source.content: Input should be a valid list`);
    return source.content.flatMap((inner, k): Block[] => {
      if (!isObject(inner)) throw invalid(`${where}.source.content.${k}: Input should be a valid dictionary`);
      if (inner.type === 'text') return [{ kind: 'text', text: text(inner.text, `${where}.source.content.${k}.text`) }];
      if (inner.type === 'image') return [{ kind: 'part', part: imagePart(inner.source, `${where}.source.content.${k}`) }];
      throw invalid(`${where}.source.content.${k}.type: Input should be 'text' or 'image'`);
    });
  }
  throw invalid(`${where}.source: only text, base64 PDF and content documents can be sent here (no URL or Files API sources)`);
}

/** A tool_result's content: text, and any images (chat tool messages hold text only; the images follow in the user message). */
function toolResult(block: Json, where: string): Block {
  const id = text(block.tool_use_id, `${where}.tool_use_id`);
  if (block.is_error !== undefined && typeof block.is_error !== 'boolean')
    throw invalid(`${where}.is_error: Input should be a valid boolean`);
  let body = '';
  const parts: Json[] = [];
  const content = block.content;
  if (typeof content === 'string') body = content;
  else if (Array.isArray(content)) {
    const texts: string[] = [];
    content.forEach((inner, k) => {
      const at = `${where}.content.${k}`;
      if (!isObject(inner)) throw invalid(`${at}: Input should be a valid dictionary`);
      if (inner.type === 'text') texts.push(text(inner.text, `${at}.text`));
      else if (inner.type === 'image') parts.push(imagePart(inner.source, at));
      else if (inner.type === 'document')
        for (const b of documentBlocks(inner, at)) b.kind === 'text' ? texts.push(b.text) : b.kind === 'part' && parts.push(b.part);
      else throw invalid(`${at}.type: Input should be 'text', 'image' or 'document'`);
    });
    body = texts.join('\n');
  } else if (present(content)) throw invalid(`${where}.content: Input should be a valid string or list of content blocks`);
  // Chat has no error flag on a tool message: the model is told in the text.
  return { kind: 'tool_result', id, text: block.is_error === true ? `Error: ${body}` : body, parts, where };
}

function contentBlocks(content: unknown, where: string, role: Turn['role'], version: string): Block[] {
  if (typeof content === 'string') return content.length === 0 ? [] : [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`${where}.content: Input should be a valid string or list of content blocks`);
  const blocks: Block[] = [];
  content.forEach((block, j) => {
    const at = `${where}.content.${j}`;
    if (!isObject(block)) throw invalid(`${at}: Input should be a valid dictionary`);
    const type = block.type;
    if (typeof type !== 'string') throw invalid(`${at}.type: Field required`);
    if (role === 'system' && type !== 'text') throw invalid(`${at}.type: system messages hold text blocks only`);
    switch (type) {
      case 'text': {
        const value = text(block.text, `${at}.text`);
        if (value.length === 0) throw invalid(`${at}: text content blocks must be non-empty`);
        if (version === WITHOUT_SAMPLING && role === 'user' && Array.isArray(block.citations) && block.citations.length > 0) {
          throw invalid(`${at}.citations: text blocks in user messages cannot carry citations in API version ${WITHOUT_SAMPLING}`);
        }
        blocks.push({ kind: 'text', text: value });
        return;
      }
      case 'image':
        if (role !== 'user')
          throw invalid(`${at}: image blocks are accepted in user messages only here (chat assistant messages hold no images)`);
        blocks.push({ kind: 'part', part: imagePart(block.source, at) });
        return;
      case 'document':
        if (role !== 'user') throw invalid(`${at}: document blocks are accepted in user messages only`);
        blocks.push(...documentBlocks(block, at));
        return;
      case 'tool_use': {
        if (role !== 'assistant') throw invalid(`${at}: tool_use blocks may only appear in assistant messages`);
        const id = text(block.id, `${at}.id`);
        const name = text(block.name, `${at}.name`);
        if (id.length === 0 || name.length === 0) throw invalid(`${at}: tool_use blocks need a non-empty id and name`);
        if (!isObject(block.input)) throw invalid(`${at}.input: Input should be a valid dictionary`);
        blocks.push({ kind: 'tool_use', id, name, input: block.input });
        return;
      }
      case 'tool_result':
        if (role !== 'user') throw invalid(`${at}: tool_result blocks may only appear in user messages`);
        blocks.push(toolResult(block, at));
        return;
      case 'thinking':
      case 'redacted_thinking':
        // Earlier turns' reasoning, sent back by agents: chat upstreams take none, so it is dropped.
        if (role !== 'assistant') throw invalid(`${at}: ${type} blocks may only appear in assistant messages`);
        return;
      default:
        throw invalid(
          `${at}.type: block type '${type.slice(0, 60)}' is not supported here (text, image, document, tool_use, tool_result, thinking)`,
        );
    }
  });
  return blocks;
}

function turnsOf(value: unknown, version: string): Turn[] {
  if (value === undefined) throw invalid('messages: Field required');
  if (!Array.isArray(value)) throw invalid('messages: Input should be a valid list');
  if (value.length === 0) throw invalid('messages: at least one message is required');
  if (value.length > MAX_MESSAGES) throw invalid(`messages: at most ${MAX_MESSAGES} messages are allowed`);
  const turns: Turn[] = [];
  value.forEach((message, i) => {
    const where = `messages.${i}`;
    if (!isObject(message)) throw invalid(`${where}: Input should be a valid dictionary`);
    const role = message.role;
    if (role === undefined) throw invalid(`${where}.role: Field required`);
    if (role !== 'user' && role !== 'assistant' && role !== 'system') throw invalid(`${where}.role: Input should be 'user' or 'assistant'`);
    if (message.content === undefined) throw invalid(`${where}.content: Field required`);
    const blocks = contentBlocks(message.content, where, role, version);
    const finalAssistant = role === 'assistant' && i === value.length - 1;
    if (blocks.length === 0 && !finalAssistant)
      throw invalid(`${where}: all messages must have non-empty content except for the optional final assistant message`);
    if (finalAssistant) {
      const last = blocks[blocks.length - 1];
      if (last?.kind === 'text' && /\s$/.test(last.text))
        throw invalid(`${where}: final assistant content cannot end with trailing whitespace`);
    }
    const previous = turns[turns.length - 1];
    if (previous && previous.role === role && role !== 'system') previous.blocks.push(...blocks);
    else turns.push({ role, blocks, index: i });
  });
  return turns;
}

/** Chat messages from the turns, tool uses paired with their results as Anthropic requires. */
function chatMessages(turns: Turn[], system: string | null): Json[] {
  const out: Json[] = system === null ? [] : [{ role: 'system', content: system }];
  const seen = new Set<string>();
  let pending: string[] = [];
  // Every tool_use of an assistant turn is answered by a tool_result in the very next turn.
  const unanswered = (index: number) => {
    if (pending.length > 0) {
      throw invalid(
        `messages.${index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pending.join(', ').slice(0, 300)}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  };
  for (let t = 0; t < turns.length; t++) {
    const turn = turns[t];
    const where = `messages.${turn.index}`;
    if (turn.role === 'system') {
      unanswered(turn.index);
      out.push({ role: 'system', content: turn.blocks.map((b) => (b.kind === 'text' ? b.text : '')).join('\n\n') });
      continue;
    }
    if (turn.role === 'assistant') {
      unanswered(turn.index);
      const texts: string[] = [];
      const calls: Json[] = [];
      for (const block of turn.blocks) {
        if (block.kind === 'text') texts.push(block.text);
        else if (block.kind === 'tool_use') {
          if (seen.has(block.id)) throw invalid(`${where}: \`tool_use\` ids must be unique: ${block.id.slice(0, 100)}`);
          seen.add(block.id);
          calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input) } });
        }
      }
      pending = calls.map((c) => c.id as string);
      if (texts.length === 0 && calls.length === 0) continue; // an empty final assistant turn adds nothing
      out.push(
        calls.length > 0
          ? { role: 'assistant', content: texts.length > 0 ? texts.join('') : null, tool_calls: calls }
          : { role: 'assistant', content: texts.join('') },
      );
      continue;
    }
    // A user turn: its tool results first (chat tool messages, in order), then the rest.
    const parts: Json[] = [];
    let sawOther = false;
    for (const block of turn.blocks) {
      if (block.kind === 'tool_result') {
        if (sawOther) throw invalid(`${block.where}: tool_result blocks must come before any other content in a user message`);
        const at = pending.indexOf(block.id);
        if (at === -1) {
          throw invalid(
            `${block.where}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.id.slice(0, 100)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          );
        }
        pending.splice(at, 1);
        out.push({ role: 'tool', tool_call_id: block.id, content: block.text });
        parts.push(...block.parts);
        continue;
      }
      sawOther = true;
      if (block.kind === 'text') parts.push({ type: 'text', text: block.text });
      else if (block.kind === 'part') parts.push(block.part);
    }
    unanswered(turn.index);
    if (parts.length === 0) continue;
    const onlyText = parts.length === 1 && parts[0].type === 'text';
    out.push({ role: 'user', content: onlyText ? parts[0].text : parts });
  }
  unanswered(turns[turns.length - 1].index);
  return out;
}

function systemPrompt(value: unknown): string | null {
  if (!present(value)) return null;
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (!Array.isArray(value)) throw invalid('system: Input should be a valid string or list of text blocks');
  const texts = value.map((block, k) => {
    if (!isObject(block) || block.type !== 'text') throw invalid(`system.${k}: Input should be a text block ({type: 'text', text})`);
    const value = text(block.text, `system.${k}.text`);
    if (value.length === 0) throw invalid(`system.${k}: text content blocks must be non-empty`);
    return value;
  });
  return texts.length > 0 ? texts.join('\n\n') : null;
}

function chatTools(value: unknown): { tools: Json[]; names: Set<string> } | null {
  if (!present(value)) return null;
  if (!Array.isArray(value)) throw invalid('tools: Input should be a valid list');
  const names = new Set<string>();
  const tools = value.map((tool, i) => {
    const at = `tools.${i}`;
    if (!isObject(tool)) throw invalid(`${at}: Input should be a valid dictionary`);
    if (present(tool.type) && tool.type !== 'custom')
      throw invalid(`${at}.type: server and Anthropic-defined tools are not available here; define the tool with name and input_schema`);
    const name = text(tool.name, `${at}.name`);
    if (!TOOL_NAME.test(name)) throw invalid(`${at}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
    if (names.has(name)) throw invalid('tools: Tool names must be unique.');
    names.add(name);
    if (present(tool.description) && typeof tool.description !== 'string')
      throw invalid(`${at}.description: Input should be a valid string`);
    const schema = tool.input_schema;
    if (schema === undefined) throw invalid(`${at}.input_schema: Field required`);
    if (!isObject(schema)) throw invalid(`${at}.input_schema: Input should be a valid dictionary`);
    if (schema.type !== 'object') throw invalid(`${at}.input_schema.type: Input should be 'object'`);
    const fn: Json = { name, parameters: schema };
    if (typeof tool.description === 'string') fn.description = tool.description;
    return { type: 'function', function: fn };
  });
  return { tools, names };
}

function applyToolChoice(value: unknown, tools: { names: Set<string> } | null, chat: Json): void {
  if (!present(value)) return;
  if (!isObject(value)) throw invalid('tool_choice: Input should be a valid dictionary');
  if (value.disable_parallel_tool_use !== undefined && typeof value.disable_parallel_tool_use !== 'boolean')
    throw invalid('tool_choice.disable_parallel_tool_use: Input should be a valid boolean');
  const forced = value.type === 'any' || value.type === 'tool';
  if (!['auto', 'any', 'tool', 'none'].includes(value.type as string))
    throw invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  if (value.type === 'tool' && typeof value.name !== 'string') throw invalid('tool_choice.name: Field required');
  if (!tools || tools.names.size === 0) {
    if (forced) throw invalid('tool_choice: may only be specified while providing tools');
    return;
  }
  if (value.type === 'tool' && !tools.names.has(value.name as string))
    throw invalid(`tool_choice.name: no tool named '${String(value.name).slice(0, 64)}' in tools`);
  chat.tool_choice =
    value.type === 'any' ? 'required' : value.type === 'tool' ? { type: 'function', function: { name: value.name } } : value.type;
  if (value.disable_parallel_tool_use === true && value.type !== 'none') chat.parallel_tool_calls = false;
}

function sampling(body: Json, version: string, chat: Json): void {
  for (const name of ['temperature', 'top_p', 'top_k'] as const) {
    const value = body[name];
    if (!present(value)) continue;
    if (version === WITHOUT_SAMPLING)
      throw invalid(
        `${name}: is not supported in API version ${WITHOUT_SAMPLING}; send anthropic-version: 2023-06-01 to use sampling parameters`,
      );
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${name}: Input should be a valid number`);
    if (name === 'top_k') {
      if (!Number.isInteger(value) || value < 0) throw invalid('top_k: Input should be a non-negative integer');
    } else if (value < 0 || value > 1) throw invalid(`${name}: Input should be between 0 and 1`);
    // top_k is not OpenAI's, but the open-model servers behind listings (vLLM, SGLang, OpenRouter) take it.
    chat[name] = value;
  }
}

/** The Messages body as a chat body; `counting` is count_tokens (no max_tokens, no stream). */
export function messagesToChat(body: Json, headers: IncomingHttpHeaders, counting = false): Json {
  const version = anthropicVersion(headers);
  // Before any walk of the body: a 20,000-deep value must not reach JSON.stringify's recursion.
  if (depthExceeds(body, MAX_BODY_DEPTH)) throw invalid(`The request body is nested more than ${MAX_BODY_DEPTH} levels deep`);
  if (body.model === undefined) throw invalid('model: Field required');
  if (typeof body.model !== 'string' || body.model.length === 0) throw invalid('model: Input should be a non-empty string');
  const chat: Json = { model: body.model };
  if (!counting) {
    const max = body.max_tokens;
    if (max === undefined || max === null) throw invalid('max_tokens: Field required');
    if (typeof max !== 'number' || !Number.isInteger(max)) throw invalid('max_tokens: Input should be a valid integer');
    if (max < 1) throw invalid('max_tokens: must be at least 1 (there is no prompt cache here to pre-warm with 0)');
    if (max > MAX_OUTPUT_TOKENS) throw invalid(`max_tokens: must be at most ${MAX_OUTPUT_TOKENS}`);
    chat.max_tokens = max;
    if (present(body.stream)) {
      if (typeof body.stream !== 'boolean') throw invalid('stream: Input should be a valid boolean');
      if (body.stream) chat.stream = true;
    }
  }
  chat.messages = chatMessages(turnsOf(body.messages, version), systemPrompt(body.system));
  sampling(body, version, chat);
  if (present(body.stop_sequences)) {
    if (!Array.isArray(body.stop_sequences)) throw invalid('stop_sequences: Input should be a valid list');
    const stops = body.stop_sequences.map((s, k) => {
      const value = text(s, `stop_sequences.${k}`);
      if (value.trim().length === 0) throw invalid(`stop_sequences.${k}: each stop sequence must contain non-whitespace`);
      return value;
    });
    if (stops.length > 0) chat.stop = stops;
  }
  if (present(body.metadata)) {
    if (!isObject(body.metadata)) throw invalid('metadata: Input should be a valid dictionary');
    const user = body.metadata.user_id;
    if (present(user)) {
      if (typeof user !== 'string') throw invalid('metadata.user_id: Input should be a valid string');
      if (user.length > 256) throw invalid('metadata.user_id: String should have at most 256 characters');
      if (user.length > 0) chat.user = user;
    }
  }
  const tools = chatTools(body.tools);
  if (tools && tools.tools.length > 0) chat.tools = tools.tools;
  applyToolChoice(body.tool_choice, tools, chat);
  if (present(body.thinking) && !isObject(body.thinking)) throw invalid('thinking: Input should be a valid dictionary');
  if (Array.isArray(body.mcp_servers) && body.mcp_servers.length > 0)
    throw invalid('mcp_servers: MCP connectors are not available on this gateway');
  // Structured outputs: Anthropic's JSON schema format is chat's response_format.
  const format = isObject(body.output_config) ? body.output_config.format : undefined;
  if (isObject(format) && format.type === 'json_schema') {
    if (!isObject(format.schema)) throw invalid('output_config.format.schema: Input should be a valid dictionary');
    chat.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
  }
  return chat;
}

// ---- answer: chat → Anthropic --------------------------------------------------------------------

export function messageId(requestId: string): string {
  return `msg_${requestId.replace(/^req_/, '')}`;
}

type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/**
 * Anthropic's stop reason from chat's finish reason. Chat does not say which stop sequence ended
 * the text; servers that do (vLLM's `stop_reason`) are believed when it is one the buyer sent.
 */
function stopOf(finish: unknown, matched: unknown, original: Json): { reason: StopReason; sequence: string | null } {
  const stops = Array.isArray(original.stop_sequences) ? original.stop_sequences : [];
  if (typeof matched === 'string' && stops.includes(matched)) return { reason: 'stop_sequence', sequence: matched };
  if (finish === 'length') return { reason: 'max_tokens', sequence: null };
  if (finish === 'tool_calls' || finish === 'function_call') return { reason: 'tool_use', sequence: null };
  if (finish === 'content_filter') return { reason: 'refusal', sequence: null };
  return { reason: 'end_turn', sequence: null };
}

/** A tool call's arguments as the object Anthropic's `input` is (a malformed one becomes {}). */
function parsedInput(args: unknown): Json {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(args);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

/** Usage in Anthropic's fields, from what was billed: input_tokens excludes the cached part. */
export function anthropicUsage(billed: BilledView) {
  const cached = Math.min(billed.cachedInputTokens, billed.inputTokens);
  return {
    input_tokens: billed.inputTokens - cached,
    output_tokens: billed.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

function fromChat(chat: Json, billed: BilledView, context: DialectContext): Json {
  const choice = (Array.isArray(chat.choices) ? chat.choices[0] : null) as Json | null;
  const message = isObject(choice?.message) ? choice.message : {};
  const content: Json[] = [];
  if (typeof message.content === 'string' && message.content.length > 0) content.push({ type: 'text', text: message.content });
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  calls.forEach((call, i) => {
    const fn = isObject(call) && isObject(call.function) ? call.function : {};
    const id = isObject(call) && typeof call.id === 'string' && call.id ? call.id : `toolu_${context.requestId.replace(/^req_/, '')}_${i}`;
    content.push({ type: 'tool_use', id, name: typeof fn.name === 'string' ? fn.name : '', input: parsedInput(fn.arguments) });
  });
  const stop = stopOf(choice?.finish_reason, choice?.stop_reason, context.original);
  return {
    id: messageId(context.requestId),
    type: 'message',
    role: 'assistant',
    model: context.model,
    content,
    stop_reason: calls.length > 0 && stop.reason === 'end_turn' ? 'tool_use' : stop.reason,
    stop_sequence: stop.sequence,
    usage: anthropicUsage(billed),
  };
}

/**
 * Chat chunks as Anthropic's events: message_start first, each text run or tool call its own
 * content block (start, deltas, stop), a ping after the first block opens, and at the end
 * message_delta (stop reason, billed usage) and message_stop.
 */
function openStream(context: DialectContext): DialectStream {
  let index = -1;
  let open: { kind: 'text' } | { kind: 'tool'; call: number; id: string } | null = null;
  let pinged = false;
  let finish: unknown = null;
  let matched: unknown = null;
  let sawTool = false;

  const close = (): string => {
    if (!open) return '';
    open = null;
    return sseEvent('content_block_stop', { type: 'content_block_stop', index });
  };
  const begin = (block: Json, next: typeof open): string => {
    let out = close();
    index++;
    open = next;
    out += sseEvent('content_block_start', { type: 'content_block_start', index, content_block: block });
    if (!pinged) {
      pinged = true;
      out += sseEvent('ping', { type: 'ping' });
    }
    return out;
  };

  return {
    start: () =>
      sseEvent('message_start', {
        type: 'message_start',
        message: {
          id: messageId(context.requestId),
          type: 'message',
          role: 'assistant',
          model: context.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: context.countedPrompt, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      }),
    chunk(payload) {
      const choices = Array.isArray(payload.choices) ? payload.choices : [];
      const choice = choices.find((c) => isObject(c) && (c.index === 0 || c.index === undefined)) as Json | undefined;
      if (!choice) return '';
      if (present(choice.finish_reason)) finish = choice.finish_reason;
      if (present(choice.stop_reason)) matched = choice.stop_reason;
      const delta = isObject(choice.delta) ? choice.delta : {};
      let out = '';
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        if (open?.kind !== 'text') out += begin({ type: 'text', text: '' }, { kind: 'text' });
        out += sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: delta.content } });
      }
      for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        if (!isObject(call)) continue;
        const fn = isObject(call.function) ? call.function : {};
        const callIndex = typeof call.index === 'number' ? call.index : 0;
        const callId = typeof call.id === 'string' && call.id ? call.id : null;
        // A call opens with its id (or a new index); its argument pieces follow (some servers repeat the id).
        if (open?.kind !== 'tool' || open.call !== callIndex || (callId !== null && callId !== open.id)) {
          sawTool = true;
          const id = callId ?? `toolu_${context.requestId.replace(/^req_/, '')}_${index + 1}`;
          out += begin(
            { type: 'tool_use', id, name: typeof fn.name === 'string' ? fn.name : '', input: {} },
            { kind: 'tool', call: callIndex, id },
          );
        }
        if (typeof fn.arguments === 'string' && fn.arguments.length > 0) {
          out += sseEvent('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: fn.arguments },
          });
        }
      }
      return out;
    },
    finish(billed) {
      let out = close();
      if (!pinged) out += sseEvent('ping', { type: 'ping' });
      const stop = stopOf(finish, matched, context.original);
      const usage = anthropicUsage(billed);
      out += sseEvent('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: sawTool && stop.reason === 'end_turn' ? 'tool_use' : stop.reason, stop_sequence: stop.sequence },
        usage: {
          output_tokens: usage.output_tokens,
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
        },
      });
      return out + sseEvent('message_stop', { type: 'message_stop' });
    },
    fail: (message) => sseEvent('error', { type: 'error', error: { type: 'api_error', message }, request_id: context.requestId }),
  };
}

// ---- errors ----------------------------------------------------------------------------------------

/** Anthropic's status and error type for one of ours (a busy gateway is Anthropic's 529 overload). */
export function anthropicStatus(status: number): { status: number; type: string } {
  switch (status) {
    case 400:
      return { status, type: 'invalid_request_error' };
    case 401:
      return { status, type: 'authentication_error' };
    case 402:
      return { status, type: 'billing_error' };
    case 403:
      return { status, type: 'permission_error' };
    case 404:
      return { status, type: 'not_found_error' };
    case 413:
      return { status, type: 'request_too_large' };
    case 429:
      return { status, type: 'rate_limit_error' };
    case 503:
      return { status: 529, type: 'overloaded_error' };
    case 504:
      return { status, type: 'timeout_error' };
    default:
      return status < 500 ? { status, type: 'invalid_request_error' } : { status: 500, type: 'api_error' };
  }
}

/** `{type: "error", error: {type, message, details?}, request_id}`; our code rides in details.error_code, where Anthropic's SDKs read one. */
function anthropicError(error: InferenceError, requestId: string): ErrorAnswer {
  const { status, type } = anthropicStatus(error.status);
  const details =
    error.code || error.metadata
      ? { ...(error.code ? { error_code: error.code } : {}), ...(error.metadata ? { metadata: error.metadata } : {}) }
      : null;
  return {
    status,
    body: { type: 'error', error: { type, message: error.message, ...(details ? { details } : {}) }, request_id: requestId },
  };
}

function authorization(headers: IncomingHttpHeaders): string | undefined {
  // Anthropic's SDKs send an API key as x-api-key, an auth token as Authorization: Bearer.
  const key = header(headers, 'x-api-key')?.trim();
  return key ? `Bearer ${key}` : headers.authorization;
}

export const messagesDialect: Dialect = {
  name: 'messages',
  authorization,
  toChat: (body, headers) => messagesToChat(body, headers),
  fromChat,
  openStream,
  error: anthropicError,
  responseHeaders: (requestId) => ({ 'request-id': requestId }),
};

/** count_tokens: the same checks without max_tokens; never runs, so it has no answer of its own. */
export const countTokensDialect: Dialect = {
  ...messagesDialect,
  toChat: (body, headers) => messagesToChat(body, headers, true),
};
