// The simulator's lying modes for verification (another tokenizer, ignored tools, broken JSON, a
// short context), by header and per key, and its known answers: only the simulated model's own ids
// answer them, so the simulator cannot pass as another model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

const TOOL = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const FORCED = { tools: [TOOL], tool_choice: { type: 'function', function: { name: 'get_weather' } } };
const SCHEMA = {
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'x', schema: { type: 'object', properties: { wings: { type: 'integer' } }, required: ['wings'] } },
  },
};
const RUSSIAN = 'Привет! Как дела? Расскажи мне о стрекозах и их крыльях.';

async function chat(body: Record<string, unknown>, headers: Record<string, string> = {}, key = 'sk-lying') {
  const response = await fetch(`${sim.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ model: 'sim-chat', max_tokens: 16, ...body }),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      choices: { message: { content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] } }[];
      usage: { prompt_tokens: number };
      error?: { code: string; message: string };
    },
  };
}
const user = (content: string) => [{ role: 'user', content }];

describe('known answers of the simulated model', () => {
  it.each([
    ['sim-chat', 'What is 4817 * 29? Reply with the number only.', '139693'],
    ['dragonfly/sim-chat', 'What is 123456 + 654321? Reply with the number only.', '777777'],
    ['sim-chat-large', 'What is 10 - 25?', '-15'],
    ['sim-chat', 'Repeat exactly: dragonfly-verification-7f3a', 'dragonfly-verification-7f3a'],
  ])('%s answers %j with %j', async (model, prompt, answer) => {
    const { body } = await chat({ model, messages: user(prompt) });
    expect(body.choices[0].message.content).toBe(answer);
  });

  it('gives any other model id the ordinary simulated reply (it cannot pass as gpt-4o)', async () => {
    const { body } = await chat({ model: 'gpt-4o', messages: user('What is 4817 * 29? Reply with the number only.') });
    expect(body.choices[0].message.content).not.toContain('139693');
    expect(body.choices[0].message.content).toMatch(/^Simulated reply to:/);
  });
});

describe('lying modes', () => {
  it('counts prompt_tokens honestly by o200k, and by cl100k under tokenizer=cl100k_base (header and per key)', async () => {
    const honest = await chat({ messages: user(RUSSIAN) });
    expect(honest.body.usage.prompt_tokens).toBe(o200k(RUSSIAN).length + 7);
    const lying = await chat({ messages: user(RUSSIAN) }, { 'x-simulator-tokenizer': 'cl100k_base' });
    expect(lying.body.usage.prompt_tokens).toBe(cl100k(RUSSIAN).length + 7);
    expect(lying.body.usage.prompt_tokens).toBeGreaterThan(honest.body.usage.prompt_tokens + 5);
    sim.setKeyFaults('sk-cl100k', { tokenizer: 'cl100k_base' });
    expect((await chat({ messages: user(RUSSIAN) }, {}, 'sk-cl100k')).body.usage.prompt_tokens).toBe(cl100k(RUSSIAN).length + 7);
  });

  it('answers a forced tool call with a call, or with text under ignoreTools', async () => {
    const honest = await chat({ messages: user('weather?'), ...FORCED });
    expect(honest.body.choices[0].message.tool_calls?.[0].function).toMatchObject({ name: 'get_weather' });
    expect(JSON.parse(honest.body.choices[0].message.tool_calls![0].function.arguments)).toEqual({ city: 'simulated' });
    const lying = await chat({ messages: user('weather?'), ...FORCED }, { 'x-simulator-ignore-tools': 'true' });
    expect(lying.body.choices[0].message.tool_calls).toBeUndefined();
    expect(lying.body.choices[0].message.content).toEqual(expect.any(String));
  });

  it('answers json_schema with parseable JSON, or JSON cut short under invalidJson', async () => {
    const honest = await chat({ messages: user('json'), ...SCHEMA });
    expect(JSON.parse(honest.body.choices[0].message.content!)).toEqual({ wings: 1 });
    const lying = await chat({ messages: user('json'), ...SCHEMA }, { 'x-simulator-invalid-json': '1' });
    expect(() => JSON.parse(lying.body.choices[0].message.content!)).toThrow();
  });

  it('refuses prompts above contextTokens with context_length_exceeded, and accepts those within', async () => {
    const short = await chat({ messages: user('hello') }, { 'x-simulator-context-tokens': '100' });
    expect(short.status).toBe(200);
    const long = await chat({ messages: user(' the'.repeat(200)) }, { 'x-simulator-context-tokens': '100' });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ code: 'context_length_exceeded' });
    expect(long.body.error!.message).toMatch(/maximum context length is 100 tokens/);
  });

  it.each([
    ['x-simulator-tokenizer', 'gpt2'],
    ['x-simulator-ignore-tools', 'maybe'],
    ['x-simulator-context-tokens', '0'],
    ['x-simulator-context-tokens', 'lots'],
  ])('refuses a bad %s (%s) with a 400 naming it', async (header, value) => {
    const { status, body } = await chat({ messages: user('hi') }, { [header]: value });
    expect(status).toBe(400);
    expect(JSON.stringify(body.error)).toContain(header);
  });
});
