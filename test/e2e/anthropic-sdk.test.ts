// POST /v1/messages and /v1/messages/count_tokens through the official `@anthropic-ai/sdk`,
// against listings admitted on the simulator: plain and streaming messages (Anthropic's exact
// event sequence), a tool_use round trip, system prompts and the other request fields as the
// upstream receives them (a recording proxy sits between the gateway and the simulator),
// anthropic-version, every error in Anthropic's envelope, billing exactly once and the job feed,
// and a fuzz of bad bodies that always answer 4xx in Anthropic's envelope with nothing sent upstream.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { JobFeedDocument } from '../../schema/generated/graphql';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { expectLedgerBalanced } from '../helpers/ledger';
import { eventually } from '../helpers/eventually';
import { managementKey } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey, SIMULATOR_CHAT_PARAMETERS } from '../helpers/market';
import { envelopeProblem, type Answer } from '../helpers/rest-surfaces';

const MODEL = 'acme/sim-chat';
const V1 = { 'anthropic-version': '2023-06-01' };
type Json = Record<string, any>;

/** An HTTP proxy in front of the simulator that keeps every chat body the gateway sends upstream. */
async function recordingProxy(target: string): Promise<{ url: string; bodies: Json[]; close(): Promise<void> }> {
  const origin = new URL(target).origin;
  const bodies: Json[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (req.url?.endsWith('/chat/completions')) {
        try {
          bodies.push(JSON.parse(raw.toString('utf8')));
        } catch {
          // not JSON: nothing to record
        }
      }
      const upstream = httpRequest(new URL(req.url ?? '/', origin), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // A reset upstream resets the gateway's connection too (pipeline destroys res on error).
        pipeline(answer, res, () => {});
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A server-sent event stream as its named events. */
function sseEvents(text: string): { event: string | null; data: Json }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null;
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) as Json };
    });
}

describe('POST /v1/messages with the @anthropic-ai/sdk', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let stack: TestStack;
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let client: Anthropic;

  const sdk = (apiKey: string, options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) =>
    new Anthropic({ baseURL: stack.url, apiKey, maxRetries: 0, ...options });
  /** The chat bodies the upstream received whose text holds `marker`. */
  const upstreamWith = (marker: string) => proxy.bodies.filter((b) => JSON.stringify(b.messages ?? '').includes(marker));
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': buyer.key, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const generation = (requestId: string, key = buyer.key) =>
    eventually(async () => {
      const response = await fetch(`${stack.url}/v1/generation?id=${requestId}`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      return (
        (await response.json()) as {
          data: { id: string; status: string; inputTokens: number; outputTokens: number; cost: { micros: number } };
        }
      ).data;
    });
  const billing = () =>
    stack
      .platform!.runtimes.find((r) => r.name === 'billing')!
      .db.orm.em.fork()
      .getConnection();

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-good', 'sk-sim-faulty'] });
    proxy = await recordingProxy(sim.url);
    stack = await startEmbeddedStack({ SIMULATOR_URL: proxy.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    const { signup } = await import('../helpers/credentials');
    const seller = await signup(stack.url, 'seller');
    const key = await poolKey(stack.url, seller.jwt, 'sk-sim-good');
    // Declares vision as well: one test sends images, which go only to listings that take them.
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '1.5',
      supportedParameters: [...SIMULATOR_CHAT_PARAMETERS, 'vision'],
    });
    const faulty = await poolKey(stack.url, seller.jwt, 'sk-sim-faulty');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: faulty,
      model: 'acme/sim-faulty',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '1.5',
    });
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'acme/sim-embed',
      upstreamModel: 'sim-embed',
      capability: 'EMBEDDINGS',
      inputPricePerMTok: '0.1',
    });
    buyer = await fundedBuyer(stack.url);
    client = sdk(buyer.key);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await sim?.close();
  });
  afterEach(async () => {
    sim.setKeyFaults('sk-sim-good', null);
    sim.setKeyFaults('sk-sim-faulty', null);
    await expectLedgerBalanced(stack);
  });

  it('answers a message object: msg_ id from the request id, the model called, text content, usage from what was billed (once)', async () => {
    const fresh = await fundedBuyer(stack.url, '1');
    const { data, response } = await sdk(fresh.key)
      .messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Explain routing. [plain]' }] })
      .withResponse();
    const requestId = response.headers.get('request-id')!;
    expect(requestId).toMatch(/^req_/);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(data).toMatchObject({
      id: `msg_${requestId.slice(4)}`,
      type: 'message',
      role: 'assistant',
      model: MODEL,
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(data.content).toHaveLength(1);
    expect(data.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/\S/) });
    expect(data.usage).toEqual({
      input_tokens: expect.any(Number),
      output_tokens: 16,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    expect(data.usage.input_tokens).toBeGreaterThan(0);

    // Billed exactly once, the way chat is: one usage record, its cost the ledger's posting, and the answer's usage its figures.
    const record = await generation(requestId, fresh.key);
    const expectedMicros = Math.ceil((data.usage.input_tokens * 500_000 + 16 * 1_500_000) / 1_000_000);
    expect(record).toMatchObject({
      id: requestId,
      status: 'completed',
      inputTokens: data.usage.input_tokens,
      outputTokens: 16,
      cost: { micros: expectedMicros },
    });
    const records = (await billing().execute('select cost_micros, status from usage_records where request_id = ?', [requestId])) as {
      cost_micros: number | string;
      status: string;
    }[];
    expect(records.map((r) => [Number(r.cost_micros), r.status])).toEqual([[expectedMicros, 'completed']]);
    const postings = await eventually(async () => {
      const [row] = (await billing().execute(
        "select coalesce(sum(amount_micros), 0) as total, coalesce(sum(request_count), 0) as requests from ledger_entries where account_id = ? and type = 'usage_debit'",
        [fresh.accountId],
      )) as { total: number | string; requests: number | string }[];
      expect(Number(row.requests)).toBe(1);
      return row;
    });
    expect(Number(postings.total)).toBe(-expectedMicros);

    // And it is on the network's job feed.
    await eventually(async () => {
      const feed = await graphql(stack.url, JobFeedDocument, { limit: 50 });
      expect(feed.data!.jobFeed.find((j) => j.id === requestId)).toMatchObject({ pipeline: 'llm', model: MODEL, status: 'completed' });
    });
  });

  it('takes the key as x-api-key (apiKey) or as Authorization: Bearer (authToken)', async () => {
    const bearer = new Anthropic({ baseURL: stack.url, authToken: buyer.key, apiKey: null, maxRetries: 0 });
    const answer = await bearer.messages.create({ model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'hi [bearer]' }] });
    expect(answer.type).toBe('message');
    const raw = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(raw.status).toBe(200);
    // anthropic-beta is ignored, whatever it names.
    const beta = await post(
      '/v1/messages',
      { model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] },
      { 'anthropic-beta': 'prompt-caching-2024-07-31,interleaved-thinking-2025-05-14, nonsense' },
    );
    expect(beta.status).toBe(200);
  });

  it('reports cached prompt tokens as cache_read_input_tokens, outside input_tokens', async () => {
    sim.setKeyFaults('sk-sim-good', { cachedTokens: 5 });
    const { data, response } = await client.messages
      .create({ model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'cache me please [cached]' }] })
      .withResponse();
    const record = await generation(response.headers.get('request-id')!);
    expect(data.usage).toEqual({
      input_tokens: record.inputTokens - 5,
      output_tokens: record.outputTokens,
      cache_read_input_tokens: 5,
      cache_creation_input_tokens: 0,
    });
  });

  it('stops with max_tokens when the reply is cut at the cap', async () => {
    sim.setKeyFaults('sk-sim-good', { chunks: 40 });
    const answer = await client.messages.create({
      model: MODEL,
      max_tokens: 8,
      messages: [{ role: 'user', content: 'long please [cap]' }],
    });
    expect(answer.stop_reason).toBe('max_tokens');
    expect(answer.usage.output_tokens).toBe(8);
  });

  it("streams Anthropic's exact events, each named, text equal to the plain answer, final usage what billing recorded", async () => {
    const body = { model: MODEL, max_tokens: 12, messages: [{ role: 'user' as const, content: 'Stream this. [stream]' }] };
    const plain = await client.messages.create(body);
    const response = await post('/v1/messages', { ...body, stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const requestId = response.headers.get('request-id')!;
    const events = sseEvents(await response.text());
    for (const e of events) expect(e.event).toBe(e.data.type); // every event is named as its type
    const types = events.map((e) => e.data.type);
    const deltas = types.filter((t) => t === 'content_block_delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(deltas).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const [start, block] = events.map((e) => e.data);
    // message_start shows the gateway's count of the prompt (what it reserved for); message_delta the billed figures.
    expect(start.message).toMatchObject({
      id: `msg_${requestId.slice(4)}`,
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [],
      stop_reason: null,
      usage: { input_tokens: expect.any(Number), output_tokens: 0 },
    });
    expect(start.message.usage.input_tokens).toBeGreaterThanOrEqual(plain.usage.input_tokens);
    expect(block).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    const text = events
      .filter((e) => e.data.type === 'content_block_delta')
      .map((e) => {
        expect(e.data.delta.type).toBe('text_delta');
        return e.data.delta.text;
      })
      .join('');
    expect(text).toBe((plain.content[0] as Anthropic.TextBlock).text);
    const delta = events.find((e) => e.data.type === 'message_delta')!.data;
    expect(delta.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    const record = await generation(requestId);
    expect(record.status).toBe('completed');
    expect(delta.usage).toEqual({
      output_tokens: record.outputTokens,
      input_tokens: record.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(record.outputTokens).toBe(12);

    // The SDK's own accumulation agrees (it skips pings; it reads the named events).
    const stream = client.messages.stream(body);
    const seen: string[] = [];
    stream.on('streamEvent', (event) => seen.push(event.type));
    const final = await stream.finalMessage();
    expect(seen[0]).toBe('message_start');
    expect(seen.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(final.content).toEqual(plain.content);
    expect(final.usage).toMatchObject({ input_tokens: plain.usage.input_tokens, output_tokens: 12 });
  });

  it('ends a stream the provider broke off with a named error event, and bills nothing', async () => {
    sim.setKeyFaults('sk-sim-faulty', { cutAfter: 3, chunks: 20 });
    const response = await post('/v1/messages', {
      model: 'acme/sim-faulty',
      max_tokens: 20,
      stream: true,
      messages: [{ role: 'user', content: 'cut me [cut]' }],
    });
    expect(response.status).toBe(200);
    const events = sseEvents(await response.text());
    const last = events[events.length - 1];
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.any(String) } });
    expect(events.map((e) => e.data.type)).not.toContain('message_stop');
    const record = await generation(response.headers.get('request-id')!);
    expect(record).toMatchObject({ status: 'failed', cost: { micros: 0 } });

    // The SDK raises it as an APIError of Anthropic's type.
    sim.setKeyFaults('sk-sim-faulty', { cutAfter: 3, chunks: 20 });
    const stream = await client.messages.create({
      model: 'acme/sim-faulty',
      max_tokens: 20,
      stream: true,
      messages: [{ role: 'user', content: 'cut me [cut sdk]' }],
    });
    const failure = await (async () => {
      for await (const _event of stream) void _event;
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect((failure as APIError).type).toBe('api_error');
  });

  it('round-trips a tool: tool_choice any → tool_use with input matching the schema → tool_result → a text answer', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ];
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris? [tools]' };
    const first = await client.messages.create({ model: MODEL, max_tokens: 64, tools, tool_choice: { type: 'any' }, messages: [question] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use).toMatchObject({ type: 'tool_use', id: expect.any(String), name: 'get_weather', input: { city: expect.any(String) } });
    const sent = upstreamWith('[tools]')[0];
    expect(sent.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: tools[0].input_schema } },
    ]);
    expect(sent.tool_choice).toBe('required');

    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 16,
      tools,
      messages: [
        question,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: use.id, content: '18°C and sunny' },
            { type: 'text', text: 'Thanks! [tools 2]' },
          ],
        },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/\S/) });
    // The upstream got the history in order: the question, the assistant's tool call, the tool's answer, then the text.
    const history = upstreamWith('[tools 2]')[0].messages as Json[];
    expect(history).toEqual([
      { role: 'user', content: 'Weather in Paris? [tools]' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: use.id, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(use.input) } }],
      },
      { role: 'tool', tool_call_id: use.id, content: '18°C and sunny' },
      { role: 'user', content: 'Thanks! [tools 2]' },
    ]);

    // Streamed, the call is a tool_use block filled by input_json_delta pieces.
    const response = await post('/v1/messages', {
      model: MODEL,
      max_tokens: 64,
      stream: true,
      tools,
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [question],
    });
    const events = sseEvents(await response.text()).map((e) => e.data);
    expect(events[1]).toMatchObject({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: expect.any(String), name: 'get_weather', input: {} },
    });
    const pieces = events
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => {
        expect(e.delta.type).toBe('input_json_delta');
        return e.delta.partial_json;
      });
    expect(JSON.parse(pieces.join(''))).toEqual({ city: expect.any(String) });
    expect(events.find((e) => e.type === 'message_delta')!.delta.stop_reason).toBe('tool_use');
    const streamed = await client.messages
      .stream({ model: MODEL, max_tokens: 64, tools, tool_choice: { type: 'any' }, messages: [question] })
      .finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: expect.any(String) } });
  });

  it('sends the system prompt, stop sequences, sampling and images to the upstream as chat fields, and keeps metadata.user_id from the seller', async () => {
    await client.messages.create({
      model: MODEL,
      max_tokens: 8,
      system: 'You are terse. [system string]',
      messages: [{ role: 'user', content: 'hello [sys1]' }],
    });
    expect(upstreamWith('[sys1]')[0].messages[0]).toEqual({ role: 'system', content: 'You are terse. [system string]' });
    await client.messages.create({
      model: MODEL,
      max_tokens: 8,
      system: [
        { type: 'text', text: 'Rule one.' },
        { type: 'text', text: 'Rule two.', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'hello [sys2]' }],
    });
    expect(upstreamWith('[sys2]')[0].messages).toEqual([
      { role: 'system', content: 'Rule one.\n\nRule two.' },
      { role: 'user', content: 'hello [sys2]' },
    ]);

    // The sampling parameters exist up to API version 2023-06-01 (the SDK's default, 2026-10-21, removed them).
    const image = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: 'iVBORw0KGgo=' } };
    // (This SDK's types no longer have them either.)
    const withSampling = {
      model: MODEL,
      max_tokens: 8,
      stop_sequences: ['END', '\n\nHuman:'],
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'end-user-42' },
      messages: [
        { role: 'user', content: [image, { type: 'text', text: 'what is this [fields]' }] },
        { role: 'assistant', content: 'It is' },
      ],
    };
    await client.messages.create(withSampling as unknown as Anthropic.MessageCreateParamsNonStreaming, { headers: V1 });
    const sent = upstreamWith('[fields]')[0];
    expect(sent).toMatchObject({ max_tokens: 8, stop: ['END', '\n\nHuman:'], temperature: 0.3, top_p: 0.9, top_k: 40 });
    // metadata.user_id is the buyer's end user: kept on the usage record, never told to the seller.
    expect(sent).not.toHaveProperty('user');
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'text', text: 'what is this [fields]' },
        ],
      },
      { role: 'assistant', content: 'It is' },
    ]);

    // Consecutive turns of one role are combined, as Anthropic does; an assistant may open the conversation.
    await client.messages.create({
      model: MODEL,
      max_tokens: 4,
      messages: [
        { role: 'assistant', content: 'Hi, how can I help?' },
        { role: 'user', content: 'one' },
        { role: 'user', content: [{ type: 'text', text: 'two [merge]' }] },
      ],
    });
    expect(upstreamWith('[merge]')[0].messages).toEqual([
      { role: 'assistant', content: 'Hi, how can I help?' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two [merge]' },
        ],
      },
    ]);
  });

  it('honours anthropic-version: sampling refused in 2026-10-21 (the SDK default), accepted in 2023-06-01, an unknown version refused, none defaulting to 2023-06-01', async () => {
    const hot = { model: MODEL, max_tokens: 4, temperature: 0.5, messages: [{ role: 'user', content: 'hot [v2026]' }] };
    const removed = await client.messages.create(hot as unknown as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(removed).toBeInstanceOf(Anthropic.BadRequestError);
    expect((removed as APIError).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('temperature') },
      request_id: expect.stringMatching(/^req_/),
    });
    expect(upstreamWith('[v2026]')).toEqual([]);

    const unknown = await post(
      '/v1/messages',
      { model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'x [vbad]' }] },
      { 'anthropic-version': '2024-99-99' },
    );
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Json).error).toEqual({
      type: 'invalid_request_error',
      message: expect.stringContaining('anthropic-version'),
    });
    const none = await post('/v1/messages', {
      model: MODEL,
      max_tokens: 4,
      temperature: 0.5,
      messages: [{ role: 'user', content: 'x [vnone]' }],
    });
    expect(none.status).toBe(200);
    expect(upstreamWith('[vnone]')[0].temperature).toBe(0.5);
    expect(upstreamWith('[vbad]')).toEqual([]);
  });

  it("answers every error in Anthropic's envelope with its status, type and request_id, nothing sent upstream or billed", async () => {
    const envelope = (error: unknown, status: number, type: string) => {
      expect(error).toBeInstanceOf(Anthropic.APIError);
      const e = error as APIError;
      expect(e.status).toBe(status);
      expect(e.error).toMatchObject({ type: 'error', error: { type, message: expect.stringMatching(/\S/) }, request_id: e.requestID });
      expect(e.requestID).toMatch(/^req_/);
      return e;
    };
    const ask = (c: Anthropic, body: Json, headers: Record<string, string> = {}) =>
      c.messages
        .create(body as unknown as Anthropic.MessageCreateParamsNonStreaming, { headers, timeout: 60_000 })
        .catch((e: unknown) => e);

    envelope(
      await ask(sdk('sk-df-' + 'x'.repeat(43)), { model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'x [e401]' }] }),
      401,
      'authentication_error',
    );
    expect(
      await ask(sdk('sk-df-' + 'x'.repeat(43)), { model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }),
    ).toBeInstanceOf(Anthropic.AuthenticationError);
    const missing = envelope(
      await ask(client, { model: MODEL, messages: [{ role: 'user', content: 'x [e400]' }] }),
      400,
      'invalid_request_error',
    );
    expect(missing).toBeInstanceOf(Anthropic.BadRequestError);
    expect(missing.error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
      request_id: missing.requestID,
    });

    const poor = await fundedBuyer(stack.url, '0');
    const broke = envelope(
      await ask(sdk(poor.key), { model: MODEL, max_tokens: 100_000, messages: [{ role: 'user', content: 'x [e402]' }] }),
      402,
      'billing_error',
    );
    expect(broke.errorCode).toBe('insufficient_balance');
    const limited = await fundedBuyer(stack.url, '10', { limit: '0.000001', cycle: 'DAILY' });
    expect(
      envelope(
        await ask(sdk(limited.key), { model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'x [e402b]' }] }),
        402,
        'billing_error',
      ).errorCode,
    ).toBe('key_limit_exceeded');
    // Counted as a budget refusal, as on chat.
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/inference_budget_refusals_total\{reason="key_limit_exceeded"\} [1-9]/);

    const mk = await managementKey(stack.url, buyer.jwt, 'FULL');
    expect(
      envelope(
        await ask(sdk(mk.rawKey), { model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'x [e403]' }] }),
        403,
        'permission_error',
      ),
    ).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const notFound = envelope(
      await ask(client, { model: 'acme/nope', max_tokens: 4, messages: [{ role: 'user', content: 'x [e404]' }] }),
      404,
      'not_found_error',
    );
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect(notFound.errorCode).toBe('model_not_found');
    envelope(
      await ask(client, { model: 'acme/sim-embed', max_tokens: 4, messages: [{ role: 'user', content: 'x [e400b]' }] }),
      400,
      'invalid_request_error',
    );

    // The provider's own refusals and overloads keep Anthropic's statuses: 429 with retry-after, 529 for a busy gateway.
    sim.setKeyFaults('sk-sim-faulty', { status: 429, retryAfter: 7 });
    const limitedUpstream = await post('/v1/messages', {
      model: 'acme/sim-faulty',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'x [e429]' }],
    });
    expect(limitedUpstream.status).toBe(429);
    expect(limitedUpstream.headers.get('retry-after')).toBe('7');
    expect(await limitedUpstream.json()).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', details: { error_code: 'upstream_rate_limited' } },
    });
    // The listing now cools down: the gateway has no provider to try, which Anthropic calls overloaded.
    const busy = envelope(
      await ask(client, { model: 'acme/sim-faulty', max_tokens: 4, messages: [{ role: 'user', content: 'x [e529]' }] }),
      529,
      'overloaded_error',
    );
    expect(busy.errorCode).toBe('service_unavailable');

    // Bodies fastify refuses before the route: bad JSON, a body over the limit, the wrong content type.
    const badJson = await post('/v1/messages', '{"model":');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.any(String) },
      request_id: badJson.headers.get('request-id'),
    });
    const huge = await post(
      '/v1/messages',
      `{"model":"${MODEL}","max_tokens":4,"messages":[{"role":"user","content":"${'y'.repeat(17 * 1024 * 1024)}"}]}`,
    );
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as Json).error.type).toBe('request_too_large');
    // A path under /v1/messages that no route serves is Anthropic's 404 too.
    const stray = await fetch(`${stack.url}/v1/messages/batches`, { headers: { 'x-api-key': buyer.key } });
    expect(stray.status).toBe(404);
    expect(await stray.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: expect.any(String) },
      request_id: expect.stringMatching(/^req_/),
    });

    for (const marker of ['[e401]', '[e400]', '[e402]', '[e402b]', '[e403]', '[e404]', '[e400b]'])
      expect(upstreamWith(marker), marker).toEqual([]);
    const poorRecords = (await billing().execute('select count(*) as n from usage_records where buyer_id = ?', [poor.accountId])) as {
      n: number | string;
    }[];
    expect(Number(poorRecords[0].n)).toBe(0);
  });

  it("counts tokens with the gateway's tokenizer over the translated prompt: free, never sent upstream, equal to message_start's count", async () => {
    const body = {
      model: MODEL,
      system: 'Be brief.',
      tools: [{ name: 'lookup', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } }],
      messages: [{ role: 'user' as const, content: 'How many tokens is this? [count]' }],
    };
    const before = proxy.bodies.length;
    const counted = await client.messages.countTokens(body);
    expect(counted).toEqual({ input_tokens: expect.any(Number) });
    expect(counted.input_tokens).toBeGreaterThan(10);
    expect(proxy.bodies.length).toBe(before);
    const response = await post('/v1/messages', { ...body, max_tokens: 4, stream: true });
    const start = sseEvents(await response.text())[0].data;
    expect(start.message.usage.input_tokens).toBe(counted.input_tokens);
    // A longer prompt counts more; a bad one is refused in the envelope; an unknown model is a 404.
    const longer = await client.messages.countTokens({
      ...body,
      messages: [{ role: 'user', content: 'How many tokens is this? [count] '.repeat(20) }],
    });
    expect(longer.input_tokens).toBeGreaterThan(counted.input_tokens);
    const bad = await client.messages.countTokens({ model: MODEL, messages: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect(
      await client.messages.countTokens({ model: 'acme/nope', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e),
    ).toBeInstanceOf(Anthropic.NotFoundError);
    const unauthorized = await sdk('sk-df-' + 'z'.repeat(43))
      .messages.countTokens(body)
      .catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('refuses what Anthropic refuses, in its words: tool pairing, empty content, roles, tool_result order', async () => {
    const refused = async (messages: unknown[], pattern: RegExp, extra: Json = {}) => {
      const response = await post('/v1/messages', { model: MODEL, max_tokens: 4, messages, ...extra });
      const body = (await response.json()) as Json;
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(body.error.message).toMatch(pattern);
    };
    const use = { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} };
    await refused(
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [use] },
        { role: 'user', content: 'no result' },
      ],
      /tool_use.*without.*tool_result/,
    );
    await refused([{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }] }], /unexpected `tool_use_id`/);
    await refused(
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [use] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'first' },
            { type: 'tool_result', tool_use_id: 'toolu_1' },
          ],
        },
      ],
      /tool_result blocks must come before/,
    );
    await refused([{ role: 'user', content: '' }], /non-empty content/);
    await refused([{ role: 'user', content: [{ type: 'text', text: '' }] }], /text content blocks must be non-empty/);
    await refused([{ role: 'wizard', content: 'x' }], /role/);
    await refused(
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'trailing ' },
      ],
      /trailing whitespace/,
    );
    await refused([{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }] }], /only appear in assistant/);
    await refused([{ role: 'user', content: 'q' }], /tool_choice/, { tool_choice: { type: 'any' } });
    await refused([{ role: 'user', content: 'q' }], /unique/, {
      tools: [
        { name: 'f', input_schema: { type: 'object' } },
        { name: 'f', input_schema: { type: 'object' } },
      ],
    });
    await refused([{ role: 'user', content: 'q' }], /input_schema/, { tools: [{ name: 'f' }] });
    // A final assistant turn with empty content is allowed (Anthropic's "optional final assistant message").
    const prefill = await post('/v1/messages', {
      model: MODEL,
      max_tokens: 4,
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: '' },
      ],
    });
    expect(prefill.status).toBe(200);
  });

  it("fuzzed bad bodies (wrong types at each field, deep nesting, huge arrays) always answer 4xx in Anthropic's envelope, with nothing sent upstream", async () => {
    const template: Json = {
      model: MODEL,
      max_tokens: 4,
      system: 'sys',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'fuzz' }] }],
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      tool_choice: { type: 'auto' },
      stop_sequences: ['END'],
      metadata: { user_id: 'u' },
      stream: false,
    };
    const wrong = fc.constantFrom<unknown>(
      null,
      0,
      -1,
      1.5,
      'x',
      '',
      true,
      [],
      {},
      [1],
      [{}],
      { a: 1 },
      'x'.repeat(300),
      Number.MAX_SAFE_INTEGER,
    );
    /** One field (top level, or inside the first message or tool) replaced by a value of the wrong type. */
    const paths = [
      'model',
      'max_tokens',
      'system',
      'messages',
      'tools',
      'tool_choice',
      'stop_sequences',
      'metadata',
      'stream',
      'messages.0',
      'messages.0.role',
      'messages.0.content',
      'messages.0.content.0',
      'messages.0.content.0.type',
      'messages.0.content.0.text',
      'tools.0',
      'tools.0.name',
      'tools.0.input_schema',
      'tool_choice.type',
      'metadata.user_id',
    ];
    const mutated = fc.tuple(fc.constantFrom(...paths), wrong).map(([path, value]) => {
      const body = structuredClone(template);
      const keys = path.split('.');
      let node: any = body;
      for (const k of keys.slice(0, -1)) node = node[k];
      node[keys[keys.length - 1]] = value;
      return { label: `${path} = ${JSON.stringify(value)?.slice(0, 40)}`, text: JSON.stringify(body) };
    });
    const nested = fc.constantFrom(65, 1_000, 20_000).chain((depth) =>
      fc.constantFrom('messages.0.content.0.text', 'metadata', 'tools.0.input_schema', 'extra').map((field) => {
        const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        const body = JSON.stringify({ ...template, [field]: '__DEEP__' }).replace('"__DEEP__"', deep);
        return { label: `${field} nested ${depth}`, text: body };
      }),
    );
    const huge = fc.constantFrom(
      {
        label: '150,000 messages',
        text:
          JSON.stringify({ ...template, messages: undefined }).slice(0, -1) +
          `,"messages":[${'{"role":"user","content":"hi"},'.repeat(150_000)}{"role":"user","content":"hi"}]}`,
      },
      {
        label: '150,000 empty blocks',
        text:
          JSON.stringify({ ...template, messages: undefined }).slice(0, -1) +
          `,"messages":[{"role":"user","content":[${'{"type":"text","text":""},'.repeat(150_000)}{"type":"text","text":"x"}]}]}`,
      },
      {
        label: '100,000 stop sequences of numbers',
        text: JSON.stringify({ ...template, stop_sequences: undefined }).slice(0, -1) + `,"stop_sequences":[${'1,'.repeat(100_000)}1]}`,
      },
      {
        label: '50,000 tools without schema',
        text: JSON.stringify({ ...template, tools: undefined }).slice(0, -1) + `,"tools":[${'{"name":"f"},'.repeat(50_000)}{"name":"f"}]}`,
      },
    );
    const junk = fc.oneof(
      fc.jsonValue().map((v) => ({ label: 'json value', text: JSON.stringify(v) })),
      fc.string({ maxLength: 40 }).map((s) => ({ label: 'text', text: s })),
    );
    const before = proxy.bodies.length;
    let refusedCount = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 6, arbitrary: mutated },
          { weight: 2, arbitrary: nested },
          { weight: 1, arbitrary: huge },
          { weight: 1, arbitrary: junk },
        ),
        async ({ label, text }) => {
          const sentBefore = proxy.bodies.length;
          const response = await post('/v1/messages', text);
          const body = await response.text();
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          const answer: Answer = {
            method: 'POST',
            route: '/v1/messages',
            status: response.status,
            headers: response.headers,
            text: body,
            json,
          };
          expect(response.status, `${label}: ${body.slice(0, 300)}`).toBeLessThan(500);
          expect(envelopeProblem('anthropic', answer), `${label}: ${body.slice(0, 300)}`).toBeNull();
          if (response.status >= 400) {
            refusedCount++;
            expect(proxy.bodies.length, `${label} was sent upstream`).toBe(sentBefore);
          }
        },
      ),
      { numRuns: 150, seed: 20261124, endOnFailure: true },
    );
    expect(refusedCount).toBeGreaterThan(100);
    expect(proxy.bodies.length - before).toBeLessThan(150 - 100);
  }, 120_000);
});
