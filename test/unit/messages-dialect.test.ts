// The Messages dialect alone: Anthropic bodies as chat bodies, chat answers and chunks as
// Anthropic's message and events, our errors in Anthropic's statuses and envelope.
import { describe, expect, it } from 'vitest';
import { anthropicStatus, messagesDialect, messagesToChat } from '../../gateway/inference/dialects/messages';
import type { BilledView, DialectContext } from '../../gateway/inference/dialects/dialect';
import { InferenceError } from '../../gateway/inference/openai-errors';
import { envelopeProblem, type Answer } from '../helpers/rest-surfaces';

const V1 = { 'anthropic-version': '2023-06-01' };
const context = (original: Record<string, unknown> = {}): DialectContext => ({
  requestId: 'req_abc',
  model: 'acme/m',
  startedAt: new Date(0),
  original,
  countedPrompt: 42,
});
const billed = (over: Partial<BilledView> = {}): BilledView => ({
  inputTokens: 30,
  outputTokens: 7,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  costMicros: 12,
  ...over,
});
const events = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [event, data] = block.split('\n');
      return { event: event.slice('event: '.length), data: JSON.parse(data.slice('data: '.length)) };
    });
const refusal = (body: Record<string, unknown>, headers: Record<string, string> = V1) => {
  try {
    messagesToChat(body, headers);
  } catch (error) {
    expect(error).toBeInstanceOf(InferenceError);
    expect((error as InferenceError).status).toBe(400);
    return (error as InferenceError).message;
  }
  throw new Error('accepted');
};

describe('Messages → chat', () => {
  it('translates blocks in order: images as image_url, documents, tool_use as tool_calls, tool_result as tool messages (images after them), thinking dropped', () => {
    const chat = messagesToChat(
      {
        model: 'acme/m',
        max_tokens: 10,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'url', url: 'https://example.test/a.png' } },
              { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc text' } },
              { type: 'text', text: 'look' },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 's' },
              { type: 'text', text: 'Calling.' },
              { type: 'tool_use', id: 't1', name: 'a', input: { x: 1 } },
              { type: 'tool_use', id: 't2', name: 'b', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't2',
                content: [
                  { type: 'text', text: 'two' },
                  { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0lG' } },
                ],
              },
              { type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true },
              { type: 'text', text: 'go on' },
            ],
          },
        ],
      },
      V1,
    );
    expect(chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'https://example.test/a.png' } },
          { type: 'text', text: 'doc text' },
          { type: 'text', text: 'look' },
        ],
      },
      {
        role: 'assistant',
        content: 'Calling.',
        tool_calls: [
          { id: 't1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
          { id: 't2', type: 'function', function: { name: 'b', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 't2', content: 'two' },
      { role: 'tool', tool_call_id: 't1', content: 'Error: boom' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/gif;base64,R0lG' } },
          { type: 'text', text: 'go on' },
        ],
      },
    ]);
  });

  it('maps tool_choice, disable_parallel_tool_use, structured output and stop_sequences', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    const base = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'q' }], tools };
    expect(messagesToChat({ ...base, tool_choice: { type: 'auto' } }, V1)).toMatchObject({ tool_choice: 'auto' });
    expect(messagesToChat({ ...base, tool_choice: { type: 'any', disable_parallel_tool_use: true } }, V1)).toMatchObject({
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(messagesToChat({ ...base, tool_choice: { type: 'tool', name: 'f' } }, V1)).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'f' } },
    });
    expect(messagesToChat({ ...base, tool_choice: { type: 'none' } }, V1)).toMatchObject({ tool_choice: 'none' });
    expect(refusal({ ...base, tool_choice: { type: 'tool', name: 'g' } })).toMatch(/no tool named 'g'/);
    expect(
      messagesToChat({ ...base, output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } }, V1).response_format,
    ).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object' }, strict: true } });
    expect(refusal({ ...base, stop_sequences: ['  '] })).toMatch(/non-whitespace/);
  });

  it('refuses what cannot be translated or Anthropic refuses, naming the field', () => {
    const base = { model: 'm', max_tokens: 1 };
    expect(
      refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }),
    ).toMatch(/Files API/);
    expect(
      refusal({
        ...base,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/tiff', data: 'x' } }] }],
      }),
    ).toMatch(/media_type/);
    expect(
      refusal({ ...base, messages: [{ role: 'user', content: 'q' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }),
    ).toMatch(/tools\.0\.type/);
    expect(
      refusal({ ...base, messages: [{ role: 'user', content: 'q' }], tools: [{ name: 'has space', input_schema: { type: 'object' } }] }),
    ).toMatch(/pattern/);
    expect(refusal({ ...base, messages: [{ role: 'user', content: 'q' }], metadata: { user_id: 'u'.repeat(257) } })).toMatch(/256/);
    expect(refusal({ ...base, messages: [{ role: 'user', content: 'q' }], temperature: 1.5 })).toMatch(/between 0 and 1/);
    expect(refusal({ model: 'm', max_tokens: 0, messages: [{ role: 'user', content: 'q' }] })).toMatch(/at least 1/);
    expect(
      refusal(
        { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'q', citations: [{ type: 'char_location' }] }] }] },
        { 'anthropic-version': '2026-10-21' },
      ),
    ).toMatch(/citations/);
    expect(refusal({ ...base, messages: [{ role: 'user', content: 'q' }] }, { 'anthropic-version': 'latest' })).toMatch(
      /anthropic-version/,
    );
    // count_tokens takes no max_tokens.
    expect(messagesToChat({ model: 'm', messages: [{ role: 'user', content: 'q' }] }, V1, true)).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'q' }],
    });
  });
});

describe('chat → Messages', () => {
  it('a complete answer: text and tool_use blocks (malformed arguments become {}), tool_use stop, usage without the cached part', () => {
    const chat = {
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: 'Sure.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":[1]}' } },
              { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{broken' } },
            ],
          },
        },
      ],
    };
    expect(messagesDialect.fromChat(chat, billed({ cachedInputTokens: 10 }), context())).toEqual({
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'acme/m',
      content: [
        { type: 'text', text: 'Sure.' },
        { type: 'tool_use', id: 'call_1', name: 'f', input: { a: [1] } },
        { type: 'tool_use', id: 'call_2', name: 'g', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 10, cache_creation_input_tokens: 0 },
    });
    const stopped = messagesDialect.fromChat(
      { choices: [{ finish_reason: 'stop', stop_reason: 'END', message: { content: 'x' } }] },
      billed(),
      context({ stop_sequences: ['END'] }),
    ) as { stop_reason: string; stop_sequence: string };
    expect([stopped.stop_reason, stopped.stop_sequence]).toEqual(['stop_sequence', 'END']);
    expect(
      (
        messagesDialect.fromChat({ choices: [{ finish_reason: 'length', message: { content: 'x' } }] }, billed(), context()) as {
          stop_reason: string;
        }
      ).stop_reason,
    ).toBe('max_tokens');
  });

  it('a stream: text then two tool calls, each its own block; a repeated id stays one block; ping once; billed usage at the end', () => {
    const s = messagesDialect.openStream(context());
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      s.chunk({ choices: [{ index: 0, delta, finish_reason: finish }] });
    const text =
      s.start() +
      chunk({ role: 'assistant', content: 'Hel' }) +
      chunk({ content: 'lo' }) +
      chunk({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }] }) +
      chunk({ tool_calls: [{ index: 0, id: 'c1', function: { arguments: '{"a":' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }) +
      chunk({ tool_calls: [{ index: 1, id: 'c2', function: { name: 'g', arguments: '{}' } }] }) +
      chunk({}, 'tool_calls') +
      s.finish(billed({ inputTokens: 40, cachedInputTokens: 4 }));
    const list = events(text);
    for (const e of list) expect(e.event).toBe(e.data.type);
    expect(list.map((e) => [e.data.type, e.data.index ?? null, e.data.delta?.type ?? e.data.content_block?.type ?? null])).toEqual([
      ['message_start', null, null],
      ['content_block_start', 0, 'text'],
      ['ping', null, null],
      ['content_block_delta', 0, 'text_delta'],
      ['content_block_delta', 0, 'text_delta'],
      ['content_block_stop', 0, null],
      ['content_block_start', 1, 'tool_use'],
      ['content_block_delta', 1, 'input_json_delta'],
      ['content_block_delta', 1, 'input_json_delta'],
      ['content_block_stop', 1, null],
      ['content_block_start', 2, 'tool_use'],
      ['content_block_delta', 2, 'input_json_delta'],
      ['content_block_stop', 2, null],
      ['message_delta', null, null],
      ['message_stop', null, null],
    ]);
    expect(list[0].data.message.usage).toMatchObject({ input_tokens: 42, output_tokens: 0 });
    expect(list[6].data.content_block).toEqual({ type: 'tool_use', id: 'c1', name: 'f', input: {} });
    expect(list[13].data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 7, input_tokens: 36, cache_creation_input_tokens: 0, cache_read_input_tokens: 4 },
    });
  });

  it('an empty stream still pings and ends; a failed one ends with a named error event', () => {
    const s = messagesDialect.openStream(context());
    expect(events(s.start() + s.finish(billed())).map((e) => e.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
    expect(events(messagesDialect.openStream(context()).fail('broke'))).toEqual([
      { event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'broke' }, request_id: 'req_abc' } },
    ]);
  });
});

describe('errors', () => {
  it("take Anthropic's statuses and types, our code in details.error_code, and the request id", () => {
    expect([400, 401, 402, 403, 404, 413, 415, 429, 500, 502, 503, 504].map((status) => [status, anthropicStatus(status)])).toEqual([
      [400, { status: 400, type: 'invalid_request_error' }],
      [401, { status: 401, type: 'authentication_error' }],
      [402, { status: 402, type: 'billing_error' }],
      [403, { status: 403, type: 'permission_error' }],
      [404, { status: 404, type: 'not_found_error' }],
      [413, { status: 413, type: 'request_too_large' }],
      [415, { status: 415, type: 'invalid_request_error' }],
      [429, { status: 429, type: 'rate_limit_error' }],
      [500, { status: 500, type: 'api_error' }],
      [502, { status: 500, type: 'api_error' }],
      [503, { status: 529, type: 'overloaded_error' }],
      [504, { status: 504, type: 'timeout_error' }],
    ]);
    const answer = messagesDialect.error(new InferenceError(402, 'Spent', 'insufficient_quota', 'insufficient_balance'), 'req_1');
    expect(answer).toEqual({
      status: 402,
      body: {
        type: 'error',
        error: { type: 'billing_error', message: 'Spent', details: { error_code: 'insufficient_balance' } },
        request_id: 'req_1',
      },
    });
    expect(messagesDialect.authorization({ 'x-api-key': ' sk-df-abc ' })).toBe('Bearer sk-df-abc');
    expect(messagesDialect.authorization({ authorization: 'Bearer sk-df-xyz' })).toBe('Bearer sk-df-xyz');
  });

  it("the route fuzz's checker for the anthropic surface can fail: OpenAI's envelope, a wrong type for the status, a request_id unlike the header", () => {
    const answer = (status: number, body: unknown, requestId = 'req_1'): Answer => ({
      method: 'POST',
      route: '/v1/messages',
      status,
      headers: new Headers({ 'content-type': 'application/json', 'request-id': requestId }),
      text: JSON.stringify(body),
      json: body,
    });
    const good = messagesDialect.error(new InferenceError(404, 'No such model', 'invalid_request_error', 'model_not_found'), 'req_1');
    expect(envelopeProblem('anthropic', answer(good.status, good.body))).toBeNull();
    expect(envelopeProblem('anthropic', answer(404, new InferenceError(404, 'x', 'invalid_request_error').body()))).not.toBeNull();
    expect(
      envelopeProblem(
        'anthropic',
        answer(404, { type: 'error', error: { type: 'invalid_request_error', message: 'x' }, request_id: 'req_1' }),
      ),
    ).not.toBeNull();
    expect(envelopeProblem('anthropic', answer(good.status, good.body, 'req_2'))).not.toBeNull();
  });
});
