// The data plane through the official `openai` SDK, against listings admitted on the simulator:
// chat (plain, streaming, tools, JSON mode), embeddings, speech, models, every error status,
// and metering (usage.cost_usd, x-request-id, /v1/generation, the buyer's balance).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { BillingOverviewDocument } from '../../schema/generated/graphql';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { expectLedgerBalanced } from '../helpers/ledger';
import { managementKey, signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';

describe('data plane with the openai SDK', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-good'] });
    // A $0.01 trial: a request within the model's output cap can still be more than a new account holds.
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', TRIAL_CREDIT_USD: '0.01' });
    const seller = await signup(stack.url, 'seller');
    const key = await poolKey(stack.url, seller.jwt, 'sk-sim-good');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'dragonfly/sim-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '1.5',
    });
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'dragonfly/sim-embed',
      upstreamModel: 'sim-embed',
      capability: 'EMBEDDINGS',
      inputPricePerMTok: '0.1',
    });
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'dragonfly/sim-tts',
      upstreamModel: 'sim-tts',
      capability: 'SPEECH',
      pricePerMChars: '15',
    });
    buyer = await fundedBuyer(stack.url);
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });
  afterEach(() => expectLedgerBalanced(stack));

  it('lists the models that have admitted supply', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(
      expect.arrayContaining(['dragonfly/sim-chat', 'dragonfly/sim-embed', 'dragonfly/sim-tts']),
    );
    expect(models.data[0].object).toBe('model');
  });

  it('answers a chat completion with usage.cost_usd, x-request-id and server-timing', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'Explain routing.' }], max_tokens: 16 })
      .withResponse();
    expect(data.choices[0].message.content!.length).toBeGreaterThan(0);
    expect(data.model).toBe('dragonfly/sim-chat'); // the public id, never the seller's upstream name
    const usage = data.usage as OpenAI.CompletionUsage & { cost_usd: number };
    expect(usage.completion_tokens).toBeGreaterThan(0);
    const expectedMicros = Math.ceil((usage.prompt_tokens * 500_000 + usage.completion_tokens * 1_500_000) / 1_000_000);
    expect(usage.cost_usd).toBeCloseTo(expectedMicros / 1_000_000, 9);
    const requestId = response.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^req_/);
    expect(response.headers.get('server-timing')).toMatch(/gateway;dur=\d/);

    // Metered once: the request's record and the buyer's spend.
    let generation: Response | null = null;
    for (let i = 0; i < 50; i++) {
      generation = await fetch(`${stack.url}/v1/generation?id=${requestId}`, { headers: { authorization: `Bearer ${buyer.key}` } });
      if (generation.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const record = (await generation!.json()) as {
      data: { id: string; cost: { micros: number }; inputTokens: number; outputTokens: number; status: string };
    };
    expect(record.data).toMatchObject({
      id: requestId,
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
      status: 'completed',
      cost: { micros: expectedMicros },
    });
  });

  it('streams chunks as they come, with the usage chunk only when asked for', async () => {
    const withUsage = await client.chat.completions.create({
      model: 'dragonfly/sim-chat',
      messages: [{ role: 'user', content: 'stream please' }],
      max_tokens: 8,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text.length).toBeGreaterThan(0);
    const last = chunks[chunks.length - 1] as OpenAI.ChatCompletionChunk & { usage: { completion_tokens: number; cost_usd: number } };
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBe(8);
    expect(last.usage.cost_usd).toBeGreaterThan(0);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(['dragonfly/sim-chat']));

    const withoutUsage = await client.chat.completions.create({
      model: 'dragonfly/sim-chat',
      messages: [{ role: 'user', content: 'stream please' }],
      max_tokens: 4,
      stream: true,
    });
    const plain: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of withoutUsage) plain.push(chunk);
    expect(plain.some((c) => c.usage)).toBe(false);
    expect(plain.length).toBeGreaterThan(3);
  });

  it('passes tools and response_format through', async () => {
    const tool = await client.chat.completions.create({
      model: 'dragonfly/sim-chat',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      ],
      tool_choice: 'required',
    });
    expect(tool.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    const json = await client.chat.completions.create({
      model: 'dragonfly/sim-chat',
      messages: [{ role: 'user', content: 'json' }],
      response_format: { type: 'json_object' },
    });
    expect(() => JSON.parse(json.choices[0].message.content!)).not.toThrow();
  });

  it('creates embeddings and speech', async () => {
    const embedding = await client.embeddings.create({ model: 'dragonfly/sim-embed', input: ['hello', 'world'] });
    expect(embedding.data).toHaveLength(2);
    expect(embedding.data[0].embedding.length).toBeGreaterThan(10);
    expect(embedding.usage.prompt_tokens).toBeGreaterThan(0);
    expect(embedding.model).toBe('dragonfly/sim-embed');
    const speech = await client.audio.speech.create({
      model: 'dragonfly/sim-tts',
      input: 'Hello there',
      voice: 'alloy',
      response_format: 'wav',
    });
    const bytes = Buffer.from(await speech.arrayBuffer());
    expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString()).toBe('WAVE');
  });

  it('answers each error with the right status and OpenAI shape', async () => {
    await expect(client.chat.completions.create({ model: 'acme/nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    await expect(client.chat.completions.create({ model: 'dragonfly/sim-chat', messages: [] })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    await expect(
      client.chat.completions.create({ model: 'dragonfly/sim-embed', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const badKey = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'sk-df-' + 'x'.repeat(43), maxRetries: 0 });
    await expect(badKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const mk = await managementKey(stack.url, buyer.jwt, 'FULL');
    const management = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: mk.rawKey, maxRetries: 0 });
    await expect(
      management.chat.completions.create({ model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const jwt = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.jwt, maxRetries: 0 });
    await expect(jwt.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const raw = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', code: null, param: null } });
  });

  it('refuses over-budget, poor, IP-restricted and model-restricted keys', async () => {
    const limited = await fundedBuyer(stack.url, '10', { limit: '0.000001', cycle: 'DAILY' });
    const limitedClient = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: limited.key, maxRetries: 0 });
    const overLimit = await limitedClient.chat.completions
      .create({ model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    // 402, not 429: the SDK does not retry it, and the buyer learns which limit was hit.
    expect(overLimit).toBeInstanceOf(OpenAI.APIError);
    expect(overLimit).not.toBeInstanceOf(OpenAI.RateLimitError);
    expect(overLimit.status).toBe(402);
    expect(overLimit.code).toBe('key_limit_exceeded');

    const poor = await fundedBuyer(stack.url, '0');
    const poorClient = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: poor.key, maxRetries: 0 });
    const broke = await poorClient.chat.completions
      .create({ model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'x' }], max_tokens: 4_000, n: 2 })
      .catch((e) => e);
    expect(broke.status, broke.message).toBe(402);
    expect(broke.code).toBe('insufficient_balance');

    const denied = await fundedBuyer(stack.url, '1', { ipDeny: ['127.0.0.0/8', '::1'] });
    const deniedClient = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: denied.key, maxRetries: 0 });
    await expect(deniedClient.models.list()).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const allowElsewhere = await fundedBuyer(stack.url, '1', { ipAllow: ['10.0.0.0/8'] });
    await expect(
      new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: allowElsewhere.key, maxRetries: 0 }).models.list(),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);

    const onlyEmbed = await fundedBuyer(stack.url, '1', { allowedModels: ['dragonfly/sim-embed'] });
    const restricted = await new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: onlyEmbed.key, maxRetries: 0 }).chat.completions
      .create({ model: 'dragonfly/sim-chat', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    expect(restricted).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(restricted.code).toBe('model_not_allowed');
  });

  it('charges the buyer exactly what the responses said', async () => {
    const fresh = await fundedBuyer(stack.url, '5');
    const c = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: fresh.key, maxRetries: 0 });
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const r = await c.chat.completions.create({
        model: 'dragonfly/sim-chat',
        messages: [{ role: 'user', content: `n${i}` }],
        max_tokens: 10,
      });
      total += Math.round((r.usage as unknown as { cost_usd: number }).cost_usd * 1_000_000);
    }
    let balance = 0;
    for (let i = 0; i < 50; i++) {
      balance = (await graphql(stack.url, BillingOverviewDocument, {}, fresh.jwt)).data!.me.balance!.micros;
      if (balance === 5_010_000 - total) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(balance).toBe(5_010_000 - total); // $5 top-up + $0.01 trial − what the three answers said
  });
});
