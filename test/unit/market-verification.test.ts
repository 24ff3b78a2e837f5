// The canonical registry as data (validated at load, fingerprints that tell tokenizers apart) and
// the verification judges, pure: each rule's pass and its failures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Capability } from '../../subgraphs/market/entities/Listing';
import { parseRegistry, shippedRegistry } from '../../subgraphs/market/services/registry';
import {
  claimsOf,
  fingerprintTolerance,
  hasClaims,
  judgeContext,
  judgeFingerprint,
  judgeJsonSchema,
  judgeKnownAnswer,
  judgeToolCall,
  longPrompt,
  schemaProblem,
} from '../../subgraphs/market/services/verification';
import { encode as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base';

const FILE = JSON.parse(readFileSync(new URL('../../subgraphs/market/registry/models.json', import.meta.url), 'utf8'));
const clone = () => JSON.parse(JSON.stringify(FILE));
const answer = (message: Record<string, unknown>, usage?: Record<string, unknown>) => ({
  httpStatus: 200,
  failure: null,
  body: { choices: [{ message }], usage },
});
const failed = (failure: string) => ({ httpStatus: 400, body: null, failure });

describe('canonical model registry', () => {
  const registry = shippedRegistry();

  it("holds real ids and the simulator's own canonical model, each vendor reserved", () => {
    for (const id of [
      'openai/gpt-4o',
      'openai/gpt-4o-mini',
      'meta-llama/llama-3.1-8b-instruct',
      'anthropic/claude-3.5-sonnet',
      'dragonfly/sim-chat',
    ])
      expect(registry.get(id), id).not.toBeNull();
    expect(registry.get('dragonfly/sim-chat')).toMatchObject({
      capability: Capability.CHAT,
      tokenizer: 'o200k_base',
      contextLength: 16384,
      supportedParameters: expect.arrayContaining(['tools', 'json_schema']),
    });
    for (const handle of ['openai', 'anthropic', 'meta-llama', 'mistralai', 'deepseek', 'qwen', 'dragonfly'])
      expect(registry.isReserved(handle), handle).toBe(true);
    expect(registry.isReserved('acme')).toBe(false);
    expect(registry.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
  });

  it('has fingerprints that another tokenizer cannot pass within the tolerance', () => {
    for (const model of registry.models().filter((m) => m.verification.fingerprints.length > 0)) {
      const [own, other] = model.tokenizer === 'o200k_base' ? [o200k, cl100k] : [cl100k, o200k];
      for (const prompt of model.verification.fingerprints) {
        const expected = own(prompt).length + 7;
        expect(Math.abs(other(prompt).length + 7 - expected), `${model.id}: ${prompt}`).toBeGreaterThan(fingerprintTolerance(expected));
      }
    }
  });

  it.each([
    ['a duplicate id', (f: any) => f.models.push(f.models[0]), /listed twice/],
    ['an id that is not vendor/name', (f: any) => (f.models[0].id = 'gpt-4o'), /is not vendor\/name/],
    ['an unknown capability', (f: any) => (f.models[0].capability = 'video'), /capability must be one of/],
    [
      'fingerprints for a tokenizer the platform cannot count',
      (f: any) => (f.models.find((m: any) => m.tokenizer === 'llama3').verification.fingerprints = ['hi']),
      /cannot count llama3 tokens/,
    ],
    [
      'a known answer that is not a regular expression',
      (f: any) => (f.models[0].verification.knownAnswers[0].match = '('),
      /is not a regular expression/,
    ],
    ['an unknown supported parameter', (f: any) => f.models[0].supportedParameters.push('telepathy'), /unknown "telepathy"/],
    ['a negative context length', (f: any) => (f.models[0].contextLength = -1), /contextLength must be a positive integer/],
    ['a malformed reserved handle', (f: any) => f.reservedHandles.push('Bad Handle'), /is not a valid handle/],
    ['no version', (f: any) => delete f.version, /version must be a non-empty string/],
  ])('refuses a file with %s, naming it', (_name, mutate, message) => {
    const file = clone();
    mutate(file);
    expect(() => parseRegistry(file)).toThrow(message);
  });
});

describe('claims of a listing', () => {
  const registry = shippedRegistry();
  it("takes a canonical listing's claims from the registry, adds declared metadata, and has none for a bare own-namespace listing", () => {
    expect(claimsOf({ model: 'dragonfly/sim-chat', capability: Capability.CHAT }, registry)).toMatchObject({
      tokenizer: 'o200k_base',
      contextLength: 16384,
    });
    const own = claimsOf({ model: 'acme/chat', capability: Capability.CHAT }, registry);
    expect(own).toEqual({ canonical: null, supportedParameters: [], contextLength: null, tokenizer: null });
    expect(hasClaims(own)).toBe(false);
    const declared = claimsOf(
      { model: 'acme/chat', capability: Capability.CHAT, supportedParameters: ['tools'], contextLength: 4096 } as never,
      registry,
    );
    expect(declared).toMatchObject({ supportedParameters: ['tools'], contextLength: 4096 });
    expect(hasClaims(declared)).toBe(true);
  });
});

describe('verification judges', () => {
  const schema = {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city', 'unit'],
    additionalProperties: false,
  };

  it('checks a value against the strict-mode schema subset', () => {
    expect(schemaProblem({ city: 'Paris', unit: 'c' }, schema)).toBeNull();
    expect(schemaProblem({ city: 'Paris' }, schema)).toBe('$.unit is missing');
    expect(schemaProblem({ city: 3, unit: 'c' }, schema)).toBe('$.city is not a string');
    expect(schemaProblem({ city: 'x', unit: 'k' }, schema)).toMatch(/^\$\.unit is not one of/);
    expect(schemaProblem({ city: 'x', unit: 'c', extra: 1 }, schema)).toBe('$.extra is not allowed');
    expect(schemaProblem([], schema)).toBe('$ is not an object');
    expect(schemaProblem(1.5, { type: 'integer' })).toBe('$ is not an integer');
  });

  it('passes a prompt count within the tolerance and fails one outside it', () => {
    expect(judgeFingerprint(answer({}, { prompt_tokens: 30 }), 29, 'o200k_base')).toMatchObject({ name: 'tokenizer', passed: true });
    expect(judgeFingerprint(answer({}, { prompt_tokens: 38 }), 29, 'o200k_base')).toMatchObject({
      passed: false,
      detail: 'prompt_tokens 38 where o200k_base counts 29 (±2): another tokenizer, so another model',
    });
    expect(judgeFingerprint(answer({}), 29, 'o200k_base')).toMatchObject({ passed: false, detail: 'no usage.prompt_tokens in the answer' });
    expect(judgeFingerprint(failed('the upstream answered HTTP 500'), 29, 'o200k_base')).toMatchObject({
      passed: false,
      detail: 'the upstream answered HTTP 500',
    });
  });

  it('matches a known answer case-insensitively on the trimmed reply', () => {
    expect(judgeKnownAnswer(answer({ content: ' Paris.\n' }), /\bparis\b/i).passed).toBe(true);
    expect(judgeKnownAnswer(answer({ content: 'Simulated reply to: What' }), /\bparis\b/i)).toMatchObject({
      passed: false,
      detail: `the answer "Simulated reply to: What" is not the model's known answer`,
    });
    expect(judgeKnownAnswer(answer({ content: null }), /x/).passed).toBe(false);
  });

  it('wants a forced call of the named tool with arguments that match its schema', () => {
    const call = (name: string, args: string) => answer({ content: null, tool_calls: [{ function: { name, arguments: args } }] });
    expect(judgeToolCall(call('get_weather', '{"city":"Paris","unit":"c"}'), 'get_weather', schema).passed).toBe(true);
    expect(judgeToolCall(answer({ content: 'It is sunny' }), 'get_weather', schema).detail).toBe(
      'a forced tool call was answered without one (text "It is sunny")',
    );
    expect(judgeToolCall(call('other', '{}'), 'get_weather', schema).detail).toMatch(/named "other", not get_weather/);
    expect(judgeToolCall(call('get_weather', '{"city":'), 'get_weather', schema).detail).toBe('the tool call arguments are not JSON');
    expect(judgeToolCall(call('get_weather', '{"city":"Paris"}'), 'get_weather', schema).detail).toBe(
      'the tool call arguments do not match the schema: $.unit is missing',
    );
  });

  it('wants parseable JSON matching the schema under json_schema', () => {
    const probe = { type: 'object', properties: { wings: { type: 'integer' } }, required: ['wings'] };
    expect(judgeJsonSchema(answer({ content: '{"wings":4}' }), probe).passed).toBe(true);
    expect(judgeJsonSchema(answer({ content: '{"wings":4' }), probe).detail).toMatch(/is not JSON/);
    expect(judgeJsonSchema(answer({ content: '{"wings":"four"}' }), probe).detail).toBe(
      'the answer does not match the schema: $.wings is not an integer',
    );
  });

  it('accepts a context claim when the near-limit prompt is answered, and says what was refused', () => {
    expect(judgeContext(answer({ content: 'ok' }), 16384, 15892).passed).toBe(true);
    expect(judgeContext(failed('the upstream answered HTTP 400: too long'), 16384, 15892).detail).toBe(
      'a prompt of about 15892 tokens (declared context 16384) was refused: the upstream answered HTTP 400: too long',
    );
  });

  it('builds a near-limit prompt of about the asked size in o200k and cl100k alike', () => {
    const prompt = longPrompt(2000);
    for (const count of [o200k(prompt).length, cl100k(prompt).length]) {
      expect(count + 7).toBeLessThanOrEqual(2000);
      expect(count + 7).toBeGreaterThanOrEqual(1990);
    }
  });
});
