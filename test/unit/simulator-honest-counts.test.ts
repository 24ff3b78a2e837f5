// The honest simulator agrees with the gateway's metering: what it delivers, counted with o200k
// (gpt-tokenizer itself here, not the simulator's wrapper), is what its usage reports, for every
// reply length, prompt and choice; prompt_tokens follows OpenAI's documented chat counting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { replyTokens } from '../../gateway/simulator/reply-text';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';

const KEY = 'sk-honest';
const CHAT = { model: 'sim-chat', messages: [{ role: 'user' as const, content: 'Tell me about rivers, please.' }] };
const NO_DELAY = { 'x-simulator-ttft-ms': '0', 'x-simulator-chunk-delay-ms': '0' };

let sim: Simulator;
let openai: OpenAI;

beforeAll(async () => {
  sim = await startSimulator();
  openai = new OpenAI({ baseURL: sim.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => sim.close());

const o200k = (text: string): number => encode(text, { disallowedSpecial: new Set() }).length;

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...NO_DELAY, ...headers },
    body: JSON.stringify(body),
  });
}

interface Chunk {
  choices: {
    index: number;
    delta: { role?: string; content?: string | null; tool_calls?: { function: { name?: string; arguments?: string } }[] };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/** The JSON events of a stream, [DONE] excluded (it must be last). */
async function events(res: Response): Promise<Chunk[]> {
  expect(res.status).toBe(200);
  const frames = (await res.text()).split('\n\n').filter((frame) => frame !== '');
  expect(frames.at(-1)).toBe('data: [DONE]');
  return frames.slice(0, -1).map((frame) => JSON.parse(frame.replace(/^data: /, '')) as Chunk);
}

describe('reply text', () => {
  const prompts = [
    '',
    'Hello there, simulator!',
    "McDonald's über 😀 <|endoftext|>",
    '   spaced   out   ',
    'What is the capital of France?',
    'x'.repeat(5000),
  ];

  it('encodes every prefix cut at a token boundary to exactly its number of tokens', () => {
    for (const prompt of prompts) {
      for (const choice of [0, 1, 7]) {
        const tokens = replyTokens(prompt, 400, choice);
        expect(tokens).toHaveLength(400);
        let text = '';
        tokens.forEach((token, i) => {
          expect(o200k(token)).toBe(1);
          text += token;
          expect(o200k(text)).toBe(i + 1);
        });
        expect(replyTokens(prompt, 57, choice)).toEqual(tokens.slice(0, 57));
      }
    }
  });

  it('holds for random prompts, lengths and choices, and is deterministic', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 7 }),
        (prompt, length, choice) => {
          const tokens = replyTokens(prompt, length, choice);
          expect(tokens).toHaveLength(length);
          expect(o200k(tokens.join(''))).toBe(length);
          expect(replyTokens(prompt, length, choice)).toEqual(tokens);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('differs between choices of one prompt and quotes the prompt', () => {
    const first = replyTokens('Explain the river delta', 40, 0).join('');
    expect(first.startsWith('Simulated reply to: Explain the river delta ')).toBe(true);
    expect(replyTokens('Explain the river delta', 40, 1).join('')).not.toBe(first);
    expect(replyTokens('', 5).join('').startsWith('Simulated reply.')).toBe(true);
  });
});

describe('chat completions through the server', () => {
  it('reports completion_tokens equal to the o200k count of the delivered content, plain and streamed', async () => {
    for (const maxTokens of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377]) {
      const plain = await openai.chat.completions.create({ ...CHAT, max_tokens: maxTokens });
      expect(o200k(plain.choices[0].message.content!)).toBe(maxTokens);
      expect(plain.usage!.completion_tokens).toBe(maxTokens);

      const chunks = await events(
        await post('/chat/completions', { ...CHAT, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } }),
      );
      const deltas = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? '')).filter((d) => d !== '');
      expect(deltas).toHaveLength(maxTokens); // one token per delta chunk
      expect(deltas.every((d) => o200k(d) === 1)).toBe(true);
      expect(o200k(deltas.join(''))).toBe(maxTokens);
      expect(chunks.at(-1)!.usage!.completion_tokens).toBe(maxTokens);
    }
  });

  it('counts a tool call as its name plus the arguments text it sends', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Zürich 🏔'] }, days: { type: 'integer' } } },
        },
      },
    ];
    const plain = await openai.chat.completions.create({ ...CHAT, tools, tool_choice: 'required' });
    const call = plain.choices[0].message.tool_calls![0];
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Zürich 🏔', days: 1 });
    expect(plain.usage!.completion_tokens).toBe(o200k('get_weather') + o200k(call.function.arguments));

    const chunks = await events(
      await post('/chat/completions', { ...CHAT, tools, tool_choice: 'required', stream: true, stream_options: { include_usage: true } }),
    );
    const args = chunks.map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '').join('');
    expect(args).toBe(call.function.arguments);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBe(o200k('get_weather') + o200k(args));
  });

  it('counts a JSON reply as the whole JSON text, with non-ASCII values', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string', enum: ['naïve café ☕'] }, n: { type: 'number' } } };
    const typed = await openai.chat.completions.create({
      ...CHAT,
      response_format: { type: 'json_schema', json_schema: { name: 'r', schema } },
    });
    const content = typed.choices[0].message.content!;
    expect(JSON.parse(content)).toEqual({ answer: 'naïve café ☕', n: 1 });
    expect(typed.usage!.completion_tokens).toBe(o200k(content));

    const object = await openai.chat.completions.create({ ...CHAT, max_tokens: 9, response_format: { type: 'json_object' } });
    expect(object.usage!.completion_tokens).toBe(o200k(object.choices[0].message.content!));
  });

  it("counts prompt_tokens as OpenAI documents it: 3 per message, role, content text parts, name + 1, 3 for the reply's priming, tools' JSON", async () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'lookup', description: 'Finds things', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const messages = [
      { role: 'system', content: 'You are terse.' },
      {
        role: 'user',
        name: 'alice',
        content: [
          { type: 'text', text: 'First part.' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          { type: 'text', text: ' Second part 😀' },
        ],
      },
      { role: 'assistant', content: 'Noted <|endoftext|>' },
      { role: 'user', content: 'Go on.' },
    ];
    const res = await post('/chat/completions', { model: 'sim-chat', messages, tools });
    const body = (await res.json()) as { usage: { prompt_tokens: number } };
    const expected =
      3 +
      (3 + o200k('system') + o200k('You are terse.')) +
      (3 + o200k('user') + o200k('First part.') + o200k(' Second part 😀') + o200k('alice') + 1) +
      (3 + o200k('assistant') + o200k('Noted <|endoftext|>')) +
      (3 + o200k('user') + o200k('Go on.')) +
      o200k(JSON.stringify(tools));
    expect(body.usage.prompt_tokens).toBe(expected);
  });

  it('counts embeddings prompt_tokens as the o200k tokens of each input', async () => {
    const inputs = ['alpha', 'The quick brown fox 😀', '<|endoftext|> ok'];
    const res = await openai.embeddings.create({ model: 'sim-embed', input: inputs });
    const expected = inputs.reduce((sum, input) => sum + o200k(input), 0);
    expect(res.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });
  });
});

describe('n choices', () => {
  it('answers n choices, indexed, different, with completion_tokens summed over them', async () => {
    const res = await openai.chat.completions.create({ ...CHAT, n: 3, max_tokens: 12 });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    const contents = res.choices.map((c) => c.message.content!);
    expect(new Set(contents).size).toBe(3);
    expect(contents.map(o200k)).toEqual([12, 12, 12]);
    expect(res.usage!.completion_tokens).toBe(36);
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + 36);
  });

  it('streams deltas for each choice index, each with its role first and its own finish', async () => {
    const chunks = await events(
      await post('/chat/completions', { ...CHAT, n: 4, max_tokens: 6, stream: true, stream_options: { include_usage: true } }),
    );
    for (let index = 0; index < 4; index++) {
      const mine = chunks.flatMap((c) => c.choices.filter((choice) => choice.index === index));
      expect(mine[0].delta.role).toBe('assistant');
      const deltas = mine.map((c) => c.delta.content ?? '').filter((d) => d !== '');
      expect(deltas).toHaveLength(6);
      expect(o200k(deltas.join(''))).toBe(6);
      expect(mine.filter((c) => c.finish_reason !== null).map((c) => c.finish_reason)).toEqual(['stop']);
    }
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 24 } });

    const sdk = await openai.chat.completions.create({ ...CHAT, n: 2, max_tokens: 3, stream: true }, { headers: NO_DELAY });
    const text = ['', ''];
    for await (const chunk of sdk) for (const choice of chunk.choices) text[choice.index] += choice.delta.content ?? '';
    expect(text.map(o200k)).toEqual([3, 3]);
  });

  it('sums tool calls over the choices', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } },
    ];
    const res = await openai.chat.completions.create({ ...CHAT, n: 2, tools, tool_choice: 'required' });
    expect(res.choices.map((c) => c.finish_reason)).toEqual(['tool_calls', 'tool_calls']);
    const ids = res.choices.map((c) => c.message.tool_calls![0].id);
    expect(ids[0]).not.toBe(ids[1]);
    expect(res.usage!.completion_tokens).toBe(2 * (o200k('lookup') + o200k('{"q":"simulated"}')));
  });

  it('rejects an n that is not an integer from 1 to 8 with an OpenAI-shaped 400', async () => {
    for (const n of [0, 9, 1.5, '2', -1]) {
      const res = await post('/chat/completions', { ...CHAT, n });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'n', code: null });
    }
    expect((await post('/chat/completions', { ...CHAT, n: null })).status).toBe(200);
  });
});
