// The supply pages' mapping (pure): exact USD-per-token strings from integer micros, OpenRouter's
// field names, listing metadata and verification read defensively, and the bounded cache.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate, type OperationDefinitionNode } from 'graphql';
import { DEFAULT_GRAPHQL_LIMITS, measureOperation } from '../../gateway/graphql-limits';
import {
  openRouterEndpoints,
  openRouterModel,
  perUnitUsd,
  providerName,
  SUPPLY_MODEL_QUERY,
  SUPPLY_MODELS_QUERY,
  SupplyPages,
  supportedParameters,
  type SupplyListing,
  type SupplyModel,
} from '../../gateway/inference/supply-pages';

const listing = (over: Partial<SupplyListing> = {}): SupplyListing => ({
  id: '11111111-2222-3333-4444-555555555555',
  createdAt: '2026-01-02T03:04:05.000Z',
  seller: { id: 'abcdef12-0000-0000-0000-000000000000' },
  inputPricePerMTok: { micros: 500_000 },
  outputPricePerMTok: { micros: 1_500_000 },
  ...over,
});
const model = (endpoints: SupplyListing[], over: Partial<SupplyModel> = {}): SupplyModel => ({
  id: 'acme/sim-chat',
  name: 'Sim Chat',
  tagline: 'A simulated chat model',
  capability: 'CHAT',
  endpoints,
  ...over,
});

describe('perUnitUsd', () => {
  it('is micros per million × 10⁻¹², exact, as a decimal string', () => {
    expect(perUnitUsd(0)).toBe('0');
    expect(perUnitUsd(1)).toBe('0.000000000001');
    expect(perUnitUsd(150_000)).toBe('0.00000015');
    expect(perUnitUsd(1_000_000)).toBe('0.000001');
    expect(perUnitUsd(2_500_000_000_000)).toBe('2.5');
    expect(perUnitUsd(123_456_789_012_345)).toBe('123.456789012345');
    // Not an amount: never NaN or exponent notation.
    expect(perUnitUsd(-5)).toBe('0');
    expect(perUnitUsd(1.5)).toBe('0');
  });
});

describe('openRouterModel', () => {
  it("is an OpenAI Model and has OpenRouter's fields, at the cheapest endpoint's price", () => {
    const m = openRouterModel(
      model([
        listing(),
        listing({
          id: 'L2',
          createdAt: '2025-12-01T00:00:00.000Z',
          inputPricePerMTok: { micros: 900_000 },
          outputPricePerMTok: { micros: 2_000_000 },
        }),
      ]),
    );
    expect(m).toMatchObject({
      id: 'acme/sim-chat',
      object: 'model',
      owned_by: 'acme',
      created: Date.parse('2025-12-01T00:00:00.000Z') / 1000,
      name: 'Sim Chat',
      description: 'A simulated chat model',
      per_request_limits: null,
      context_length: null,
    });
    expect(m.pricing).toEqual({
      prompt: '0.0000005',
      completion: '0.0000015',
      request: '0',
      image: '0',
      web_search: '0',
      internal_reasoning: '0',
    });
    expect(m.top_provider).toEqual({ context_length: null, max_completion_tokens: null, is_moderated: false });
    expect(m.architecture).toEqual({
      modality: 'text->text',
      input_modalities: ['text'],
      output_modalities: ['text'],
      tokenizer: 'Other',
      instruct_type: null,
    });
  });

  it('reads listing metadata where the graph gives it: context, output cap, parameters, vision', () => {
    const m = openRouterModel(
      model([
        listing({
          contextLength: 32_768,
          maxOutputTokens: 4096,
          supportedParameters: ['tools', 'json_schema'],
          cacheReadPricePerMTok: { micros: 100_000 },
        }),
        listing({ id: 'L2', contextLength: 131_072, supportedParameters: ['vision', 'seed'] }),
      ]),
    );
    expect(m.context_length).toBe(131_072);
    expect(m.top_provider).toMatchObject({ context_length: 32_768, max_completion_tokens: 4096 });
    expect(m.pricing).toMatchObject({ input_cache_read: '0.0000001' });
    expect(m.architecture).toMatchObject({ modality: 'text+image->text', input_modalities: ['text', 'image'] });
    expect(m.supported_parameters).toEqual(
      expect.arrayContaining(['tools', 'response_format', 'structured_outputs', 'seed', 'max_tokens']),
    );
    expect(m.supported_parameters).not.toContain('vision');
  });

  it('embeddings and speech: their modalities; speech priced per character', () => {
    expect(openRouterModel(model([listing()], { capability: 'EMBEDDINGS' })).architecture.output_modalities).toEqual(['embeddings']);
    const tts = openRouterModel(model([listing({ pricePerMChars: { micros: 15_000_000 } })], { capability: 'SPEECH' }));
    expect(tts.architecture.modality).toBe('text->audio');
    expect(tts.pricing).toMatchObject({ prompt: '0.000015', completion: '0' });
    expect(tts.supported_parameters).toEqual([]);
  });
});

describe('openRouterEndpoints', () => {
  it("maps each listing with OpenRouter's names, and Dragonfly's region, data policy, verification, reputation", () => {
    const page = openRouterEndpoints(
      model([
        listing({
          quantization: 'fp8',
          region: 'eu-west',
          dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: true },
          verification: {
            status: 'PASSED',
            checkedAt: '2026-01-03T00:00:00.000Z',
            canonicalModel: 'acme/sim-chat',
            checks: [{ name: 'tokenizer', passed: true, detail: null }],
          },
          reputation: {
            windowMinutes: 15,
            requests: 40,
            successRate: 0.975,
            ttftP50Ms: 120,
            ttftP95Ms: 300,
            latencyP50Ms: 500,
            latencyP95Ms: 900,
            tokensPerSecond: 42.5,
          },
          uptime: { requests: 80, successRate: 0.9875 },
          seller: { id: 'x', handle: 'acme-gpu' },
        }),
        listing({ id: 'L2', uptime: { requests: 50, successRate: 0.5 } }),
      ]),
    );
    const [first, second] = page.data.endpoints;
    expect(page.data).toMatchObject({ id: 'acme/sim-chat', name: 'Sim Chat' });
    expect(first).toMatchObject({
      name: 'acme-gpu | acme/sim-chat',
      provider_name: 'acme-gpu',
      tag: 'acme-gpu',
      quantization: 'fp8',
      status: 0,
      uptime_last_30m: 98.75,
      region: 'eu-west',
      data_policy: { retains_prompts: false, trains_on_prompts: false, zero_retention: true },
      verification: { status: 'PASSED', canonical_model: 'acme/sim-chat', checks: [{ name: 'tokenizer', passed: true, detail: null }] },
      reputation: { window_minutes: 15, requests: 40, success_rate: 0.975, ttft_p50_ms: 120, tokens_per_second: 42.5 },
    });
    // Without metadata (the fields absent from the graph): null, and OpenRouter's "unknown" quantization.
    expect(second).toMatchObject({
      quantization: 'unknown',
      region: null,
      data_policy: null,
      verification: null,
      reputation: null,
      status: -1,
      uptime_last_30m: 50,
    });
    expect(providerName(listing())).toBe('seller-abcdef12');
    // As the graph gives it: the account's seller record.
    expect(providerName(listing({ seller: { id: 'x', seller: { handle: 'north-gpu' } } }))).toBe('north-gpu');
    expect(providerName(listing({ seller: { id: 'abcdef12-0000', seller: null } }))).toBe('seller-abcdef12');
  });
});

describe("the pages' queries", () => {
  const schema = buildSchema(readFileSync(new URL('../../schema/api.graphql', import.meta.url), 'utf8'));
  const measure = (query: string) => {
    const document = parse(query);
    expect(validate(schema, document)).toEqual([]);
    return measureOperation(schema, document, document.definitions[0] as OperationDefinitionNode, DEFAULT_GRAPHQL_LIMITS.listCostMultiplier)
      .cost;
  };

  it('ask the graph for the metadata and verification that exist, and GET /v1/models stays within the query cost limit', () => {
    for (const field of ['contextLength', 'maxOutputTokens', 'supportedParameters']) expect(SUPPLY_MODELS_QUERY).toContain(field);
    for (const field of [
      'contextLength',
      'maxOutputTokens',
      'supportedParameters',
      'quantization',
      'region',
      'dataPolicy { retainsPrompts trainsOnPrompts zeroRetention }',
      'verification { status checkedAt canonicalModel checks { name passed detail } }',
      'seller { id seller { handle } }',
    ]) {
      expect(SUPPLY_MODEL_QUERY).toContain(field);
    }
    // Every list at its bound: 100 models × 10 endpoints for the list page.
    expect(measure(SUPPLY_MODELS_QUERY)).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxCost);
    expect(measure(SUPPLY_MODEL_QUERY)).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxCost);
  });
});

describe('supportedParameters', () => {
  it('maps the listing vocabulary to request parameters; chat only', () => {
    expect(supportedParameters('CHAT', ['logprobs', 'reasoning', 'unknown-thing'])).toEqual([
      'frequency_penalty',
      'include_reasoning',
      'logprobs',
      'max_tokens',
      'presence_penalty',
      'reasoning',
      'temperature',
      'top_logprobs',
      'top_p',
    ]);
    expect(supportedParameters('EMBEDDINGS', ['tools'])).toEqual([]);
  });
});

describe('SupplyPages cache', () => {
  it('reads once per ttl and bounds the models it holds', async () => {
    let now = 0;
    let reads = 0;
    const pages = new SupplyPages(
      { models: async () => (reads++, []), model: async (id) => (reads++, id === 'a/b' ? model([listing()]) : null) },
      10_000,
      () => now,
      2,
    );
    await pages.models();
    await pages.models();
    await pages.model('a/b');
    await pages.model('a/b');
    expect(reads).toBe(2);
    now = 10_001;
    await pages.models();
    expect(reads).toBe(3);
    for (const id of ['x/1', 'x/2', 'x/3']) await pages.model(id);
    // a/b was the oldest and is gone: read again.
    await pages.model('a/b');
    expect(reads).toBe(7);
  });
});
