// The lying and quirky upstream: each usage fault mode, set by header and per key, reports what
// it says while the delivered content stays what an honest simulator sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';

const KEY = 'sk-liar';
const CHAT = { model: 'sim-chat', messages: [{ role: 'user' as const, content: 'How many tokens is this?' }] };
const NO_DELAY = { 'x-simulator-ttft-ms': '0', 'x-simulator-chunk-delay-ms': '0' };
const STREAM = { stream: true, stream_options: { include_usage: true } };

let sim: Simulator;
let openai: OpenAI;
let admin: (apiKey: string) => string;

beforeAll(async () => {
  sim = await startSimulator();
  openai = new OpenAI({ baseURL: sim.url, apiKey: KEY, maxRetries: 0 });
  admin = (apiKey) => `${sim.url.replace(/\/v1$/, '')}/_simulator/keys/${encodeURIComponent(apiKey)}/faults`;
});
afterAll(() => sim.close());

const o200k = (text: string): number => encode(text).length;

function post(path: string, body: unknown, headers: Record<string, string> = {}, key = KEY): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...NO_DELAY, ...headers },
    body: JSON.stringify(body),
  });
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** A plain answer or a stream chunk, as far as these tests read them. */
interface Answer {
  model: string;
  choices: { message?: { content: string }; delta?: { content?: string } }[];
  usage?: Usage | null;
}

async function json(res: Response): Promise<Answer> {
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

/** A stream's events split by `end`, [DONE] kept as the string '[DONE]'. */
async function frames(res: Response, end = '\n\n'): Promise<(Answer | '[DONE]')[]> {
  expect(res.status).toBe(200);
  const parts = (await res.text()).split(end);
  expect(parts.pop()).toBe(''); // the text ends with a full event
  return parts.map((part) => {
    expect(part.startsWith('data: ')).toBe(true);
    const data = part.slice('data: '.length);
    return data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as Answer);
  });
}

const content = (events: (Answer | '[DONE]')[]): string =>
  events.map((e) => (e === '[DONE]' ? '' : (e.choices[0]?.delta?.content ?? ''))).join('');

async function putFaults(apiKey: string, faults: unknown): Promise<Response> {
  return fetch(admin(apiKey), { method: 'PUT', body: JSON.stringify(faults) });
}

async function expectBadFault(res: Response, param: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { param: string; type: string } }).error).toMatchObject({ param, type: 'invalid_request_error' });
}

describe('usageFactor', () => {
  it('multiplies the reported prompt and completion tokens, plain, streamed and for embeddings', async () => {
    const honest = await json(await post('/chat/completions', { ...CHAT, max_tokens: 4 }));
    const plain = await json(await post('/chat/completions', { ...CHAT, max_tokens: 4 }, { 'x-simulator-usage-factor': '10' }));
    expect(plain.choices[0].message!.content).toBe(honest.choices[0].message!.content);
    const { prompt_tokens: p, completion_tokens: c } = honest.usage!;
    expect(plain.usage).toEqual({ prompt_tokens: p * 10, completion_tokens: c * 10, total_tokens: (p + c) * 10 });

    const streamed = await frames(
      await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 4 }, { 'x-simulator-usage-factor': '3' }),
    );
    expect(o200k(content(streamed))).toBe(4);
    expect((streamed.at(-2) as Answer).usage).toEqual({ prompt_tokens: p * 3, completion_tokens: 12, total_tokens: p * 3 + 12 });

    const embedded = await json(
      await post('/embeddings', { model: 'sim-embed', input: 'alpha beta' }, { 'x-simulator-usage-factor': '100000' }),
    );
    expect(embedded.usage).toEqual({ prompt_tokens: o200k('alpha beta') * 100_000, total_tokens: o200k('alpha beta') * 100_000 });
  });

  it('is validated: an integer from 1 to 100000', async () => {
    for (const value of ['0', '100001', '1.5', 'ten'])
      await expectBadFault(await post('/chat/completions', CHAT, { 'x-simulator-usage-factor': value }), 'x-simulator-usage-factor');
    for (const usageFactor of [0, 100_001, null, '2']) await expectBadFault(await putFaults('sk-v', { usageFactor }), 'usageFactor');
  });
});

describe('reportCompletionTokens', () => {
  it('reports exactly that completion count whatever was generated', async () => {
    const headers = { 'x-simulator-report-completion-tokens': '90000' };
    const plain = await json(await post('/chat/completions', { ...CHAT, max_tokens: 4 }, headers));
    expect(o200k(plain.choices[0].message!.content)).toBe(4);
    expect(plain.usage!.completion_tokens).toBe(90_000);
    expect(plain.usage!.total_tokens).toBe(plain.usage!.prompt_tokens + 90_000);

    const streamed = await frames(await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 4 }, headers));
    expect(o200k(content(streamed))).toBe(4);
    expect((streamed.at(-2) as Answer).usage!.completion_tokens).toBe(90_000);

    const zero = await json(await post('/chat/completions', { ...CHAT, max_tokens: 4 }, { 'x-simulator-report-completion-tokens': '0' }));
    expect(zero.usage!.completion_tokens).toBe(0);
  });

  it('is set per key (null clears it) and validated: an integer from 0 to 10,000,000', async () => {
    expect((await putFaults('sk-under', { reportCompletionTokens: 1 })).status).toBe(200);
    expect((await json(await post('/chat/completions', { ...CHAT, max_tokens: 20 }, {}, 'sk-under'))).usage!.completion_tokens).toBe(1);
    const cleared = await putFaults('sk-under', { reportCompletionTokens: null });
    expect(((await cleared.json()) as { faults: Record<string, unknown> }).faults.reportCompletionTokens).toBeNull();
    expect((await json(await post('/chat/completions', { ...CHAT, max_tokens: 20 }, {}, 'sk-under'))).usage!.completion_tokens).toBe(20);
    for (const reportCompletionTokens of [-1, 10_000_001, 2.5, 'x'])
      await expectBadFault(await putFaults('sk-v', { reportCompletionTokens }), 'reportCompletionTokens');
    await expectBadFault(
      await post('/chat/completions', CHAT, { 'x-simulator-report-completion-tokens': '10000001' }),
      'x-simulator-report-completion-tokens',
    );
  });
});

describe('noUsage', () => {
  it('leaves usage out of plain chat and embeddings answers, and the usage chunk out of streams', async () => {
    const headers = { 'x-simulator-no-usage': 'true' };
    const plain = await json(await post('/chat/completions', CHAT, headers));
    expect(plain).not.toHaveProperty('usage');
    expect(plain.choices[0].message!.content).toMatch(/^Simulated reply/);
    expect(await json(await post('/embeddings', { model: 'sim-embed', input: 'a' }, headers))).not.toHaveProperty('usage');
    const streamed = await frames(await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 2 }, headers));
    expect(streamed.some((e) => e !== '[DONE]' && 'usage' in e)).toBe(false);
    expect(streamed).toHaveLength(2 + 2);
  });
});

describe('nullUsage', () => {
  it('puts "usage":null on every chunk and the real usage in the final usage chunk only', async () => {
    const streamed = await frames(
      await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 3 }, { 'x-simulator-null-usage': '1' }),
    );
    expect(streamed.at(-1)).toBe('[DONE]');
    const chunks = streamed.slice(0, -1) as Answer[];
    expect(chunks).toHaveLength(3 + 2);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
  });

  it('with noUsage: only nulls, no usage chunk; the SDK reads both', async () => {
    const streamed = await frames(
      await post(
        '/chat/completions',
        { ...CHAT, ...STREAM, max_tokens: 3 },
        { 'x-simulator-null-usage': 'true', 'x-simulator-no-usage': 'true' },
      ),
    );
    const chunks = streamed.slice(0, -1) as Answer[];
    expect(chunks).toHaveLength(3 + 1);
    expect(chunks.every((chunk) => 'usage' in chunk && chunk.usage === null)).toBe(true);

    const sdk = await openai.chat.completions.create(
      { ...CHAT, max_tokens: 3, stream: true, stream_options: { include_usage: true } },
      { headers: { ...NO_DELAY, 'x-simulator-null-usage': 'true' } },
    );
    const usages = [];
    for await (const chunk of sdk) usages.push(chunk.usage);
    expect(usages.slice(0, -1).every((usage) => usage === null)).toBe(true);
    expect(usages.at(-1)).toMatchObject({ completion_tokens: 3 });
  });
});

describe('crlf', () => {
  it('frames every event with CRLF, and the SDK still reads the stream', async () => {
    const res = await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 5 }, { 'x-simulator-crlf': 'true' });
    const text = await res.text();
    expect(text.replaceAll('\r\n', '')).not.toContain('\n'); // no bare LF anywhere
    const streamed = await frames(new Response(text), '\r\n\r\n');
    expect(streamed).toHaveLength(5 + 3);
    expect(o200k(content(streamed))).toBe(5);
    expect(streamed.at(-1)).toBe('[DONE]');

    const sdk = await openai.chat.completions.create(
      { ...CHAT, max_tokens: 5, stream: true },
      { headers: { ...NO_DELAY, 'x-simulator-crlf': 'true' } },
    );
    let received = '';
    for await (const chunk of sdk) received += chunk.choices[0]?.delta.content ?? '';
    expect(o200k(received)).toBe(5);
  });
});

describe('answerModel', () => {
  it('names that model in plain answers, every stream chunk and embeddings', async () => {
    const headers = { 'x-simulator-answer-model': 'gpt-4o-2024-08-06' };
    expect((await json(await post('/chat/completions', CHAT, headers))).model).toBe('gpt-4o-2024-08-06');
    const streamed = await frames(await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 3 }, headers));
    for (const chunk of streamed.slice(0, -1) as Answer[]) expect(chunk.model).toBe('gpt-4o-2024-08-06');
    expect((await json(await post('/embeddings', { model: 'sim-embed', input: 'a' }, headers))).model).toBe('gpt-4o-2024-08-06');
    expect((await json(await post('/chat/completions', CHAT))).model).toBe('sim-chat');
  });

  it('is set per key and validated: a string of 1 to 200 characters', async () => {
    expect((await putFaults('sk-model', { answerModel: 'other-model' })).status).toBe(200);
    expect((await json(await post('/chat/completions', CHAT, {}, 'sk-model'))).model).toBe('other-model');
    expect((await fetch(admin('sk-model'), { method: 'DELETE' })).status).toBe(204);
    for (const answerModel of ['', 'm'.repeat(201), 5, true]) await expectBadFault(await putFaults('sk-v', { answerModel }), 'answerModel');
    expect((await putFaults('sk-v', { answerModel: 'm'.repeat(200) })).status).toBe(200);
    await expectBadFault(
      await post('/chat/completions', CHAT, { 'x-simulator-answer-model': 'm'.repeat(201) }),
      'x-simulator-answer-model',
    );
  });
});

describe('cachedTokens and reasoningTokens', () => {
  it('reports prompt_tokens_details.cached_tokens, capped at prompt_tokens', async () => {
    const plain = await json(await post('/chat/completions', CHAT, { 'x-simulator-cached-tokens': '2' }));
    expect(plain.usage!.prompt_tokens_details).toEqual({ cached_tokens: 2 });
    const capped = await json(await post('/chat/completions', CHAT, { 'x-simulator-cached-tokens': '1000000' }));
    expect(capped.usage!.prompt_tokens_details).toEqual({ cached_tokens: capped.usage!.prompt_tokens });
    const streamed = await frames(
      await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 2 }, { 'x-simulator-cached-tokens': '3' }),
    );
    expect((streamed.at(-2) as Answer).usage!.prompt_tokens_details).toEqual({ cached_tokens: 3 });
    expect(await json(await post('/chat/completions', CHAT))).not.toHaveProperty('usage.prompt_tokens_details');
  });

  it('reports completion_tokens_details.reasoning_tokens inside completion_tokens, with no extra text', async () => {
    const plain = await json(await post('/chat/completions', { ...CHAT, max_tokens: 4 }, { 'x-simulator-reasoning-tokens': '100' }));
    expect(o200k(plain.choices[0].message!.content)).toBe(4);
    expect(plain.usage!.completion_tokens).toBe(104);
    expect(plain.usage!.completion_tokens_details).toEqual({ reasoning_tokens: 100 });
    const streamed = await frames(
      await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 4 }, { 'x-simulator-reasoning-tokens': '100' }),
    );
    expect(o200k(content(streamed))).toBe(4);
    expect((streamed.at(-2) as Answer).usage).toMatchObject({
      completion_tokens: 104,
      completion_tokens_details: { reasoning_tokens: 100 },
    });
  });

  it('are set per key and validated: integers from 0 to 1,000,000 or null', async () => {
    expect((await putFaults('sk-details', { cachedTokens: 1, reasoningTokens: 5 })).status).toBe(200);
    const usage = (await json(await post('/chat/completions', { ...CHAT, max_tokens: 2 }, {}, 'sk-details'))).usage;
    expect(usage).toMatchObject({
      completion_tokens: 7,
      prompt_tokens_details: { cached_tokens: 1 },
      completion_tokens_details: { reasoning_tokens: 5 },
    });
    for (const cachedTokens of [-1, 1_000_001, 0.5]) await expectBadFault(await putFaults('sk-v', { cachedTokens }), 'cachedTokens');
    for (const reasoningTokens of [-1, 1_000_001, 'many'])
      await expectBadFault(await putFaults('sk-v', { reasoningTokens }), 'reasoningTokens');
  });
});

describe('the new fields together', () => {
  it('shows their defaults in the admin answer and accepts them all per key', async () => {
    const put = await putFaults('sk-all', { usageFactor: 2, crlf: true, nullUsage: true, answerModel: 'liar-1' });
    expect(((await put.json()) as { faults: unknown }).faults).toMatchObject({
      usageFactor: 2,
      reportCompletionTokens: null,
      noUsage: false,
      nullUsage: true,
      crlf: true,
      answerModel: 'liar-1',
      cachedTokens: null,
      reasoningTokens: null,
    });
    const streamed = await frames(await post('/chat/completions', { ...CHAT, ...STREAM, max_tokens: 2 }, {}, 'sk-all'), '\r\n\r\n');
    const chunks = streamed.slice(0, -1) as Answer[];
    expect(chunks.every((chunk) => chunk.model === 'liar-1')).toBe(true);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBe(4);
    for (const bool of ['crlf', 'nullUsage']) await expectBadFault(await putFaults('sk-v', { [bool]: 'yes' }), bool);
  });
});
