// Money strangers can trust, played from the hostile side: a buyer who bulks the prompt with tool
// schemas, asks for many choices or no output cap; an upstream that lies about usage, omits it,
// frames events oddly or answers as another model; a buyer who cancels mid-stream. The buyer
// never pays more than the request allowed, within its limits and balance; no money is created;
// the seller is told of every violation and never blamed for the buyer's doing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { managementKey, signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { eventually } from '../helpers/eventually';
import { expectLedgerBalanced } from '../helpers/ledger';

const DEFAULT_CAP = 64;

interface Generation {
  status: string;
  inputTokens: number;
  outputTokens: number;
  cost: { micros: number };
  listingId: string | null;
  metering: {
    reportedInputTokens: number | null;
    reportedOutputTokens: number | null;
    countedInputTokens: number | null;
    countedOutputTokens: number | null;
    cachedInputTokens: number | null;
    reasoningTokens: number | null;
    servedModel: string | null;
    flags: string[];
  };
}

describe('metering checked at the gateway', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let seller: Awaited<ReturnType<typeof signup>>;
  const listings: Record<string, string> = {};

  beforeAll(async () => {
    sim = await startSimulator({
      apiKeys: ['sk-sim-honest', 'sk-sim-pricey', 'sk-sim-liar', 'sk-sim-cancel', 'sk-sim-cached', 'sk-sim-honest-embed'],
    });
    stack = await startEmbeddedStack({
      SIMULATOR_URL: sim.url,
      CONTRACT_CHECK_INTERVAL_MS: '0',
      LISTING_COOLDOWN_MS: '0',
      DEFAULT_MAX_OUTPUT_TOKENS: String(DEFAULT_CAP),
    });
    seller = await signup(stack.url, 'seller');
    const specs: [string, string, string, string][] = [
      ['honest', 'sk-sim-honest', '1', '1'],
      ['pricey', 'sk-sim-pricey', '100', '100'],
      ['liar', 'sk-sim-liar', '1', '1'],
      ['cancel', 'sk-sim-cancel', '1', '1'],
      ['cached', 'sk-sim-cached', '10', '10'],
    ];
    for (const [name, key, input, output] of specs) {
      const pool = await poolKey(stack.url, seller.jwt, key);
      listings[name] = await admittedListing(stack.url, seller.jwt, {
        poolKeyId: pool,
        model: `acme/${name}-chat`,
        upstreamModel: 'sim-chat',
        capability: 'CHAT',
        inputPricePerMTok: input,
        outputPricePerMTok: output,
      });
    }
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });
  afterEach(async () => {
    for (const key of ['sk-sim-honest', 'sk-sim-pricey', 'sk-sim-liar', 'sk-sim-cancel', 'sk-sim-cached']) sim.setKeyFaults(key, null);
    await expectLedgerBalanced(stack);
  });

  async function record(jwt: string, requestId: string): Promise<Generation> {
    return eventually(async () => {
      const result = await graphql(
        stack.url,
        'query ($id: ID!) { generation(id: $id) { status inputTokens outputTokens cost { micros } listingId metering { reportedInputTokens reportedOutputTokens countedInputTokens countedOutputTokens cachedInputTokens reasoningTokens servedModel flags } } }',
        { id: requestId },
        jwt,
      );
      const g = (result.data as { generation?: Generation } | null)?.generation;
      if (!g) throw new Error(`no record for ${requestId}: ${JSON.stringify(result.errors)}`);
      return g;
    });
  }

  async function money(jwt: string): Promise<{ balance: number; spent: number[] }> {
    const result = await graphql(stack.url, '{ me { balance { micros } apiKeys { usageInCycle { micros } } } }', {}, jwt);
    const me = (result.data as { me: { balance: { micros: number }; apiKeys: { usageInCycle: { micros: number } | null }[] } }).me;
    return { balance: me.balance.micros, spent: me.apiKeys.map((k) => k.usageInCycle?.micros ?? 0) };
  }

  async function liveChecks(listing: string): Promise<{ passed: boolean; reason: string | null; kind: string }[]> {
    const state = await graphql(stack.url, 'query ($id: ID!) { listing(id: $id) { contract { id } } }', { id: listing }, seller.jwt);
    const contractId = (state.data as { listing: { contract: { id: string } } }).listing.contract.id;
    const checks = await graphql(
      stack.url,
      'query ($id: ID!) { contractChecks(contractId: $id, limit: 50) { kind passed reason } }',
      { id: contractId },
      seller.jwt,
    );
    return (checks.data as { contractChecks: { passed: boolean; reason: string | null; kind: string }[] }).contractChecks.filter(
      (c) => c.kind === 'LIVE',
    );
  }

  async function contractState(listing: string): Promise<string> {
    const state = await graphql(stack.url, 'query ($id: ID!) { listing(id: $id) { contract { state } } }', { id: listing }, seller.jwt);
    return (state.data as { listing: { contract: { state: string } } }).listing.contract.state;
  }

  /** Forty functions with long descriptions: a prompt of tens of thousands of tokens that `messages` does not show. */
  const bulkyTools = Array.from({ length: 40 }, (_, i) => ({
    type: 'function' as const,
    function: {
      name: `lookup_record_${i}`,
      description: `Looks up a record in archive ${i}. `.repeat(60),
      parameters: {
        type: 'object',
        properties: Object.fromEntries(
          Array.from({ length: 12 }, (_, j) => [`field_${j}`, { type: 'string', description: `The value of field ${j} in archive ${i}` }]),
        ),
      },
    },
  }));

  it('refuses a tool-schema bulk call on a $0.02 key and on a trial balance: nothing is spent, no balance goes below zero', async () => {
    const buyer = await fundedBuyer(stack.url, '0', { limit: '0.02', cycle: 'DAILY' });
    await eventually(async () => expect((await money(buyer.jwt)).balance).toBe(100_000));
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const call = client.chat.completions.create({
      model: 'acme/pricey-chat',
      messages: [{ role: 'user', content: 'hi' }],
      tools: bulkyTools,
      tool_choice: 'required',
      max_tokens: 1,
    });
    await expect(call).rejects.toMatchObject({ status: 402, code: 'key_limit_exceeded' });

    // The same call without a key limit is held against the $0.10 balance instead.
    const unlimited = await graphql(stack.url, 'mutation { createApiKey(input: { name: "no limit" }) { rawKey } }', {}, buyer.jwt);
    const open = new OpenAI({
      baseURL: `${stack.url}/v1`,
      apiKey: (unlimited.data as { createApiKey: { rawKey: string } }).createApiKey.rawKey,
      maxRetries: 0,
    });
    await expect(
      open.chat.completions.create({
        model: 'acme/pricey-chat',
        messages: [{ role: 'user', content: 'hi' }],
        tools: bulkyTools,
        tool_choice: 'required',
        max_tokens: 1,
      }),
    ).rejects.toMatchObject({
      status: 402,
      code: 'insufficient_balance',
    });
    const after = await money(buyer.jwt);
    expect(after.balance).toBe(100_000);
    expect(after.spent.every((s) => s === 0)).toBe(true);
  });

  it('bills the tools the upstream read as prompt, within what was reserved', async () => {
    const buyer = await fundedBuyer(stack.url, '5');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({
        model: 'acme/honest-chat',
        messages: [{ role: 'user', content: 'hi' }],
        tools: bulkyTools.slice(0, 5),
        tool_choice: 'required',
        max_tokens: 200,
      })
      .withResponse();
    const usage = data.usage as OpenAI.CompletionUsage & { cost_usd: number };
    // The honest upstream counts the tool schemas as prompt: thousands of tokens, billed in full.
    expect(usage.prompt_tokens).toBeGreaterThan(1_000);
    expect(data.choices[0].message.tool_calls?.length).toBeGreaterThan(0);
    const g = await record(buyer.jwt, response.headers.get('x-request-id')!);
    expect(g).toMatchObject({ status: 'completed', inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens });
    expect(g.cost.micros).toBe(Math.ceil(usage.prompt_tokens + usage.completion_tokens));
    expect((await liveChecks(listings.honest)).filter((c) => !c.passed)).toEqual([]);
  });

  it('reserves n choices: a key limit that covers one choice refuses eight, and n=4 is billed for four', async () => {
    // $1 per million tokens: 1,000 tokens cost $0.001.
    const buyer = await fundedBuyer(stack.url, '1', { limit: '0.005', cycle: 'DAILY' });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    await expect(
      client.chat.completions.create({
        model: 'acme/honest-chat',
        messages: [{ role: 'user', content: 'count' }],
        max_tokens: 1_000,
        n: 8,
      }),
    ).rejects.toMatchObject({ status: 402, code: 'key_limit_exceeded' });
    const { data, response } = await client.chat.completions
      .create({ model: 'acme/honest-chat', messages: [{ role: 'user', content: 'count' }], max_tokens: 10, n: 4 })
      .withResponse();
    expect(data.choices).toHaveLength(4);
    const g = await record(buyer.jwt, response.headers.get('x-request-id')!);
    expect(g.outputTokens).toBeGreaterThan(10);
    expect(g.outputTokens).toBeLessThanOrEqual(40);
    expect(g.outputTokens).toBe(data.usage!.completion_tokens);
    const { spent } = await money(buyer.jwt);
    expect(spent[0]).toBeLessThanOrEqual(5_000);
  });

  it('sends an explicit output cap upstream when max_tokens is omitted, so the upstream and the reservation agree', async () => {
    sim.setKeyFaults('sk-sim-honest', { chunks: 4_000 });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'acme/honest-chat', messages: [{ role: 'user', content: 'go on' }] })
      .withResponse();
    expect(data.usage!.completion_tokens).toBe(DEFAULT_CAP);
    expect(data.choices[0].finish_reason).toBe('length');
    const g = await record(buyer.jwt, response.headers.get('x-request-id')!);
    expect(g.outputTokens).toBe(DEFAULT_CAP);
  });

  it('bills a 4-word reply reported as 90,000 completion tokens at what was delivered, and tells the seller', async () => {
    sim.setKeyFaults('sk-sim-liar', { chunks: 4, reportCompletionTokens: 90_000 });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'acme/liar-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5_000 })
      .withResponse();
    // Four tokens delivered; within the tolerance (25% + 16) at most 21 are billed.
    expect(data.usage!.completion_tokens).toBeLessThanOrEqual(21);
    const g = await record(buyer.jwt, response.headers.get('x-request-id')!);
    expect(g.outputTokens).toBeLessThanOrEqual(21);
    expect(g.cost.micros).toBeLessThan(100);
    // The evidence stays on the record: what was claimed, what was counted, and the finding.
    expect(g.metering).toMatchObject({
      reportedOutputTokens: 90_000,
      countedOutputTokens: 4,
      servedModel: 'sim-chat',
      flags: ['completion_over_count', 'completion_over_max'],
    });
    // The buyer's key reads the same record on /v1/generation.
    const generation = await fetch(`${stack.url}/v1/generation?id=${response.headers.get('x-request-id')}`, {
      headers: { authorization: `Bearer ${buyer.key}` },
    });
    expect(((await generation.json()) as { data: Generation }).data).toMatchObject({
      outputTokens: g.outputTokens,
      metering: { reportedOutputTokens: 90_000, countedOutputTokens: 4 },
    });
    await eventually(async () =>
      expect((await liveChecks(listings.liar)).some((c) => !c.passed && /reported 90000 completion tokens/.test(c.reason ?? ''))).toBe(
        true,
      ),
    );
  });

  it('refunds a request the lying upstream over-reported, automatically, when its buyer disputes it', async () => {
    sim.setKeyFaults('sk-sim-liar', { chunks: 4, reportCompletionTokens: 90_000 });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const before = (await money(buyer.jwt)).balance;
    const { response } = await client.chat.completions
      .create({ model: 'acme/liar-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5_000 })
      .withResponse();
    const requestId = response.headers.get('x-request-id')!;
    const g = await record(buyer.jwt, requestId);
    expect(g.cost.micros).toBeGreaterThan(0);
    await eventually(async () => expect((await money(buyer.jwt)).balance).toBe(before - g.cost.micros));
    const opened = await rest(stack.url, 'POST', '/api/billing/disputes', {
      token: buyer.jwt,
      body: { requestId, reason: 'four words, billed as ninety thousand tokens' },
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    // The record's own evidence decides it: refunded at once, from the seller's side.
    expect(opened.body).toMatchObject({ status: 'resolved_buyer', resolution: 'auto', refundMicros: g.cost.micros });
    expect(opened.body.evidence).toContain('completion_over_count');
    expect((await money(buyer.jwt)).balance).toBe(before);
    // The seller sees it lost against the listing.
    const lost = await graphql(stack.url, 'query ($id: ID!) { listing(id: $id) { disputesLost } }', { id: listings.liar }, seller.jwt);
    expect((lost.data as { listing: { disputesLost: number } }).listing.disputesLost).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['plain', false],
    ['streamed', true],
  ])('clamps usage inflated 1000× (%s) to the counted figure', async (_name, stream) => {
    sim.setKeyFaults('sk-sim-liar', { chunks: 6, usageFactor: 1_000 });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    let requestId: string;
    if (stream) {
      const { data, response } = await client.chat.completions
        .create({
          model: 'acme/liar-chat',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 100,
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      let usage: OpenAI.CompletionUsage | null | undefined = null;
      for await (const chunk of data) if (chunk.usage) usage = chunk.usage;
      expect(usage!.completion_tokens).toBeLessThanOrEqual(6 + 2 + 16);
      requestId = response.headers.get('x-request-id')!;
    } else {
      const { data, response } = await client.chat.completions
        .create({ model: 'acme/liar-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 })
        .withResponse();
      expect(data.usage!.completion_tokens).toBeLessThanOrEqual(6 + 2 + 16);
      requestId = response.headers.get('x-request-id')!;
    }
    const g = await record(buyer.jwt, requestId);
    expect(g.outputTokens).toBeLessThanOrEqual(24);
    expect(g.inputTokens).toBeLessThan(100);
  });

  it.each([
    ['plain', false],
    ['streamed', true],
  ])('bills an answer without usage (%s) from its counted tokens, never $0', async (_name, stream) => {
    sim.setKeyFaults('sk-sim-honest', { chunks: 12, noUsage: true });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    let requestId: string;
    if (stream) {
      const { data, response } = await client.chat.completions
        .create({ model: 'acme/honest-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream: true })
        .withResponse();
      let text = '';
      for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text.length).toBeGreaterThan(0);
      requestId = response.headers.get('x-request-id')!;
    } else {
      const { data, response } = await client.chat.completions
        .create({ model: 'acme/honest-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 })
        .withResponse();
      expect(data.usage!.completion_tokens).toBe(12);
      requestId = response.headers.get('x-request-id')!;
    }
    const g = await record(buyer.jwt, requestId);
    expect(g).toMatchObject({
      status: 'completed',
      outputTokens: 12,
      metering: { reportedOutputTokens: null, countedOutputTokens: 12, flags: ['usage_missing'] },
    });
    expect(g.inputTokens).toBeGreaterThan(0);
    expect(g.cost.micros).toBe(g.inputTokens + g.outputTokens);
  });

  it('reads a stream with "usage": null in every chunk and CRLF framing, and bills it as an honest one', async () => {
    sim.setKeyFaults('sk-sim-honest', { chunks: 9, nullUsage: true, crlf: true });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({
        model: 'acme/honest-chat',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 100,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    let usage: (OpenAI.CompletionUsage & { cost_usd?: number }) | null = null;
    let chunks = 0;
    for await (const chunk of data) {
      if (chunk.usage) usage = chunk.usage;
      if (chunk.choices[0]?.delta?.content) chunks++;
      expect(chunk.model).toBe('acme/honest-chat');
    }
    expect(chunks).toBe(9);
    expect(usage).toMatchObject({ completion_tokens: 9 });
    const g = await record(buyer.jwt, response.headers.get('x-request-id')!);
    expect(g).toMatchObject({ status: 'completed', outputTokens: 9 });
    expect(usage!.cost_usd).toBe(g.cost.micros / 1_000_000);
  });

  it('shows the buyer the model it called when the upstream answers as another, and tells the seller', async () => {
    sim.setKeyFaults('sk-sim-liar', { chunks: 3, answerModel: 'cheap-model-7b' });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const plain = await client.chat.completions.create({
      model: 'acme/liar-chat',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 10,
    });
    expect(plain.model).toBe('acme/liar-chat');
    const streamed = await client.chat.completions.create({
      model: 'acme/liar-chat',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 10,
      stream: true,
    });
    for await (const chunk of streamed) expect(chunk.model).toBe('acme/liar-chat');
    await eventually(async () =>
      expect((await liveChecks(listings.liar)).some((c) => !c.passed && /answered as model "cheap-model-7b"/.test(c.reason ?? ''))).toBe(
        true,
      ),
    );
  });

  it('prices cached prompt tokens at the listing’s cache-read price, and records reasoning tokens', async () => {
    // $10 per million input and output tokens; cached prompt tokens $1 per million once declared.
    const patched = await rest(stack.url, 'PATCH', `/v1/market/listings/${listings.cached}`, {
      token: seller.jwt,
      body: { cacheReadPricePerMTok: 1 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.cacheReadPricePerMTok).toBe(1);
    sim.setKeyFaults('sk-sim-cached', { chunks: 4, cachedTokens: 1_000_000, reasoningTokens: 3 });
    const buyer = await fundedBuyer(stack.url, '1');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'acme/cached-chat', messages: [{ role: 'user', content: 'again' }], max_tokens: 50 })
      .withResponse();
    const g = await record(buyer.jwt, response.headers.get('x-request-id')!);
    // Every prompt token was reported cached (capped at the prompt), and the reasoning tokens are billed output.
    expect(g.metering).toMatchObject({ cachedInputTokens: g.inputTokens, reasoningTokens: 3 });
    expect(g.outputTokens).toBe(4 + 3);
    expect(g.cost.micros).toBe(Math.ceil((g.inputTokens * 1_000_000 + g.outputTokens * 10_000_000) / 1_000_000));
    expect((data.usage as { cost_usd?: number }).cost_usd).toBe(g.cost.micros / 1_000_000);
  });

  it('refuses a cache-read price on a listing that is not CHAT, and a negative one, naming the field', async () => {
    const pool = await poolKey(stack.url, seller.jwt, 'sk-sim-honest-embed');
    const embeddings = await rest(stack.url, 'POST', '/v1/market/listings', {
      token: seller.jwt,
      body: {
        model: 'acme/cached-embed',
        upstreamModel: 'sim-embed',
        capability: 'embeddings',
        poolKeyId: pool,
        inputPricePerMTok: 1,
        cacheReadPricePerMTok: 0.5,
      },
    });
    expect(embeddings.status).toBe(400);
    expect(JSON.stringify(embeddings.body)).toMatch(/cacheReadPricePerMTok/);
    const negative = await rest(stack.url, 'PATCH', `/v1/market/listings/${listings.cached}`, {
      token: seller.jwt,
      body: { cacheReadPricePerMTok: -1 },
    });
    expect(negative.status).toBe(400);
    // Another account may not set it.
    const stranger = await signup(stack.url, 'stranger');
    const foreign = await rest(stack.url, 'PATCH', `/v1/market/listings/${listings.cached}`, {
      token: stranger.jwt,
      body: { cacheReadPricePerMTok: 0 },
    });
    expect(foreign.status).toBe(404);
    const anonymous = await rest(stack.url, 'PATCH', `/v1/market/listings/${listings.cached}`, { body: { cacheReadPricePerMTok: 0 } });
    expect(anonymous.status).toBe(401);
  });

  it('GET /v1/key tells a buyer key its limit, what it spent, what remains and when it resets; other credentials are refused', async () => {
    const buyer = await fundedBuyer(stack.url, '1', { name: 'agent key', limit: '0.5', cycle: 'DAILY' });
    const key = () => fetch(`${stack.url}/v1/key`, { headers: { authorization: `Bearer ${buyer.key}` } });
    const before = (await (await key()).json()) as { data: Record<string, unknown> };
    expect(before.data).toMatchObject({
      label: 'agent key',
      limit: 0.5,
      limit_micros: 500_000,
      limit_remaining_micros: 500_000,
      limit_reset: 'daily',
      usage_micros: 0,
      usage_in_cycle_micros: 0,
      expires_at: null,
    });
    expect(Date.parse(before.data.limit_resets_at as string)).toBeGreaterThan(Date.now());
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create({ model: 'acme/honest-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 })
      .withResponse();
    const g = await record(buyer.jwt, response.headers.get('x-request-id')!);
    await eventually(async () => {
      const after = (await (await key()).json()) as { data: Record<string, number> };
      expect(after.data).toMatchObject({
        usage_micros: g.cost.micros,
        usage_in_cycle_micros: g.cost.micros,
        limit_remaining_micros: 500_000 - g.cost.micros,
      });
    });
    // Only the buyer key itself: no key, a management key, a dashboard session, a revoked key.
    const refused = async (authorization: string | undefined) => {
      const answer = await fetch(`${stack.url}/v1/key`, { headers: authorization ? { authorization } : {} });
      return { status: answer.status, body: (await answer.json()) as { error: { type: string } } };
    };
    expect((await refused(undefined)).status).toBe(401);
    const mk = await managementKey(stack.url, buyer.jwt, 'FULL');
    expect(await refused(`Bearer ${mk.rawKey}`)).toMatchObject({ status: 403, body: { error: { type: 'permission_error' } } });
    expect((await refused(`Bearer ${buyer.jwt}`)).status).toBe(401);
    await graphql(stack.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', { id: buyer.keyId }, buyer.jwt);
    await eventually(async () => expect((await refused(`Bearer ${buyer.key}`)).status).toBe(401));
  });

  /** Reads a stream until `n` content chunks arrived, then goes away; says how many it saw. */
  async function cancelAfterSeen(key: string, n: number): Promise<{ requestId: string; seen: number }> {
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'acme/cancel-chat',
        messages: [{ role: 'user', content: 'tell me a long story' }],
        max_tokens: 500,
        stream: true,
      }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let seen = 0;
    while (seen < n) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      seen = (text.match(/"content":"[^"]+"/g) ?? []).length;
    }
    controller.abort();
    return { requestId: response.headers.get('x-request-id')!, seen };
  }
  const cancelAfter = async (key: string, n: number) => (await cancelAfterSeen(key, n)).requestId;

  it('bills a buyer who cancels after 20 chunks for about 20 tokens, records it cancelled, and never blames the seller', async () => {
    sim.setKeyFaults('sk-sim-cancel', { chunks: 400, chunkDelayMs: 5 });
    const buyer = await fundedBuyer(stack.url, '1');
    const { requestId, seen } = await cancelAfterSeen(buyer.key, 20);
    const g = await eventually(async () => {
      const r = await record(buyer.jwt, requestId);
      expect(r.status).toBe('cancelled');
      return r;
    });
    // At least what the buyer saw (one token a chunk); at most that and what was still on the wire
    // when it left (a few chunks at 5 ms apart; a busy machine may hand over a burst at once).
    expect(g.outputTokens).toBeGreaterThanOrEqual(seen);
    expect(g.outputTokens).toBeLessThanOrEqual(Math.ceil(seen * 1.25) + 16);
    expect(g.cost.micros).toBe(g.inputTokens + g.outputTokens);
    expect((await liveChecks(listings.cancel)).filter((c) => !c.passed)).toEqual([]);
  });

  it('leaves the contract ACTIVE after 100 cancellations, and 5 real upstream resets still degrade it', async () => {
    sim.setKeyFaults('sk-sim-cancel', { chunks: 400, chunkDelayMs: 5 });
    const buyer = await fundedBuyer(stack.url, '5');
    const ids: string[] = [];
    for (let round = 0; round < 10; round++) ids.push(...(await Promise.all(Array.from({ length: 10 }, () => cancelAfter(buyer.key, 3)))));
    await eventually(async () => {
      for (const id of ids.slice(-10)) expect((await record(buyer.jwt, id)).status).toBe('cancelled');
    });
    expect(await contractState(listings.cancel)).toBe('ACTIVE');
    expect((await liveChecks(listings.cancel)).filter((c) => !c.passed)).toEqual([]);

    // The provider itself breaking streams is a provider failure: a burst of 5 degrades the contract.
    sim.setKeyFaults('sk-sim-cancel', { chunks: 50, cutAfter: 3 });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    for (let i = 0; i < 5; i++) {
      const stream = await client.chat.completions.create({
        model: 'acme/cancel-chat',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 100,
        stream: true,
      });
      await expect(
        (async () => {
          for await (const _ of stream) void _;
        })(),
      ).rejects.toThrow();
    }
    await eventually(async () => expect(await contractState(listings.cancel)).toBe('DEGRADED'));
  }, 60_000);
});
