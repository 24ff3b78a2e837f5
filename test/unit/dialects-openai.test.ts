// The Responses and legacy Completions dialects on their own: each body's chat translation, the
// refusals (an InferenceError naming the field, never a throw of anything else), and the answers
// and event streams built from chat answers and chunks.
import { describe, expect, it } from 'vitest';
import { responsesDialect } from '../../gateway/inference/dialects/responses';
import { completionsDialect, LEGACY_DEFAULT_MAX_TOKENS } from '../../gateway/inference/dialects/completions';
import type { BilledView, DialectContext } from '../../gateway/inference/dialects/dialect';
import { InferenceError } from '../../gateway/inference/openai-errors';

const billed: BilledView = { inputTokens: 20, outputTokens: 7, cachedInputTokens: 4, reasoningTokens: 2, costMicros: 1234 };
const context = (original: Record<string, unknown>): DialectContext => ({
  requestId: 'req_abc123',
  model: 'dragonfly/sim-chat',
  startedAt: new Date('2026-01-02T03:04:05Z'),
  original,
  countedPrompt: 20,
});

/** The events of an SSE text, parsed. */
function events(text: string): { event: string; data: Record<string, any> }[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]);
      return { event, data };
    });
}

function refusal(body: Record<string, unknown>, dialect = responsesDialect): InferenceError {
  try {
    dialect.toChat(body, {});
  } catch (error) {
    expect(error).toBeInstanceOf(InferenceError);
    return error as InferenceError;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('Responses → chat', () => {
  it('turns a string input and instructions into a system and a user message, with every setting mapped', () => {
    const chat = responsesDialect.toChat(
      {
        model: 'dragonfly/sim-chat',
        input: 'Hello',
        instructions: 'Be brief.',
        max_output_tokens: 50,
        temperature: 0.3,
        top_p: 0.9,
        user: 'end-user-1',
        metadata: { team: 'a' },
        reasoning: { effort: 'low', summary: 'auto' },
        text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
        stream: true,
        store: true,
        include: ['reasoning.encrypted_content'],
        prompt_cache_key: 'k',
      },
      {},
    );
    expect(chat).toEqual({
      model: 'dragonfly/sim-chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_tokens: 50,
      temperature: 0.3,
      top_p: 0.9,
      user: 'end-user-1',
      metadata: { team: 'a' },
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      stream: true,
    });
  });

  it('keeps the order of message, function_call and function_call_output items, calls joined to their assistant turn', () => {
    const chat = responsesDialect.toChat(
      {
        model: 'm',
        input: [
          { role: 'developer', content: 'Rules.' },
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: 'Weather?' },
              { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
            ],
          },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
          { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
          { type: 'function_call', call_id: 'call_b', name: 'get_time', arguments: '{}' },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { type: 'function_call_output', call_id: 'call_a', output: '21C' },
          { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: 'noon' }] },
        ],
        tools: [
          { type: 'function', name: 'get_weather', parameters: { type: 'object' } },
          { type: 'function', name: 'get_time', description: 'now', strict: false },
        ],
        tool_choice: { type: 'function', name: 'get_time' },
        parallel_tool_calls: false,
      },
      {},
    );
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Rules.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '21C' },
      { role: 'tool', tool_call_id: 'call_b', content: 'noon' },
    ]);
    expect(chat.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
      { type: 'function', function: { name: 'get_time', description: 'now', strict: false } },
    ]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'get_time' } });
    expect(chat.parallel_tool_calls).toBe(false);
  });

  it('maps json_object and leaves text and tool settings out when there are no tools', () => {
    const chat = responsesDialect.toChat(
      { model: 'm', input: 'x', text: { format: { type: 'json_object' } }, tool_choice: 'auto', parallel_tool_calls: true },
      {},
    );
    expect(chat).toEqual({ model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } });
    expect(responsesDialect.toChat({ model: 'm', input: 'x', text: { format: { type: 'text' } } }, {}).response_format).toBeUndefined();
  });

  it.each([
    [{ input: 42 }, 'input', /non-empty string/],
    [{ input: [] }, 'input', /non-empty/],
    [{ input: '' }, 'input', /empty/],
    [{ input: [{ type: 'web_search_call', id: 'ws' }] }, 'input[0].type', /web_search_call/],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]', /stores no items/],
    [{ input: [{ role: 'wizard', content: 'x' }] }, 'input[0].role', /user, assistant/],
    [
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
      'input[0].content[0].file_id',
      /stores no files/,
    ],
    [{ input: [{ role: 'user', content: [{ type: 'input_file', file_data: 'x' }] }] }, 'input[0].content[0].type', /input_file/],
    [{ input: [{ role: 'user', content: [{ type: 'input_text', text: 5 }] }] }, 'input[0].content[0].text', /string/],
    [{ input: [{ type: 'function_call_output', call_id: 'nope', output: 'x' }] }, 'input[0].call_id', /No tool call found/],
    [{ input: [{ type: 'function_call', call_id: 'c', name: 'f' }] }, 'input[0].arguments', /string/],
    [{ previous_response_id: 'resp_1' }, 'previous_response_id', /stores no responses/],
    [{ conversation: 'conv_1' }, 'conversation', /stores no conversations/],
    [{ background: true }, 'background', /not supported/],
    [{ prompt: { id: 'pmpt_1' } }, 'prompt', /not supported/],
    [{ tools: [{ type: 'web_search' }] }, 'tools[0].type', /`web_search` are not supported/],
    [{ tools: [{ type: 'function', name: 'has space' }] }, 'tools[0].name', /letters/],
    [{ tools: {} }, 'tools', /array/],
    [{ tool_choice: 'required' }, 'tool_choice', /empty/],
    [
      { tools: [{ type: 'function', name: 'f' }], tool_choice: { type: 'function', name: 'g' } },
      'tool_choice.name',
      /one of the function tools/,
    ],
    [{ tools: [{ type: 'function', name: 'f' }], tool_choice: { type: 'file_search' } }, 'tool_choice', /file_search/],
    [{ text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema', /schema/],
    [{ text: { format: { type: 'yaml' } } }, 'text.format.type', /json_schema/],
    [{ text: { colour: 'red' } }, 'text.colour', /Unknown parameter/],
    [{ max_output_tokens: 'ten' }, 'max_output_tokens', /integer/],
    [{ max_output_tokens: 0 }, 'max_output_tokens', /integer/],
    [{ temperature: 'hot' }, 'temperature', /number/],
    [{ top_p: 5 }, 'top_p', /number from 0 to 1/],
    [{ metadata: { a: 1 } }, 'metadata', /string/],
    [{ metadata: [] }, 'metadata', /object/],
    [{ user: 5 }, 'user', /string/],
    [{ stream: 'yes' }, 'stream', /boolean/],
    [{ store: 'no' }, 'store', /boolean/],
    [{ reasoning: { effort: 'max' } }, 'reasoning.effort', /minimal/],
    [{ truncation: 'auto' }, 'truncation', /never drops/],
    [{ top_logprobs: 3 }, 'top_logprobs', /not supported/],
    [{ temprature: 1 }, 'temprature', /Unknown parameter/],
  ])('refuses %j naming %s', (fields, param, message) => {
    const error = refusal({ model: 'm', input: 'x', ...fields });
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toMatch(message);
    expect(responsesDialect.error(error, 'req-1')).toEqual({
      status: 400,
      body: { error: { message: error.message, type: 'invalid_request_error', code: error.code, param } },
    });
  });
});

describe('chat → Responses', () => {
  it('answers a response object with output items and usage from what was billed', () => {
    const chat = {
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
        },
      ],
    };
    const original = {
      model: 'dragonfly/sim-chat',
      input: 'x',
      tools: [{ type: 'function', name: 'f' }],
      tool_choice: 'required',
      metadata: { k: 'v' },
      store: true,
    };
    const answer = responsesDialect.fromChat(chat, billed, context(original)) as Record<string, any>;
    expect(answer).toMatchObject({
      id: 'resp_abc123',
      object: 'response',
      created_at: Date.parse('2026-01-02T03:04:05Z') / 1000,
      status: 'completed',
      incomplete_details: null,
      error: null,
      model: 'dragonfly/sim-chat',
      store: false,
      previous_response_id: null,
      tool_choice: 'required',
      tools: [{ type: 'function', name: 'f', description: null, parameters: null, strict: null }],
      metadata: { k: 'v' },
      usage: {
        input_tokens: 20,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 27,
        cost_usd: 0.001234,
      },
    });
    expect(answer.output).toEqual([
      {
        id: 'msg_abc123',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Let me look.', annotations: [], logprobs: [] }],
      },
      { id: 'fc_abc123_0', type: 'function_call', status: 'completed', arguments: '{"a":1}', call_id: 'call_1', name: 'f' },
    ]);
  });

  it('is incomplete (max_output_tokens) when the chat answer was cut by its length', () => {
    const answer = responsesDialect.fromChat(
      { choices: [{ finish_reason: 'length', message: { content: 'cut' } }] },
      billed,
      context({ input: 'x', max_output_tokens: 3 }),
    ) as Record<string, any>;
    expect(answer.status).toBe('incomplete');
    expect(answer.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(answer.output[0].status).toBe('incomplete');
    expect(answer.max_output_tokens).toBe(3);
  });

  it('streams the documented events in order, numbered, with the whole response at the end', () => {
    const stream = responsesDialect.openStream(context({ input: 'x' }));
    let text = stream.start();
    text += stream.chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] });
    text += stream.chunk({ choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: null }] });
    text += stream.chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    text += stream.finish(billed);
    const list = events(text);
    expect(list.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(list.map((e) => e.data.type)).toEqual(list.map((e) => e.event));
    expect(list.map((e) => e.data.sequence_number)).toEqual(list.map((_, i) => i));
    expect(list[0].data.response).toMatchObject({ id: 'resp_abc123', status: 'in_progress', output: [], usage: null });
    expect(list[6].data).toMatchObject({ item_id: 'msg_abc123', output_index: 0, content_index: 0, text: 'Hello' });
    const done = list[list.length - 1].data.response;
    expect(done.status).toBe('completed');
    expect(done.output).toEqual([
      {
        id: 'msg_abc123',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] }],
      },
    ]);
    expect(done.usage).toMatchObject({ input_tokens: 20, output_tokens: 7, total_tokens: 27 });
  });

  it('streams a tool call as function_call_arguments deltas and its item, and ends incomplete when cut', () => {
    const stream = responsesDialect.openStream(context({ input: 'x', tools: [{ type: 'function', name: 'f' }] }));
    let text = stream.start();
    text += stream.chunk({
      choices: [
        {
          delta: {
            role: 'assistant',
            content: null,
            tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'f', arguments: '' } }],
          },
        },
      ],
    });
    text += stream.chunk({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] } }] });
    text += stream.chunk({
      choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }, finish_reason: 'tool_calls' }],
    });
    text += stream.finish(billed);
    const list = events(text);
    expect(list.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(list[2].data.item).toEqual({
      id: 'fc_abc123_0',
      type: 'function_call',
      status: 'in_progress',
      arguments: '',
      call_id: 'call_9',
      name: 'f',
    });
    expect(list[5].data).toMatchObject({ name: 'f', arguments: '{"a":1}' });
    expect(list[7].data.response.output).toEqual([
      { id: 'fc_abc123_0', type: 'function_call', status: 'completed', arguments: '{"a":1}', call_id: 'call_9', name: 'f' },
    ]);

    const cut = responsesDialect.openStream(context({ input: 'x' }));
    const cutText = cut.start() + cut.chunk({ choices: [{ delta: { content: 'abc' }, finish_reason: 'length' }] }) + cut.finish(billed);
    const last = events(cutText).pop()!;
    expect(last.event).toBe('response.incomplete');
    expect(last.data.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('ends a broken stream with an error event and response.failed', () => {
    const stream = responsesDialect.openStream(context({ input: 'x' }));
    const list = events(
      stream.start() + stream.chunk({ choices: [{ delta: { content: 'ab' } }] }) + stream.fail('The provider stream broke off'),
    );
    expect(list.slice(-2).map((e) => e.event)).toEqual(['error', 'response.failed']);
    expect(list[list.length - 2].data).toMatchObject({
      type: 'error',
      code: 'server_error',
      message: 'The provider stream broke off',
      param: null,
    });
    expect(list[list.length - 1].data.response).toMatchObject({
      status: 'failed',
      error: { code: 'server_error', message: 'The provider stream broke off' },
      usage: null,
    });
    expect(list.map((e) => e.data.sequence_number)).toEqual(list.map((_, i) => i));
  });
});

describe('legacy Completions', () => {
  it('turns the prompt into one user message with the legacy default of 16 tokens', () => {
    expect(completionsDialect.toChat({ model: 'm', prompt: 'Once upon' }, {})).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'Once upon' }],
      max_tokens: LEGACY_DEFAULT_MAX_TOKENS,
    });
    expect(
      completionsDialect.toChat(
        {
          model: 'm',
          prompt: ['Once'],
          max_tokens: 5,
          n: 2,
          best_of: 2,
          stop: ['\n'],
          temperature: 0,
          top_p: 1,
          user: 'u',
          seed: 7,
          presence_penalty: 1,
          frequency_penalty: -1,
          logit_bias: { '50256': -100 },
          echo: true,
          stream: true,
          stream_options: { include_usage: true },
          suffix: null,
          logprobs: null,
        },
        {},
      ),
    ).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'Once' }],
      max_tokens: 5,
      n: 2,
      stop: ['\n'],
      temperature: 0,
      top_p: 1,
      user: 'u',
      seed: 7,
      presence_penalty: 1,
      frequency_penalty: -1,
      logit_bias: { '50256': -100 },
      stream: true,
    });
  });

  it.each([
    [{ suffix: 'end' }, 'suffix', /fill-in-the-middle/],
    [{ logprobs: 2 }, 'logprobs', /not supported/],
    [{ prompt: [1, 2, 3] }, 'prompt', /token ids/],
    [{ prompt: [[1, 2]] }, 'prompt', /token ids/],
    [{ prompt: ['a', 'b'] }, 'prompt', /several prompts/],
    [{ prompt: 5 }, 'prompt', /string/],
    [{ prompt: '' }, 'prompt', /empty/],
    [{ prompt: undefined }, 'prompt', /string/],
    [{ max_tokens: 0 }, 'max_tokens', /integer/],
    [{ n: 0 }, 'n', /integer/],
    [{ best_of: 3 }, 'best_of', /ranked/],
    [{ stop: [1] }, 'stop', /strings/],
    [{ temperature: 3 }, 'temperature', /0 to 2/],
    [{ echo: 'yes' }, 'echo', /boolean/],
    [{ logit_bias: { a: 'x' } }, 'logit_bias', /numbers/],
    [{ messages: [] }, 'messages', /Unknown parameter/],
  ])('refuses %j naming %s', (fields, param, message) => {
    const error = refusal({ model: 'm', prompt: 'x', ...fields }, completionsDialect);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toMatch(message);
  });

  it('answers text_completion choices, the prompt in front with echo, and streams chunks then the usage asked for', () => {
    const chat = {
      choices: [0, 1].map((index) => ({
        index,
        finish_reason: index ? 'length' : 'stop',
        message: { role: 'assistant', content: ` part ${index}` },
      })),
    };
    expect(completionsDialect.fromChat(chat, billed, context({ prompt: 'Hi', echo: true }))).toEqual({
      id: 'cmpl-abc123',
      object: 'text_completion',
      created: Date.parse('2026-01-02T03:04:05Z') / 1000,
      model: 'dragonfly/sim-chat',
      choices: [
        { text: 'Hi part 0', index: 0, logprobs: null, finish_reason: 'stop' },
        { text: 'Hi part 1', index: 1, logprobs: null, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27, cost_usd: 0.001234 },
    });
    const stream = completionsDialect.openStream(context({ prompt: ['Hi'], echo: true, stream_options: { include_usage: true } }));
    const text =
      stream.start() +
      stream.chunk({ choices: [{ index: 0, delta: { content: ' yo' }, finish_reason: null }] }) +
      stream.chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
      stream.finish(billed);
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames.pop()).toBe('data: [DONE]');
    const chunks = frames.map((f) => JSON.parse(f.slice('data: '.length)));
    expect(chunks.map((c) => c.choices.map((x: { text: string }) => x.text).join())).toEqual(['Hi', ' yo', '', '']);
    expect(chunks.every((c) => c.object === 'text_completion' && c.id === 'cmpl-abc123')).toBe(true);
    expect(chunks[2].choices[0].finish_reason).toBe('stop');
    expect(chunks[3]).toMatchObject({ choices: [], usage: { prompt_tokens: 20, completion_tokens: 7 } });
    const quiet = completionsDialect.openStream(context({ prompt: 'Hi' }));
    expect(quiet.start() + quiet.finish(billed)).toBe('data: [DONE]\n\n');
  });
});
