// Per-request supply selection (provider-routing.ts) on hand-made requests and tables: what a
// request needs, OpenRouter's `provider` object and model suffixes, the weighted draw with a
// seeded random source, reputation in the weights, and sticky conversations.
import { describe, expect, it } from 'vitest';
import { parse } from '../../gateway/inference/parse';
import {
  balanced,
  BALANCE_PRICE_RATIO,
  conversationOf,
  parseModelVariant,
  parseProviderPreferences,
  selectSupply,
  StickyRoutes,
  usedParameters,
  type SelectionDeps,
} from '../../gateway/inference/provider-routing';
import { reputationWeight, type Reputation, type ReputationSource } from '../../gateway/inference/reputation';
import { InferenceRequest } from '../../gateway/inference/request';
import type { Candidate, RoutingTable } from '../../gateway/inference/routing';
import type { KeySnapshot } from '../../gateway/inference/key-snapshots';
import { seededRandom } from '../helpers/random';
import { refusal } from '../helpers/refusal';

const TOOLS = ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop', 'seed'];

/** A chat candidate; its comparison price is market's (input + output per MTok) for the prices given. */
function listing(id: string, over: Partial<Candidate> = {}): Candidate {
  const input = over.inputPriceMicrosPerMTok ?? 1_000_000;
  const output = over.outputPriceMicrosPerMTok ?? 1_000_000;
  return {
    blendedPriceMicros: input + output,
    listingId: id,
    sellerId: `seller-${id}`,
    sellerHandle: `handle-${id}`,
    provider: 'custom',
    baseUrl: 'http://127.0.0.1:1/v1',
    upstreamModel: 'up',
    sealedApiKey: '',
    sealContext: '',
    inputPriceMicrosPerMTok: input,
    outputPriceMicrosPerMTok: output,
    priceMicrosPerMChars: null,
    caps: null,
    contractState: 'ACTIVE',
    supportedParameters: TOOLS,
    contextLength: 16_384,
    maxOutputTokens: 4_096,
    quantization: 'fp16',
    dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: false },
    ...over,
  };
}

function table(candidates: Candidate[], over: Partial<RoutingTable> = {}): RoutingTable {
  return {
    model: 'acme/chat',
    capability: 'CHAT',
    candidates,
    fallbackModels: [],
    timeoutMs: null,
    maxRetries: null,
    allowFallbacks: true,
    ...over,
  };
}

const snapshot = { keyId: 'key-1' } as KeySnapshot;

/** A chat request through the real parse stage (so suffixes, `provider` and default caps are as in production). */
function request(body: Record<string, unknown> = {}, session?: string): InferenceRequest {
  const r = new InferenceRequest(
    'req-1',
    'chat',
    { model: 'acme/chat', messages: [{ role: 'user', content: 'hello there' }], ...body },
    new Date(0),
    '127.0.0.1',
  );
  r.snapshot = snapshot;
  parse(r, { defaultMaxOutputTokens: 4096, sessionHeader: session });
  return r;
}

const ids = (candidates: Candidate[]) => candidates.map((c) => c.listingId);
const select = (r: InferenceRequest, tables: RoutingTable[], deps: SelectionDeps = {}) =>
  ids(selectSupply(r, tables, { random: seededRandom(1), ...deps }));

describe('model variants and the provider object', () => {
  it('reads :floor and :nitro and refuses other suffixes', () => {
    expect(parseModelVariant('acme/chat')).toEqual({ model: 'acme/chat', sort: null });
    expect(parseModelVariant('acme/chat:floor')).toEqual({ model: 'acme/chat', sort: 'price' });
    expect(parseModelVariant('acme/chat:nitro')).toEqual({ model: 'acme/chat', sort: 'throughput' });
    const bad = refusal(() => parseModelVariant('acme/chat:turbo'));
    expect(bad.status).toBe(400);
    expect(bad.body().error).toMatchObject({ param: 'model', code: 'invalid_model_variant' });
    expect(bad.message).toContain(':floor');
    expect(refusal(() => parseModelVariant(':floor')).status).toBe(400);
  });

  it('parses every documented field', () => {
    const prefs = parseProviderPreferences({
      order: ['Acme', 'listing-2'],
      only: ['acme'],
      ignore: ['bad'],
      allow_fallbacks: false,
      require_parameters: true,
      data_collection: 'deny',
      zdr: true,
      quantizations: ['fp8', 'bf16'],
      sort: 'latency',
      max_price: { prompt: 1.5, completion: '2.25', request: 0, image: '0' },
    });
    expect(prefs).toEqual({
      order: ['acme', 'listing-2'],
      only: ['acme'],
      ignore: ['bad'],
      allowFallbacks: false,
      requireParameters: true,
      dataCollection: 'deny',
      zdr: true,
      quantizations: ['fp8', 'bf16'],
      sort: 'latency',
      maxPromptMicrosPerMTok: 1_500_000,
      maxCompletionMicrosPerMTok: 2_250_000,
    });
    expect(parseProviderPreferences(undefined)).toBeNull();
    expect(parseProviderPreferences({ sort: { by: 'throughput', partition: 'none' } })?.sort).toBe('throughput');
    expect(parseProviderPreferences({})).toMatchObject({
      allowFallbacks: true,
      requireParameters: false,
      dataCollection: 'allow',
      zdr: false,
      sort: null,
    });
  });

  it.each([
    [[], 'provider'],
    ['fast', 'provider'],
    [{ order: 'acme' }, 'provider.order'],
    [{ order: [''] }, 'provider.order'],
    [{ order: ['x'.repeat(65)] }, 'provider.order'],
    [{ only: Array.from({ length: 51 }, (_, i) => `s${i}`) }, 'provider.only'],
    [{ ignore: [3] }, 'provider.ignore'],
    [{ allow_fallbacks: 'no' }, 'provider.allow_fallbacks'],
    [{ require_parameters: 1 }, 'provider.require_parameters'],
    [{ data_collection: 'never' }, 'provider.data_collection'],
    [{ zdr: 'yes' }, 'provider.zdr'],
    [{ quantizations: ['fp7'] }, 'provider.quantizations'],
    [{ sort: 'cheapest' }, 'provider.sort'],
    [{ max_price: 3 }, 'provider.max_price'],
    [{ max_price: { prompt: -1 } }, 'provider.max_price.prompt'],
    [{ max_price: { completion: '0.0000001' } }, 'provider.max_price.completion'],
    [{ max_price: { prompt: true } }, 'provider.max_price.prompt'],
    [{ max_price: { tokens: 1 } }, 'provider.max_price'],
    [{ max_price: { request: 'x' } }, 'provider.max_price.request'],
    [{ preferred_region: 'eu' }, 'provider.preferred_region'],
  ])('refuses provider %j naming %s', (value, param) => {
    const error = refusal(() => parseProviderPreferences(value));
    expect(error.status).toBe(400);
    expect(error.body().error.param).toBe(param);
  });

  it('keeps the provider object and the suffix away from the upstream body, and refuses a bad x-df-session', () => {
    const r = request({ model: 'acme/chat:floor', provider: { sort: 'price' } });
    expect(r.model).toBe('acme/chat');
    expect(r.variantSort).toBe('price');
    expect(r.upstreamBody(listing('a'))).not.toContain('provider');
    expect(r.upstreamBody(listing('a'))).not.toContain('floor');
    expect(refusal(() => request({}, 'has space')).body().error.param).toBe('x-df-session');
    expect(refusal(() => request({}, 'x'.repeat(129))).status).toBe(400);
    expect(request({}, 'conv-1').session).toBe('conv-1');
  });

  it('names the parameters a body uses', () => {
    const used = usedParameters({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } },
          ],
        },
      ],
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } },
      logprobs: true,
      stop: ['\n'],
      seed: 3,
      reasoning_effort: 'low',
    });
    expect([...used].sort()).toEqual(['json_schema', 'logprobs', 'reasoning', 'seed', 'stop', 'tool_choice', 'tools', 'vision']);
    expect([...usedParameters({ messages: [], tools: [], tool_choice: 'none' })]).toEqual([]);
  });
});

describe('what the request needs', () => {
  const plain = listing('plain', { supportedParameters: [] });
  const tooled = listing('tooled');
  const vision = listing('vision', { supportedParameters: ['vision'] });

  it('sends tools only to listings that declare them, and says so when none does', () => {
    const withTools = { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] };
    for (let seed = 1; seed <= 20; seed++)
      expect(ids(selectSupply(request(withTools), [table([plain, tooled, vision])], { random: seededRandom(seed) }))).toEqual(['tooled']);
    const none = refusal(() => selectSupply(request(withTools), [table([plain, vision])], {}));
    expect(none.status).toBe(404);
    expect(none.body().error).toMatchObject({ code: 'no_endpoints', param: 'tools' });
  });

  it('sends json_schema and images only to listings that declare them; other parameters only with require_parameters', () => {
    const schema = { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } };
    expect(select(request(schema), [table([plain, tooled])])).toEqual(['tooled']);
    const image = { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }] };
    expect(select(request(image), [table([plain, tooled, vision])])).toEqual(['vision']);
    // `stop` is a courtesy parameter: any listing, unless the buyer requires it.
    expect(select(request({ stop: ['x'] }), [table([plain, vision])]).sort()).toEqual(['plain', 'vision']);
    expect(select(request({ stop: ['x'], provider: { require_parameters: true } }), [table([plain, tooled, vision])])).toEqual(['tooled']);
  });

  it('keeps the prompt plus max_tokens within each listing context and output limit', () => {
    const small = listing('small', { contextLength: 100, maxOutputTokens: 50 });
    const big = listing('big', { contextLength: 100_000, maxOutputTokens: 8_192 });
    expect(select(request({ max_tokens: 200 }), [table([small, big])])).toEqual(['big']);
    expect(select(request({ max_tokens: 60 }), [table([small, big])])).toEqual(['big']);
    const tooLong = refusal(() => selectSupply(request({ max_tokens: 200_000 }), [table([small, big])], {}));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body().error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
    expect(tooLong.message).toContain('100000');
    const tooMuchOutput = refusal(() => selectSupply(request({ max_tokens: 9_000 }), [table([big])], {}));
    expect(tooMuchOutput.body().error).toMatchObject({ code: 'max_tokens_too_large', param: 'max_tokens' });
  });

  it('fits the gateway default cap into each listing, and reserves for the largest', () => {
    const small = listing('small', { contextLength: 1_000, maxOutputTokens: null });
    const big = listing('big', { contextLength: 100_000, maxOutputTokens: 2_048 });
    const unknown = listing('unknown', { contextLength: null, maxOutputTokens: null });
    const r = request();
    selectSupply(r, [table([small, big, unknown])], { random: seededRandom(3) });
    expect(r.maxTokensByListing?.get('small')).toBe(1_000 - r.countedPrompt);
    expect(r.maxTokensByListing?.get('big')).toBe(2_048);
    expect(r.maxTokensByListing?.get('unknown')).toBe(4_096);
    expect(r.maxTokens).toBe(4_096);
    expect(JSON.parse(r.upstreamBody(small)).max_tokens).toBe(1_000 - r.countedPrompt);
    expect(JSON.parse(r.upstreamBody(big)).max_tokens).toBe(2_048);
    // A prompt no listing can take at all is the context error.
    const full = listing('full', { contextLength: 5 });
    expect(refusal(() => selectSupply(request(), [table([full])], {})).body().error.code).toBe('context_length_exceeded');
  });

  it('refuses max_tokens: null smuggling a second cap past the default', () => {
    const r = request({ max_tokens: null, max_completion_tokens: null });
    selectSupply(r, [table([listing('a', { contextLength: 1_000 })])], {});
    expect(JSON.parse(r.upstreamBody(listing('a', { contextLength: 1_000 }))).max_tokens).toBe(1_000 - r.countedPrompt);
  });
});

describe('the provider object narrows and orders', () => {
  const a = listing('a', { sellerHandle: 'alpha', quantization: 'fp8', inputPriceMicrosPerMTok: 1_000_000 });
  const b = listing('b', {
    sellerHandle: 'beta',
    quantization: 'bf16',
    dataPolicy: { retainsPrompts: true, trainsOnPrompts: false, zeroRetention: false },
  });
  const c = listing('c', {
    sellerHandle: 'gamma',
    quantization: null,
    dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: true },
    outputPriceMicrosPerMTok: 900_000,
  });
  const all = () => [table([a, b, c])];

  it('only / ignore by seller handle, seller id, listing id or provider id', () => {
    expect(select(request({ provider: { only: ['Alpha'] } }), all())).toEqual(['a']);
    expect(select(request({ provider: { only: ['seller-b'] } }), all())).toEqual(['b']);
    expect(select(request({ provider: { only: ['c'] } }), all())).toEqual(['c']);
    expect(select(request({ provider: { ignore: ['alpha', 'b'] } }), all())).toEqual(['c']);
    expect(select(request({ provider: { only: ['custom'] } }), all())).toHaveLength(3);
    const nobody = refusal(() => selectSupply(request({ provider: { only: ['nobody'] } }), all(), {}));
    expect(nobody.status).toBe(404);
    expect(nobody.body().error).toMatchObject({ code: 'no_endpoints', param: 'provider' });
  });

  it('data_collection, zdr, quantizations and max_price', () => {
    expect(select(request({ provider: { data_collection: 'deny' } }), all()).sort()).toEqual(['a', 'c']);
    expect(select(request({ provider: { zdr: true } }), all())).toEqual(['c']);
    expect(select(request({ provider: { quantizations: ['bf16', 'unknown'] } }), all()).sort()).toEqual(['b', 'c']);
    expect(select(request({ provider: { max_price: { completion: 0.95 } } }), all())).toEqual(['c']);
    expect(select(request({ provider: { max_price: { prompt: '0.999999' } } }), []).length).toBe(0);
  });

  it('order puts the named ones first, in order; allow_fallbacks: false keeps only them', () => {
    for (let seed = 1; seed <= 10; seed++) {
      expect(ids(selectSupply(request({ provider: { order: ['gamma', 'a'] } }), all(), { random: seededRandom(seed) }))).toEqual([
        'c',
        'a',
        'b',
      ]);
    }
    expect(select(request({ provider: { order: ['gamma', 'a'], allow_fallbacks: false } }), all())).toEqual(['c', 'a']);
    expect(select(request({ provider: { allow_fallbacks: false } }), all())).toHaveLength(1);
  });

  it('sort and the suffixes disable the draw', () => {
    const cheap = listing('cheap', { inputPriceMicrosPerMTok: 900_000, tokensPerSecond: 10, ttftMs: 900 });
    const fast = listing('fast', { inputPriceMicrosPerMTok: 1_000_000, tokensPerSecond: 200, ttftMs: 100 });
    const mid = listing('mid', { inputPriceMicrosPerMTok: 950_000, tokensPerSecond: 50, ttftMs: null, latencyMs: null });
    const tables = () => [table([cheap, fast, mid])];
    for (let seed = 1; seed <= 10; seed++) {
      const deps = { random: seededRandom(seed) };
      expect(ids(selectSupply(request({ model: 'acme/chat:floor' }), tables(), deps))).toEqual(['cheap', 'mid', 'fast']);
      expect(ids(selectSupply(request({ model: 'acme/chat:nitro' }), tables(), deps))).toEqual(['fast', 'mid', 'cheap']);
      expect(ids(selectSupply(request({ provider: { sort: 'latency' } }), tables(), deps))).toEqual(['fast', 'cheap', 'mid']);
    }
    // Live figures win over the probes'.
    const live: ReputationSource = {
      reputationOf: (id) => (id === 'cheap' ? ({ tokensPerSecond: 500, ttftP50Ms: 50 } as Reputation) : null),
      weightOf: () => 1,
    };
    expect(ids(selectSupply(request({ model: 'acme/chat:nitro' }), tables(), { reputation: live }))[0]).toBe('cheap');
  });

  it('allow_fallbacks: false also drops the fallback models', () => {
    const fallback = table([listing('f')], { model: 'acme/other' });
    expect(select(request(), [table([a]), fallback])).toEqual(['a', 'f']);
    expect(select(request({ provider: { allow_fallbacks: false } }), [table([a]), fallback])).toEqual(['a']);
  });
});

describe('the weighted draw', () => {
  function shares(candidates: Candidate[], draws: number, weightOf: (c: Candidate) => number = () => 1, seed = 7): Map<string, number> {
    const random = seededRandom(seed);
    const firsts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const first = balanced(candidates, weightOf, random)[0].listingId;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    return firsts;
  }

  it('splits traffic between near-equal listings by 1/price²', () => {
    const cheap = listing('cheap', { inputPriceMicrosPerMTok: 1_000_000, outputPriceMicrosPerMTok: 1_000_000 });
    const dearer = listing('dearer', { inputPriceMicrosPerMTok: 1_000_001, outputPriceMicrosPerMTok: 1_000_000 });
    const got = shares([cheap, dearer], 2_000);
    // Equal within a micro-dollar: about half each (binomial, 2,000 draws: ±5% is > 4 sigma).
    expect(got.get('cheap')!).toBeGreaterThan(900);
    expect(got.get('dearer')!).toBeGreaterThan(900);

    const x12 = listing('x12', { inputPriceMicrosPerMTok: 1_200_000, outputPriceMicrosPerMTok: 1_200_000 });
    const ratio = shares([cheap, x12], 4_000);
    // 1/1.2² = 0.694 → the dearer one gets 0.694 / 1.694 = 41% of first picks.
    expect(ratio.get('x12')! / 4_000).toBeGreaterThan(0.37);
    expect(ratio.get('x12')! / 4_000).toBeLessThan(0.45);
  });

  it('puts listings dearer than 1.5× the cheapest, and DEGRADED ones, after the pool, in the table order', () => {
    const cheap = listing('cheap');
    const near = listing('near', { inputPriceMicrosPerMTok: 1_100_000 });
    const far = listing('far', { inputPriceMicrosPerMTok: 3_000_000 });
    const degraded = listing('degraded', { contractState: 'DEGRADED' });
    expect(BALANCE_PRICE_RATIO).toBe(1.5);
    const got = shares([cheap, near, far, degraded], 500);
    expect(got.get('far')).toBeUndefined();
    expect(got.get('degraded')).toBeUndefined();
    const order = ids(balanced([cheap, near, far, degraded], () => 1, seededRandom(2)));
    expect(order.slice(2)).toEqual(['far', 'degraded']);
  });

  it('follows reputation: a failing listing loses traffic and wins it back when it recovers', () => {
    const a = listing('a');
    const b = listing('b');
    const failing = (c: Candidate) => (c.listingId === 'b' ? reputationWeight({ successRate: 0.5, ttftP50Ms: 200, latencyP50Ms: 300 }) : 1);
    const down = shares([a, b], 2_000, failing);
    expect(down.get('b') ?? 0).toBeLessThan(2_000 * 0.1);
    const recovered = (c: Candidate) =>
      c.listingId === 'b' ? reputationWeight({ successRate: 0.99, ttftP50Ms: 200, latencyP50Ms: 300 }) : 1;
    const up = shares([a, b], 2_000, recovered);
    expect(up.get('b')!).toBeGreaterThan(2_000 * 0.4);
  });

  it('is the default in selectSupply, with the reputation source in the weights', () => {
    const a = listing('a');
    const b = listing('b');
    const reputation: ReputationSource = { reputationOf: () => null, weightOf: (id) => (id === 'a' ? 0.01 : 1) };
    const random = seededRandom(11);
    let aFirst = 0;
    for (let i = 0; i < 500; i++)
      if (
        selectSupply(request({ messages: [{ role: 'user', content: `q${i}` }] }), [table([a, b])], { random, reputation })[0].listingId ===
        'a'
      )
        aFirst++;
    expect(aFirst).toBeLessThan(25);
    // A profile that orders supply itself is not redrawn.
    expect(ids(selectSupply(request(), [table([a, b], { loadBalanced: false })], { random, reputation }))).toEqual(['a', 'b']);
  });
});

describe('sticky conversations', () => {
  it('names a conversation by x-df-session, then user, then the key and its opening', () => {
    expect(conversationOf(request({}, 'conv-9'))).toBe('key-1\ns:conv-9');
    expect(conversationOf(request({ user: 'end-user-1' }))).toBe('key-1\nu:end-user-1');
    const opening = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'first question' },
    ];
    const first = conversationOf(request({ messages: opening }));
    const later = conversationOf(
      request({ messages: [...opening, { role: 'assistant', content: 'answer' }, { role: 'user', content: 'next' }] }),
    );
    expect(first).toMatch(/^key-1\nm:/);
    expect(later).toBe(first);
    expect(conversationOf(request({ messages: [{ role: 'user', content: 'another' }] }))).not.toBe(first);
  });

  it('sends a conversation back to the listing that served it, until it ages out', () => {
    let now = 1_000;
    const sticky = new StickyRoutes(60_000, 100, () => now);
    const tables = () => [table([listing('a'), listing('b'), listing('c')])];
    const r = request({}, 'conv-1');
    selectSupply(r, tables(), { sticky, random: seededRandom(5) });
    sticky.remember(r.conversation!, 'c');
    for (let seed = 1; seed <= 20; seed++)
      expect(select(request({}, 'conv-1'), tables(), { sticky, random: seededRandom(seed) })[0]).toBe('c');
    // Another conversation is drawn afresh; a sticky listing no longer in the table is ignored.
    const others = new Set<string>();
    for (let seed = 1; seed <= 20; seed++)
      others.add(select(request({}, `other-${seed}`), tables(), { sticky, random: seededRandom(seed) })[0]);
    expect(others.size).toBeGreaterThan(1);
    expect(select(request({}, 'conv-1'), [table([listing('a'), listing('b')])], { sticky })).toHaveLength(2);
    now += 60_001;
    const after = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) after.add(select(request({}, 'conv-1'), tables(), { sticky, random: seededRandom(seed) })[0]);
    expect(after.size).toBeGreaterThan(1);
  });

  it('gives way to sort and order', () => {
    const sticky = new StickyRoutes();
    const r = request({}, 'conv-2');
    selectSupply(r, [table([listing('a')])], { sticky });
    sticky.remember(r.conversation!, 'b');
    const sorted = request({ provider: { sort: 'price' } }, 'conv-2');
    expect(ids(selectSupply(sorted, [table([listing('a'), listing('b', { inputPriceMicrosPerMTok: 1_100_000 })])], { sticky }))[0]).toBe(
      'a',
    );
    expect(sorted.conversation).toBeNull();
  });
});

describe('sticky conversations and price', () => {
  it('never keeps a conversation on a listing outside the balanced pool (a fallback it once took)', () => {
    const sticky = new StickyRoutes();
    const cheap = listing('cheap');
    const dear = listing('dear', { inputPriceMicrosPerMTok: 3_000_000 });
    const degraded = listing('degraded', { contractState: 'DEGRADED' });
    const r = request({}, 'conv-3');
    selectSupply(r, [table([cheap, dear, degraded])], { sticky });
    sticky.remember(r.conversation!, 'dear');
    expect(select(request({}, 'conv-3'), [table([cheap, dear, degraded])], { sticky })[0]).toBe('cheap');
    sticky.remember(r.conversation!, 'degraded');
    expect(select(request({}, 'conv-3'), [table([cheap, dear, degraded])], { sticky })[0]).toBe('cheap');
  });
});
