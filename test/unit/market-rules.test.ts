// Market's other pure rules: the contract state machine, price changes and review, probe verdicts,
// the provider catalog, and the public model summary.
import { describe, expect, it } from 'vitest';
import { ContractState } from '../../subgraphs/market/entities/Contract';
import { CheckKind } from '../../subgraphs/market/entities/ContractCheck';
import { Capability } from '../../subgraphs/market/entities/Listing';
import { transition, unsuspendBlocker, type ContractCounters } from '../../subgraphs/market/services/contract-state';
import { blendedPrice, FROM_ZERO_PERCENT, planPriceChange } from '../../subgraphs/market/services/pricing';
import { judgeProbe } from '../../subgraphs/market/services/probe-verdict';
import { ProviderCatalog } from '../../subgraphs/market/services/providers';
import { matchesFilter, summarizeModels } from '../../subgraphs/market/services/models';
import { marketSettingsFromEnv } from '../../subgraphs/market/services/settings';
import { redact, type ProbeObservation } from '../../subgraphs/market/services/upstream';

const rules = { suspendAfterFailures: 3, liveFailureBurst: 3 };
const at = (state: ContractState, consecutiveFailures = 0, liveFailureStreak = 0): ContractCounters => ({
  state,
  consecutiveFailures,
  liveFailureStreak,
});
const run = (start: ContractCounters, checks: [CheckKind, boolean][]) =>
  checks.reduce((s, [kind, passed]) => transition(s, { kind, passed }, rules), start);
const { ADMISSION, SCHEDULED, REVERIFY, LIVE } = CheckKind;
const { PENDING, ACTIVE, DEGRADED, SUSPENDED } = ContractState;

describe('contract state machine', () => {
  it('admits PENDING on a pass and keeps it PENDING on failures', () => {
    expect(transition(at(PENDING), { kind: ADMISSION, passed: true }, rules)).toEqual(at(ACTIVE));
    expect(
      run(at(PENDING), [
        [ADMISSION, false],
        [ADMISSION, false],
        [ADMISSION, false],
        [ADMISSION, false],
      ]),
    ).toEqual(at(PENDING, 4));
  });

  it('degrades on the first failure, heals on a pass, suspends after N failures in a row', () => {
    expect(transition(at(ACTIVE), { kind: SCHEDULED, passed: false }, rules)).toEqual(at(DEGRADED, 1));
    expect(transition(at(DEGRADED, 2), { kind: REVERIFY, passed: true }, rules)).toEqual(at(ACTIVE));
    expect(
      run(at(ACTIVE), [
        [SCHEDULED, false],
        [SCHEDULED, false],
      ]),
    ).toEqual(at(DEGRADED, 2));
    expect(
      run(at(ACTIVE), [
        [SCHEDULED, false],
        [SCHEDULED, false],
        [REVERIFY, false],
      ]),
    ).toEqual(at(SUSPENDED, 3));
    expect(transition(at(ACTIVE), { kind: SCHEDULED, passed: false }, { ...rules, suspendAfterFailures: 1 })).toEqual(at(SUSPENDED, 1));
  });

  it('keeps SUSPENDED whatever a check says', () => {
    expect(transition(at(SUSPENDED, 3), { kind: REVERIFY, passed: true }, rules)).toEqual(at(SUSPENDED, 0));
    expect(transition(at(SUSPENDED, 3), { kind: SCHEDULED, passed: false }, rules)).toEqual(at(SUSPENDED, 4));
    expect(transition(at(SUSPENDED, 3), { kind: LIVE, passed: true }, rules).state).toBe(SUSPENDED);
  });

  it('counts live failures only from a burst on; a live success resets the streak and heals DEGRADED', () => {
    expect(
      run(at(ACTIVE), [
        [LIVE, false],
        [LIVE, false],
      ]),
    ).toEqual(at(ACTIVE, 0, 2));
    expect(
      run(at(ACTIVE), [
        [LIVE, false],
        [LIVE, false],
        [LIVE, false],
      ]),
    ).toEqual(at(DEGRADED, 1, 3));
    expect(
      run(at(ACTIVE), [
        [LIVE, false],
        [LIVE, false],
        [LIVE, true],
        [LIVE, false],
        [LIVE, false],
      ]),
    ).toEqual(at(ACTIVE, 0, 2));
    expect(
      run(
        at(ACTIVE),
        Array.from({ length: 5 }, () => [LIVE, false] as [CheckKind, boolean]),
      ),
    ).toEqual(at(SUSPENDED, 3, 5));
    expect(transition(at(DEGRADED, 1, 4), { kind: LIVE, passed: true }, rules)).toEqual(at(ACTIVE));
    expect(transition(at(PENDING), { kind: LIVE, passed: true }, rules).state).toBe(PENDING); // traffic never admits
  });

  it('allows unsuspending only a suspended contract whose latest check since the suspension passed', () => {
    const suspendedAt = new Date('2030-01-01T00:00:00Z');
    const later = new Date('2030-01-01T00:05:00Z');
    expect(unsuspendBlocker({ state: ACTIVE })).toMatch(/not suspended/);
    expect(unsuspendBlocker({ state: SUSPENDED, suspendedAt, lastCheckAt: suspendedAt, lastCheckPassed: false })).toMatch(/has not passed/);
    expect(unsuspendBlocker({ state: SUSPENDED, suspendedAt, lastCheckAt: later, lastCheckPassed: false })).toMatch(/has not passed/);
    expect(
      unsuspendBlocker({ state: SUSPENDED, suspendedAt, lastCheckAt: new Date('2029-12-31T00:00:00Z'), lastCheckPassed: true }),
    ).toMatch(/has not passed/);
    expect(unsuspendBlocker({ state: SUSPENDED, suspendedAt, lastCheckAt: later, lastCheckPassed: true })).toBeNull();
  });
});

describe('price changes', () => {
  const live = { input: 1_000_000, output: 2_000_000, perMChars: null };

  it('applies decreases and increases up to the threshold at once, and holds larger increases', () => {
    expect(planPriceChange(live, { input: 500_000, output: 2_400_000 }, 20)).toEqual({
      applyNow: { input: 500_000, output: 2_400_000 },
      pending: {},
      pendingIncreasePercent: 0,
    });
    expect(planPriceChange(live, { input: 900_000, output: 2_400_001 }, 20)).toMatchObject({
      applyNow: { input: 900_000 },
      pending: { output: 2_400_001 },
    });
    expect(planPriceChange(live, { output: 3_000_000 }, 20).pendingIncreasePercent).toBe(50);
  });

  it('treats any rise from a price of 0 as above every threshold', () => {
    const plan = planPriceChange({ input: 0, output: 0, perMChars: null }, { input: 1 }, 1000);
    expect(plan.pending).toEqual({ input: 1 });
    expect(plan.pendingIncreasePercent).toBe(FROM_ZERO_PERCENT);
    expect(planPriceChange({ input: 0, output: 0, perMChars: null }, { input: 0 }, 20).applyNow).toEqual({ input: 0 });
  });

  it('honours another threshold, and 0 holds every increase', () => {
    expect(planPriceChange(live, { output: 3_000_000 }, 60).pending).toEqual({});
    expect(planPriceChange(live, { output: 2_000_001 }, 0).pending).toEqual({ output: 2_000_001 });
  });

  it('blends input + output for tokens, the per-character price for speech', () => {
    expect(blendedPrice(Capability.CHAT, live)).toBe(3_000_000);
    expect(blendedPrice(Capability.SPEECH, { input: 9, output: 9, perMChars: 15_000_000 })).toBe(15_000_000);
  });
});

function seen(over: Partial<ProbeObservation>): ProbeObservation {
  return {
    capability: Capability.CHAT,
    httpStatus: 200,
    failure: null,
    refused: false,
    slowFirstToken: false,
    contentType: 'text/event-stream',
    latencyMs: 250,
    ttftMs: 40,
    streamed: true,
    contentChunks: 16,
    streamSpreadMs: 150,
    answerLength: 80,
    completionTokens: 16,
    usageReported: true,
    vectorLength: 0,
    audioBytes: 0,
    ...over,
  };
}
const verdictRules = { maxTtftMs: 1000, minContentChunks: 3, minStreamSpreadMs: 10 };

describe('probe verdicts', () => {
  it('passes a real stream and computes tokens per second over the generation', () => {
    expect(judgeProbe(seen({}), verdictRules)).toEqual({ passed: true, reason: null, tokensPerSecond: 106.7 });
  });

  it.each<[string, Partial<ProbeObservation>, RegExp]>([
    ['a refused key', { refused: true, httpStatus: 401, failure: 'x' }, /refused the pool key \(HTTP 401\)/],
    ['nothing within the time limit', { slowFirstToken: true, failure: 'nothing arrived within 1000 ms' }, /too slow/],
    ['an error status', { failure: 'the upstream answered HTTP 500: boom' }, /HTTP 500/],
    ['a JSON answer', { streamed: false, contentType: 'application/json' }, /not streamed.*application\/json/],
    ['an empty answer', { answerLength: 0, contentChunks: 0, completionTokens: 0 }, /empty answer/],
    ['no usage', { usageReported: false, completionTokens: null }, /no usage in the stream/],
    ['completion_tokens of 0', { completionTokens: 0 }, /completion_tokens = 0/],
    ['too few chunks', { contentChunks: 2 }, /2 content chunk\(s\), at least 3/],
    ['everything at once', { streamSpreadMs: 1 }, /fake streaming: all 16 content chunks arrived within 1 ms/],
    ['a slow first token', { ttftMs: 1500 }, /too slow: first token after 1500 ms/],
  ])('fails chat for %s', (_name, over, reason) => {
    const verdict = judgeProbe(seen(over), verdictRules);
    expect(verdict.passed).toBe(false);
    expect(verdict.reason).toMatch(reason);
  });

  it('judges embeddings by a vector and usage, speech by audio bytes of an audio type', () => {
    const embed = seen({
      capability: Capability.EMBEDDINGS,
      streamed: false,
      contentType: 'application/json',
      vectorLength: 256,
      usageReported: true,
    });
    expect(judgeProbe(embed, verdictRules).passed).toBe(true);
    expect(judgeProbe({ ...embed, vectorLength: 0 }, verdictRules).reason).toMatch(/no embedding vector/);
    expect(judgeProbe({ ...embed, usageReported: false }, verdictRules).reason).toMatch(/no usage/);
    const speech = seen({ capability: Capability.SPEECH, streamed: false, contentType: 'audio/mpeg', audioBytes: 2048 });
    expect(judgeProbe(speech, verdictRules).passed).toBe(true);
    expect(judgeProbe({ ...speech, contentType: 'application/json' }, verdictRules).reason).toMatch(/not audio/);
    expect(judgeProbe({ ...speech, audioBytes: 0 }, verdictRules).reason).toMatch(/empty audio/);
  });

  it('redacts a key, and any 8-character piece of it, from upstream text', () => {
    const key = 'sk-proj-abcdefghijklmnop';
    expect(redact(`Incorrect API key provided: ${key}.`, key)).toBe('Incorrect API key provided: [redacted].');
    expect(redact('key sk-proj-abcd****mnop is wrong', key)).not.toContain('sk-proj-abcd');
  });
});

describe('provider catalog', () => {
  it('offers the simulator only when one is configured', () => {
    expect(new ProviderCatalog({ production: false }).entries.map((p) => p.id)).toEqual([
      'openai',
      'deepseek',
      'openrouter',
      'together',
      'groq',
      'mistral',
      'custom',
    ]);
    expect(new ProviderCatalog({ simulatorUrl: 'http://127.0.0.1:9/v1/', production: false }).get('simulator')?.baseUrl).toBe(
      'http://127.0.0.1:9/v1',
    );
  });

  it('knows what each provider serves', () => {
    const catalog = new ProviderCatalog({ production: false });
    expect(catalog.serves('deepseek', Capability.EMBEDDINGS)).toBe(false);
    expect(catalog.serves('openai', Capability.SPEECH)).toBe(true);
    expect(catalog.serves('mistral', Capability.EMBEDDINGS)).toBe(true);
    expect(catalog.serves('custom', Capability.SPEECH)).toBe(true);
  });

  it('fixes catalog base URLs, requires one for custom, and in production wants public https', () => {
    const dev = new ProviderCatalog({ production: false });
    expect(() => dev.overrideFor(dev.require('openai'), 'https://evil.example/v1')).toThrow(/fixed/);
    expect(() => dev.overrideFor(dev.require('custom'), null)).toThrow(/required/);
    // A loopback upstream is refused unless private addresses are allowed explicitly (SSRF rule).
    expect(() => dev.overrideFor(dev.require('custom'), 'http://127.0.0.1:8080/v1/')).toThrow();
    const local = new ProviderCatalog({ production: false, allowPrivate: () => true });
    expect(local.overrideFor(local.require('custom'), 'http://127.0.0.1:8080/v1/')).toBe('http://127.0.0.1:8080/v1');
    expect(dev.baseUrlOf({ provider: 'groq' })).toBe('https://api.groq.com/openai/v1');
    const prod = new ProviderCatalog({ production: true });
    expect(() => prod.overrideFor(prod.require('custom'), 'http://api.example.com/v1')).toThrow(/https/);
    expect(() => prod.overrideFor(prod.require('custom'), 'https://10.0.0.5/v1')).toThrow(/public/);
    expect(() => prod.overrideFor(prod.require('custom'), 'https://localhost/v1')).toThrow(/public/);
    expect(prod.overrideFor(prod.require('custom'), 'https://llm.example.com/v1')).toBe('https://llm.example.com/v1');
    expect(() => prod.require('nosuch')).toThrow(/provider must be one of/);
  });
});

describe('market settings', () => {
  it('defaults, and reads each from its environment variable', () => {
    expect(marketSettingsFromEnv({})).toMatchObject({
      priceReviewThresholdPercent: 20,
      suspendAfterFailures: 3,
      keyValidationTimeoutMs: 5000,
    });
    expect(marketSettingsFromEnv({ PRICE_REVIEW_THRESHOLD_PERCENT: '35' }).priceReviewThresholdPercent).toBe(35);
    expect(() => marketSettingsFromEnv({ PRICE_REVIEW_THRESHOLD_PERCENT: 'lots' })).toThrow(/PRICE_REVIEW_THRESHOLD_PERCENT/);
  });
});

describe('model summary', () => {
  const listing = (over: Record<string, unknown>) => ({
    id: 'l',
    sellerId: 's1',
    model: 'acme/chat',
    capability: Capability.CHAT,
    inputPriceMicrosPerMTok: 1_000_000,
    outputPriceMicrosPerMTok: 2_000_000,
    priceMicrosPerMChars: null,
    capMaxConcurrency: null,
    gpuCount: null,
    ...over,
  });
  const contract = (over: Record<string, unknown> = {}) => ({ latencyMs: 300, ttftMs: 100, tokensPerSecond: 50, ...over });

  it('aggregates ACTIVE supply per model: sellers, capacity, price ranges, medians, cost a minute', () => {
    const [chat, speech] = summarizeModels([
      { listing: listing({ id: 'a', capMaxConcurrency: 10, gpuCount: 2 }), contract: contract() },
      {
        listing: listing({ id: 'b', sellerId: 's2', inputPriceMicrosPerMTok: 3_000_000, outputPriceMicrosPerMTok: 4_000_000 }),
        contract: contract({ latencyMs: 500, tokensPerSecond: null }),
      },
      {
        listing: listing({ id: 'c', model: 'acme/voice', capability: Capability.SPEECH, priceMicrosPerMChars: 15_000_000 }),
        contract: contract({ tokensPerSecond: null }),
      },
    ]);
    expect(chat).toMatchObject({
      id: 'acme/chat',
      pipeline: 'llm',
      activeListings: 2,
      warmSupply: 2,
      totalCapacity: 11,
      gpuCount: 2,
      inputPrice: { min: 1_000_000, max: 3_000_000, avg: 2_000_000 },
      outputPrice: { min: 2_000_000, max: 4_000_000, avg: 3_000_000 },
      pricePerMChars: null,
      costPerMinute: { min: 6000, max: 6000, avg: 6000 }, // $2/MTok × 50 tok/s × 60 s
      latencyP50Ms: 300,
      tokensPerSecond: 50,
      badges: ['streaming', 'multi-seller', 'low-latency'],
    });
    expect(speech).toMatchObject({
      id: 'acme/voice',
      pipeline: 'text-to-speech',
      pricePerMChars: { min: 15_000_000 },
      costPerMinute: null,
      realtime: true,
    });
    expect(summarizeModels([])).toEqual([]);
  });
});

describe('the model catalog filter', () => {
  const chat = { pipeline: 'llm', capability: 'CHAT', featured: true, realtime: true } as const;
  const embed = { pipeline: 'embeddings', capability: 'EMBEDDINGS', featured: false, realtime: false } as const;
  it.each([
    [{}, [true, true]],
    [{ type: 'llm' }, [true, false]],
    [{ type: 'CHAT' }, [true, false]],
    [{ type: 'embeddings' }, [false, true]],
    [{ type: 'speech' }, [false, false]],
    [{ featured: true }, [true, false]],
    [{ featured: false }, [false, true]],
    [{ realtime: true, type: 'embeddings' }, [false, false]],
    [{ type: null, featured: null, realtime: null }, [true, true]],
  ])('%j keeps [chat, embed] = %j', (filter, kept) => {
    expect([matchesFilter(chat as never, filter), matchesFilter(embed as never, filter)]).toEqual(kept);
  });
});
