// The simulated OpenAI-compatible provider: the official SDK accepts every endpoint's shapes, usage
// is honest by o200k (counted here with gpt-tokenizer itself), and every fault knob does what the
// reference says.
// Timing checks are lower bounds (plus one generous upper bound) so that a loaded machine cannot
// make them flake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import { countTokens, tokenPieces } from '../../gateway/simulator/tokens';
import { eventually } from '../helpers/eventually';

const KEY = 'sk-test';
const CHAT = { model: 'sim-chat', messages: [{ role: 'user' as const, content: 'Hello there, simulator!' }] };

let sim: Simulator;
let openai: OpenAI;

beforeAll(async () => {
  sim = await startSimulator();
  openai = new OpenAI({ baseURL: sim.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => sim.close());

function post(path: string, body: unknown, headers: Record<string, string> = {}, key: string | null = KEY): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function expectError(res: Response, status: number, type = 'invalid_request_error'): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.type).toBe(type);
  return body.error;
}

interface Sse {
  /** The `data:` payloads, in order. */
  frames: string[];
  /** Milliseconds from the request to each frame's arrival. */
  at: number[];
  reads: number;
  error: unknown;
}

async function readSse(res: Response, started: number): Promise<Sse> {
  const sse: Sse = { frames: [], at: [], reads: 0, error: null };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sse.reads++;
      buffered += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        sse.frames.push(buffered.slice(0, end).replace(/^data: /, ''));
        sse.at.push(performance.now() - started);
        buffered = buffered.slice(end + 2);
      }
    }
  } catch (error) {
    sse.error = error;
  }
  return sse;
}

async function stream(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Sse & { res: Response }> {
  const started = performance.now();
  const res = await post('/chat/completions', { ...CHAT, stream: true, ...body }, headers);
  return { res, ...(await readSse(res, started)) };
}

function contentOf(frames: string[]): string {
  return frames
    .filter((f) => f !== '[DONE]')
    .map((f) => JSON.parse(f).choices[0]?.delta?.content ?? '')
    .join('');
}

/** The count the gateway's metering makes of a text. */
const o200k = (text: string): number => encode(text).length;

describe('tokenizer', () => {
  it('counts with o200k, special-token text as ordinary text, and cuts whole characters', () => {
    expect(countTokens('Simulated reply, ok!')).toBe(encode('Simulated reply, ok!').length);
    expect(countTokens('')).toBe(0);
    expect(countTokens('<|endoftext|>')).toBe(encode('<|endoftext|>', { disallowedSpecial: new Set() }).length);
    const text = 'héllo 😀 世界 {"a":"ü"}';
    const pieces = tokenPieces(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces.every((piece) => !piece.includes('\uFFFD'))).toBe(true);
    expect(pieces.length).toBeLessThanOrEqual(countTokens(text));
  });
});

describe('models', () => {
  it('lists the simulated models through the SDK', async () => {
    const page = await openai.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['sim-chat', 'sim-chat-large', 'sim-embed', 'sim-tts']);
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'simulator' });
    expect((await openai.models.retrieve('sim-embed')).id).toBe('sim-embed');
  });
});

describe('chat completions', () => {
  it('answers deterministically from the last user message with honest usage', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'What is the capital of France, please?' },
    ];
    const first = await openai.chat.completions.create({ model: 'any-seller-name', messages });
    const second = await openai.chat.completions.create({ model: 'any-seller-name', messages });
    const content = first.choices[0].message.content!;
    expect(first).toMatchObject({ object: 'chat.completion', model: 'any-seller-name', choices: [{ index: 0, finish_reason: 'stop' }] });
    expect(first.id).toMatch(/^chatcmpl-/);
    expect(content.startsWith('Simulated reply to: What is the capital of France ')).toBe(true);
    expect(second.choices[0].message.content).toBe(content);
    // OpenAI's chat counting: 3 per message plus its role and content, 3 for the reply's priming.
    const promptTokens = messages.reduce((sum, m) => sum + 3 + encode(m.role).length + encode(m.content).length, 3);
    expect(first.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: 32, total_tokens: promptTokens + 32 });
    expect(o200k(content)).toBe(32);
  });

  it('honours stop: the reply ends before the first stop sequence (whole tokens), finish_reason "stop", counts exact; refuses a bad stop', async () => {
    const full = await openai.chat.completions.create({ ...CHAT, max_tokens: 20 });
    const text = full.choices[0].message.content!;
    // A stop sequence from the middle of the full reply (a word of it, with its leading space).
    const word = text.split(' ').filter(Boolean)[6];
    const stop = ` ${word}`;
    const stopped = await openai.chat.completions.create({ ...CHAT, max_tokens: 20, stop: ['never-in-a-reply', stop] });
    const content = stopped.choices[0].message.content!;
    expect(content.length).toBeLessThan(text.indexOf(stop) + 1);
    expect(text.startsWith(content)).toBe(true);
    expect(content).not.toContain(stop);
    expect(stopped.choices[0].finish_reason).toBe('stop');
    expect(stopped.usage!.completion_tokens).toBe(o200k(content));
    // A stop the reply never holds changes nothing (seed too: replies are a function of the prompt).
    const same = await openai.chat.completions.create({ ...CHAT, max_tokens: 20, stop: 'never-in-a-reply', seed: 7 });
    expect(same.choices[0].message.content).toBe(text);
    for (const bad of [5, ['a', 'b', 'c', 'd', 'e'], [''], [3]]) {
      const body = await expectError(await post('/chat/completions', { ...CHAT, stop: bad }), 400);
      expect(body.param).toBe('stop');
    }
  });

  it('sizes the reply by max_tokens / max_completion_tokens and reports "length" when cut', async () => {
    const short = await openai.chat.completions.create({ ...CHAT, max_tokens: 7 });
    expect(short.usage!.completion_tokens).toBe(7);
    expect(o200k(short.choices[0].message.content!)).toBe(7);
    const long = await openai.chat.completions.create({ ...CHAT, max_completion_tokens: 300 });
    expect(o200k(long.choices[0].message.content!)).toBe(300);
    expect(long.choices[0].finish_reason).toBe('stop');
    const cut = await openai.chat.completions.create({ ...CHAT, max_tokens: 10 }, { headers: { 'x-simulator-chunks': '50' } });
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage!.completion_tokens).toBe(10);
  });

  it('streams one token per chunk, spread over time, with a usage chunk counted by the tokenizer', async () => {
    const started = performance.now();
    const chunks = await openai.chat.completions.create(
      { ...CHAT, max_tokens: 10, stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-simulator-chunk-delay-ms': '20' } },
    );
    const arrivals: number[] = [];
    const received: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of chunks) {
      received.push(chunk);
      if (chunk.choices[0]?.delta.content) arrivals.push(performance.now() - started);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(arrivals).toHaveLength(10);
    expect(arrivals[9] - arrivals[0]).toBeGreaterThanOrEqual(90); // 180 ms paced; half of it tolerates a stalled reader

    expect(received[0].choices[0].delta.role).toBe('assistant');
    expect(received.every((c) => c.object === 'chat.completion.chunk' && c.id === received[0].id)).toBe(true);
    const content = received.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const finish = received.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0].finish_reason).toBe('stop');
    const usage = received.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage!.completion_tokens).toBe(o200k(content));
    expect(usage.usage!.completion_tokens).toBe(10);
  });

  it('sends the SSE headers and ends with [DONE]', async () => {
    const sse = await stream({ max_tokens: 3 });
    expect(sse.res.headers.get('content-type')).toBe('text/event-stream');
    expect(sse.res.headers.get('cache-control')).toBe('no-cache');
    expect(sse.frames.at(-1)).toBe('[DONE]');
    expect(sse.frames).toHaveLength(3 + 2); // 3 tokens, the finish chunk, [DONE]; no usage unless asked
  });

  it('answers a forced tool choice with a tool call, plain and streamed', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } },
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] }, days: { type: 'integer' } },
          },
        },
      },
    ];
    const named = await openai.chat.completions.create({
      ...CHAT,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = named.choices[0].message.tool_calls![0];
    expect(named.choices[0].finish_reason).toBe('tool_calls');
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'simulated', unit: 'c', days: 1 });
    expect(named.usage!.completion_tokens).toBe(o200k('get_weather') + o200k(call.function.arguments));

    const required = await openai.chat.completions.create({ ...CHAT, tools, tool_choice: 'required' });
    const first = required.choices[0].message.tool_calls![0];
    expect(first.type === 'function' && first.function.name).toBe('lookup');

    const auto = await openai.chat.completions.create({ ...CHAT, tools });
    expect(auto.choices[0].message.content).toMatch(/^Simulated reply/);

    const streamed = await openai.chat.completions.create({ ...CHAT, tools, tool_choice: 'required', stream: true });
    let name = '';
    let args = '';
    let finishReason: string | null = null;
    for await (const chunk of streamed) {
      const delta = chunk.choices[0]?.delta;
      name += delta?.tool_calls?.[0]?.function?.name ?? '';
      args += delta?.tool_calls?.[0]?.function?.arguments ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    }
    expect({ name, args: JSON.parse(args), finishReason }).toEqual({ name: 'lookup', args: {}, finishReason: 'tool_calls' });
  });

  it('answers valid JSON for response_format json_object and json_schema', async () => {
    const object = await openai.chat.completions.create({ ...CHAT, response_format: { type: 'json_object' } });
    const content = object.choices[0].message.content!;
    expect(JSON.parse(content)).toEqual({ reply: expect.stringMatching(/^Simulated reply to: Hello there/) });
    expect(object.usage!.completion_tokens).toBe(o200k(content));

    const schema = { type: 'object', properties: { answer: { type: 'string' }, score: { type: 'number' }, tags: { type: 'array' } } };
    const typed = await openai.chat.completions.create({
      ...CHAT,
      response_format: { type: 'json_schema', json_schema: { name: 'result', schema } },
    });
    expect(JSON.parse(typed.choices[0].message.content!)).toEqual({ answer: 'simulated', score: 1, tags: [] });
  });

  it('rejects malformed and invalid bodies with OpenAI-shaped 400s', async () => {
    await expectError(await post('/chat/completions', '{"model":'), 400);
    expect((await expectError(await post('/chat/completions', { model: 'sim-chat' }), 400)).param).toBe('messages');
    expect((await expectError(await post('/chat/completions', { model: 'sim-chat', messages: [] }), 400)).param).toBe('messages');
    expect((await expectError(await post('/chat/completions', { messages: CHAT.messages }), 400)).param).toBe('model');
    expect((await expectError(await post('/chat/completions', { ...CHAT, max_tokens: 0 }), 400)).param).toBe('max_tokens');
    await expectError(await post('/chat/completions', [1, 2]), 400);
    const badChoice = {
      ...CHAT,
      tools: [{ type: 'function', function: { name: 'a' } }],
      tool_choice: { type: 'function', function: { name: 'b' } },
    };
    expect((await expectError(await post('/chat/completions', badChoice), 400)).param).toBe('tool_choice');
  });
});

describe('embeddings', () => {
  it('returns deterministic unit vectors; base64 decodes to the same floats', async () => {
    const viaSdk = await openai.embeddings.create({ model: 'sim-embed', input: ['alpha', 'beta'] }); // the SDK asks for base64
    const floatRes = await post('/embeddings', { model: 'sim-embed', input: ['alpha', 'beta'], encoding_format: 'float' });
    const asFloats = (await floatRes.json()) as { data: { embedding: number[] }[] };
    expect(viaSdk.data.map((d) => d.embedding)).toEqual(asFloats.data.map((d) => d.embedding));
    expect(viaSdk.data[0].embedding).toHaveLength(256);
    expect(viaSdk.data[0].embedding).not.toEqual(viaSdk.data[1].embedding);
    const norm = Math.hypot(...viaSdk.data[0].embedding);
    expect(norm).toBeCloseTo(1, 5);
    const promptTokens = encode('alpha').length + encode('beta').length;
    expect(viaSdk.usage).toEqual({ prompt_tokens: promptTokens, total_tokens: promptTokens });

    const again = await openai.embeddings.create({ model: 'sim-embed', input: 'alpha' });
    expect(again.data[0].embedding).toEqual(viaSdk.data[0].embedding);

    const base64Res = await post('/embeddings', { model: 'sim-embed', input: 'alpha', encoding_format: 'base64' });
    const base64 = (await base64Res.json()) as { data: { embedding: string }[] };
    const bytes = Buffer.from(base64.data[0].embedding, 'base64');
    const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toEqual(asFloats.data[0].embedding);
  });

  it('honours dimensions and accepts token arrays', async () => {
    const small = await openai.embeddings.create({ model: 'sim-embed', input: 'alpha', dimensions: 3 });
    expect(small.data[0].embedding).toHaveLength(3);
    expect(Math.hypot(...small.data[0].embedding)).toBeCloseTo(1, 5);
    expect((await openai.embeddings.create({ model: 'sim-embed', input: 'alpha', dimensions: 3072 })).data[0].embedding).toHaveLength(3072);
    const tokens = await openai.embeddings.create({ model: 'sim-embed', input: [[1, 2, 3], [4]] });
    expect(tokens.data).toHaveLength(2);
    expect(tokens.usage.prompt_tokens).toBe(4);
  });

  it('rejects bad dimensions and inputs', async () => {
    for (const dimensions of [0, 3073, 1.5, '8']) {
      expect((await expectError(await post('/embeddings', { model: 'sim-embed', input: 'a', dimensions }), 400)).param).toBe('dimensions');
    }
    for (const input of ['', [], [''], [1, 'a'], null]) {
      expect((await expectError(await post('/embeddings', { model: 'sim-embed', input }), 400)).param).toBe('input');
    }
  });
});

describe('audio speech', () => {
  it('returns a consistent WAV whose length follows the input, and bills characters', async () => {
    const res = await openai.audio.speech.create({ model: 'sim-tts', voice: 'alloy', input: 'Hello, world! 😀', response_format: 'wav' });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('x-simulator-characters')).toBe('15');
    const wav = Buffer.from(await res.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)]).toEqual([1, 1, 24_000, 16]);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);

    const longer = Buffer.from(
      await (await openai.audio.speech.create({ model: 'sim-tts', voice: 'alloy', input: 'Hello, world! 😀'.repeat(10) })).arrayBuffer(),
    );
    expect(longer.readUInt32LE(40) / wav.readUInt32LE(40)).toBeCloseTo(10, 0);
  });

  it('returns MPEG-1 Layer III frames for mp3', async () => {
    const res = await openai.audio.speech.create({ model: 'sim-tts', voice: 'alloy', input: 'Hello', response_format: 'mp3' });
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    const mp3 = Buffer.from(await res.arrayBuffer());
    // Walk the frames by the length their headers imply: each must start with a valid header.
    let frames = 0;
    for (let offset = 0; offset < mp3.length; frames++) {
      const header = mp3.readUInt32BE(offset);
      expect(header >>> 21).toBe(0x7ff); // frame sync
      expect((header >>> 19) & 3).toBe(3); // MPEG-1
      expect((header >>> 17) & 3).toBe(1); // Layer III
      const kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320][(header >>> 12) & 15];
      const rate = [44_100, 48_000, 32_000][(header >>> 10) & 3];
      offset += Math.floor((144 * kbps * 1000) / rate) + ((header >>> 9) & 1);
      expect(offset).toBeLessThanOrEqual(mp3.length);
    }
    expect(frames).toBeGreaterThan(5);
  });

  it('rejects inputs over 4096 characters and formats it cannot produce', async () => {
    expect((await expectError(await post('/audio/speech', { model: 'sim-tts', voice: 'alloy', input: 'a'.repeat(4097) }), 400)).param).toBe(
      'input',
    );
    await expectError(await post('/audio/speech', { model: 'sim-tts', voice: 'alloy', input: 'hi', response_format: 'opus' }), 400);
    const ok = await post('/audio/speech', { model: 'sim-tts', voice: 'alloy', input: 'a'.repeat(4096) });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });
});

describe('auth and routing', () => {
  it('answers 401 without a key and 404 for unknown routes', async () => {
    const missing = await expectError(await post('/chat/completions', CHAT, {}, null), 401);
    expect(missing.message).toMatch(/didn't provide an API key/);
    await expectError(await post('/completions/unknown', CHAT), 404);
    await expectError(await fetch(`${sim.url}/chat/completions`, { headers: { authorization: `Bearer ${KEY}` } }), 404);
  });

  it('accepts only the configured keys when apiKeys is set', async () => {
    const strict = await startSimulator({ apiKeys: ['sk-allowed'] });
    try {
      const denied = await fetch(`${strict.url}/models`, { headers: { authorization: 'Bearer sk-other' } });
      expect((await expectError(denied, 401)).code).toBe('invalid_api_key');
      const allowed = new OpenAI({ baseURL: strict.url, apiKey: 'sk-allowed', maxRetries: 0 });
      expect((await allowed.models.list()).data).toHaveLength(4);
      expect(strict.requestCount()).toBe(2);
    } finally {
      await strict.close();
    }
  });
});

describe('fault knobs (headers)', () => {
  it('x-simulator-status answers an OpenAI-shaped error; 429 carries retry-after', async () => {
    await expectError(await post('/chat/completions', CHAT, { 'x-simulator-status': '500' }), 500, 'server_error');
    const limited = await post('/chat/completions', CHAT, { 'x-simulator-status': '429', 'x-simulator-retry-after': '7' });
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await expectError(limited, 429, 'requests')).code).toBe('rate_limit_exceeded');
    await expect(openai.chat.completions.create(CHAT, { headers: { 'x-simulator-status': '503' } })).rejects.toMatchObject({ status: 503 });
    expect((await expectError(await post('/chat/completions', CHAT, { 'x-simulator-status': 'oops' }), 400)).param).toBe(
      'x-simulator-status',
    );
  });

  it('x-simulator-latency-ms delays the whole response', async () => {
    const started = performance.now();
    const res = await post('/chat/completions', CHAT, { 'x-simulator-latency-ms': '250' });
    await res.json();
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('x-simulator-ttft-ms delays the first token, not the headers', async () => {
    const sse = await stream({ max_tokens: 2 }, { 'x-simulator-ttft-ms': '300', 'x-simulator-chunk-delay-ms': '0' });
    expect(sse.at[0]).toBeGreaterThanOrEqual(290);
    expect(sse.frames.at(-1)).toBe('[DONE]');
  });

  it('x-simulator-cut-after: 0 resets the connection before any byte', async () => {
    await expect(post('/chat/completions', CHAT, { 'x-simulator-cut-after': '0' })).rejects.toThrow();
    await expect(openai.models.list({ headers: { 'x-simulator-cut-after': '0' } })).rejects.toThrow();
  });

  it('x-simulator-cut-after: N drops a stream after N chunks, without [DONE]', async () => {
    const sse = await stream({}, { 'x-simulator-cut-after': '3', 'x-simulator-chunk-delay-ms': '0' });
    expect(sse.res.status).toBe(200);
    expect(sse.frames).toHaveLength(3);
    expect(sse.frames).not.toContain('[DONE]');
    expect(sse.error).toBeTruthy(); // chunked body ended without its terminator
  });

  it('x-simulator-cut-after: N drops a non-stream response after its headers', async () => {
    const res = await post('/chat/completions', CHAT, { 'x-simulator-cut-after': '1' });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('x-simulator-empty answers empty content with zero completion tokens', async () => {
    const plain = await openai.chat.completions.create(CHAT, { headers: { 'x-simulator-empty': 'true' } });
    expect(plain.choices[0].message.content).toBe('');
    expect(plain.usage!.completion_tokens).toBe(0);
    const sse = await stream({ stream_options: { include_usage: true } }, { 'x-simulator-empty': '1' });
    expect(contentOf(sse.frames)).toBe('');
    expect(JSON.parse(sse.frames.at(-2)!).usage.completion_tokens).toBe(0);
  });

  it('x-simulator-chunks sets the number of streamed tokens', async () => {
    const sse = await stream(
      { stream_options: { include_usage: true } },
      { 'x-simulator-chunks': '12', 'x-simulator-chunk-delay-ms': '0' },
    );
    expect(sse.frames).toHaveLength(12 + 3);
    expect(o200k(contentOf(sse.frames))).toBe(12);
  });

  it('x-simulator-fake-stream sends every chunk at once', async () => {
    // Paced, 20 tokens 200 ms apart would take over 3.8 s; all at once it takes the TTFT only.
    const sse = await stream({ max_tokens: 20 }, { 'x-simulator-fake-stream': 'true', 'x-simulator-chunk-delay-ms': '200' });
    expect(sse.frames).toHaveLength(20 + 2);
    expect(sse.at.at(-1)! - sse.at[0]).toBeLessThan(1_500);
    expect(sse.reads).toBeLessThan(sse.frames.length);
  });

  it('x-simulator-no-usage leaves out the usage chunk even when asked for', async () => {
    const sse = await stream({ max_tokens: 2, stream_options: { include_usage: true } }, { 'x-simulator-no-usage': 'true' });
    expect(sse.frames).toHaveLength(2 + 2);
    expect(sse.frames.some((f) => f.includes('"usage"'))).toBe(false);
  });
});

describe('fault knobs (per key and defaults)', () => {
  it('applies faults set with setKeyFaults to that key only, under the request headers', async () => {
    sim.setKeyFaults('sk-broken', { status: 502 });
    try {
      await expectError(await post('/chat/completions', CHAT, {}, 'sk-broken'), 502, 'server_error');
      expect((await post('/chat/completions', CHAT)).status).toBe(200);
      expect((await post('/chat/completions', CHAT, { 'x-simulator-status': '200' }, 'sk-broken')).status).toBe(200);
    } finally {
      sim.setKeyFaults('sk-broken', null);
    }
    expect((await post('/chat/completions', CHAT, {}, 'sk-broken')).status).toBe(200);
    expect(() => sim.setKeyFaults('sk-x', { latencyMs: -1 })).toThrow(/latencyMs/);
  });

  it('sets and clears per-key faults over the HTTP admin route', async () => {
    const admin = `${sim.url.replace(/\/v1$/, '')}/_simulator/keys/${encodeURIComponent('sk-admin/1')}/faults`;
    const put = await fetch(admin, { method: 'PUT', body: JSON.stringify({ status: 429, retryAfter: 3 }) });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { faults: unknown }).faults).toMatchObject({ status: 429, retryAfter: 3, ttftMs: 30 });
    const limited = await post('/chat/completions', CHAT, {}, 'sk-admin/1');
    expect(limited.headers.get('retry-after')).toBe('3');
    await expectError(limited, 429, 'requests');

    await expectError(await fetch(admin, { method: 'PUT', body: JSON.stringify({ stauts: 500 }) }), 400);
    await expectError(await fetch(admin, { method: 'PUT', body: JSON.stringify({ empty: 'yes' }) }), 400);
    expect((await fetch(admin, { method: 'DELETE' })).status).toBe(204);
    expect((await post('/chat/completions', CHAT, {}, 'sk-admin/1')).status).toBe(200);
  });

  it('falls back to the configured defaults below key faults and headers', async () => {
    const flaky = await startSimulator({ defaults: { status: 503, latencyMs: 1 } });
    try {
      const call = (key: string, headers: Record<string, string> = {}) =>
        fetch(`${flaky.url}/models`, { headers: { authorization: `Bearer ${key}`, ...headers } });
      await expectError(await call('sk-a'), 503, 'server_error');
      expect((await call('sk-a', { 'x-simulator-status': '200' })).status).toBe(200);
      flaky.setKeyFaults('sk-b', { status: 200 });
      expect((await call('sk-b')).status).toBe(200);
    } finally {
      await flaky.close();
    }
  });
});

describe('client aborts and counters', () => {
  it('stops a stream the client leaves and counts it', async () => {
    const before = sim.stats();
    const controller = new AbortController();
    const res = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'x-simulator-chunk-delay-ms': '50' },
      body: JSON.stringify({ ...CHAT, stream: true, max_tokens: 200 }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await eventually(() => expect(sim.stats().streamsAborted).toBe(before.streamsAborted + 1));
    expect(sim.requestCount()).toBe(before.requests + 1);
  });
});

describe('CLI', () => {
  it('prints its URL, serves, and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/simulator/main.ts', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const url = /^simulator ready at (http:\/\/127\.0\.0\.1:\d+\/v1)$/.exec(line)?.[1];
      expect(url).toBeDefined();
      const client = new OpenAI({ baseURL: url, apiKey: KEY, maxRetries: 0 });
      expect((await client.models.list()).data).toHaveLength(4);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
