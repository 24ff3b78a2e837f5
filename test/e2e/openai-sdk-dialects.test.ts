// OpenAI's Responses API (POST /v1/responses) and legacy Completions (POST /v1/completions) through
// the official `openai` SDK, against listings admitted on the simulator: plain and streamed answers,
// a function-call round trip, billing exactly once (usage record, balance, /v1/generation, job feed),
// and bad bodies answered 400 in OpenAI's envelope with nothing billed and nothing sent upstream.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { BillingOverviewDocument, JobFeedDocument } from '../../schema/generated/graphql';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { expectLedgerBalanced } from '../helpers/ledger';
import { eventually } from '../helpers/eventually';
import { managementKey, signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';

type Buyer = Awaited<ReturnType<typeof fundedBuyer>>;
interface Generation {
  id: string;
  status: string;
  inputTokens: number;
  outputTokens: number;
  cost: { micros: number };
  metering: { cachedInputTokens: number; reasoningTokens: number };
}

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('Responses and Completions with the openai SDK', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let buyer: Buyer;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-good', 'sk-sim-faulty'] });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    const seller = (await signup(stack.url, 'seller')).jwt;
    await admittedListing(stack.url, seller, {
      poolKeyId: await poolKey(stack.url, seller, 'sk-sim-good'),
      model: 'dragonfly/sim-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '1.5',
    });
    // A listing whose upstream faults each test sets (after admission, so that its probe passed).
    await admittedListing(stack.url, seller, {
      poolKeyId: await poolKey(stack.url, seller, 'sk-sim-faulty'),
      model: 'acme/sim-faulty',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '1.5',
    });
    buyer = await fundedBuyer(stack.url, '5');
    client = sdk(buyer.key);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });
  afterEach(async () => {
    sim.setKeyFaults('sk-sim-faulty', null);
    await expectLedgerBalanced(stack);
  });

  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0 });
  const billing = () =>
    stack
      .platform!.runtimes.find((r) => r.name === 'billing')!
      .db.orm.em.fork()
      .getConnection();

  /** The request's record as its key sees it, once metered. */
  async function generation(key: string, requestId: string): Promise<Generation> {
    return eventually(async () => {
      const response = await fetch(`${stack.url}/v1/generation?id=${requestId}`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      return ((await response.json()) as { data: Generation }).data;
    });
  }
  const inJobFeed = (requestId: string) =>
    eventually(async () => {
      const feed = await graphql(stack.url, JobFeedDocument, { limit: 200 });
      expect(feed.data!.jobFeed.map((j) => j.id)).toContain(requestId);
    });
  const usageRecords = async (keyId: string) =>
    (await billing().execute('select request_id, cost_micros from usage_records where key_id = ? order by request_id', [keyId])) as {
      request_id: string;
      cost_micros: number | string;
    }[];
  const balance = async (jwt: string) => (await graphql(stack.url, BillingOverviewDocument, {}, jwt)).data!.me.balance!.micros;

  /** Billed once each: one usage record per request and no other, each at its answer's cost, and the balance down by their sum. */
  async function expectBilledOnce(who: Buyer, startMicros: number, answers: { requestId: string; costMicros: number }[]) {
    await eventually(async () => {
      const records = await usageRecords(who.keyId);
      expect(records.map((r) => [r.request_id, Number(r.cost_micros)])).toEqual(
        answers.map((a) => [a.requestId, a.costMicros]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      expect(await balance(who.jwt)).toBe(startMicros - answers.reduce((sum, a) => sum + a.costMicros, 0));
    });
    expect(answers.every((a) => a.costMicros > 0)).toBe(true);
  }

  /** Raw POSTs for bodies the SDK's types would not let through. */
  const post = (path: string, body: unknown, key = buyer.key) =>
    fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  async function expectRefused(path: string, cases: [body: Record<string, unknown>, param: string | null, message: RegExp][]) {
    const who = await fundedBuyer(stack.url, '1');
    const before = { upstream: sim.requestCount(), balance: await balance(who.jwt) };
    for (const [body, param, message] of cases) {
      const response = await post(path, body, who.key);
      const text = await response.text();
      expect(response.status, `${JSON.stringify(body)} → ${text}`).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const json = JSON.parse(text);
      expect(Object.keys(json)).toEqual(['error']);
      expect(json.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(json.error.message, JSON.stringify(body)).toMatch(message);
      expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    }
    // Nothing went upstream and nothing was metered or charged for any of them.
    expect(sim.requestCount()).toBe(before.upstream);
    expect(await usageRecords(who.keyId)).toEqual([]);
    expect(await balance(who.jwt)).toBe(before.balance);
  }

  describe('POST /v1/responses', () => {
    it('answers responses.create with a response object billed once, found by /v1/generation and in the job feed', async () => {
      const who = await fundedBuyer(stack.url, '5');
      const c = sdk(who.key);
      const start = await balance(who.jwt);
      const { data, response } = await c.responses
        .create({
          model: 'dragonfly/sim-chat',
          instructions: 'Answer briefly.',
          input: 'Explain routing to me',
          max_output_tokens: 12,
          metadata: { team: 'a' },
          user: 'end-user-7',
          store: true,
        })
        .withResponse();
      const requestId = response.headers.get('x-request-id')!;
      expect(data).toMatchObject({
        id: `resp_${requestId.slice('req_'.length)}`,
        object: 'response',
        status: 'completed',
        model: 'dragonfly/sim-chat',
        store: false,
        instructions: 'Answer briefly.',
        max_output_tokens: 12,
        metadata: { team: 'a' },
        user: 'end-user-7',
        previous_response_id: null,
        error: null,
        incomplete_details: null,
      });
      expect(data.output).toHaveLength(1);
      const message = data.output[0] as OpenAI.Responses.ResponseOutputMessage;
      expect(message).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
      const text = (message.content[0] as OpenAI.Responses.ResponseOutputText).text;
      expect(text).toMatch(/^Simulated reply to: Explain routing to me/);
      expect(data.output_text).toBe(text); // the SDK's convenience field, from the output items
      expect(data.usage!.output_tokens).toBe(12);
      expect(data.usage!.total_tokens).toBe(data.usage!.input_tokens + 12);

      const record = await generation(who.key, requestId);
      const costMicros = Math.ceil((record.inputTokens * 500_000 + record.outputTokens * 1_500_000) / 1_000_000);
      expect(record).toMatchObject({
        id: requestId,
        status: 'completed',
        inputTokens: data.usage!.input_tokens,
        outputTokens: data.usage!.output_tokens,
        cost: { micros: costMicros },
      });
      expect((data.usage as unknown as { cost_usd: number }).cost_usd).toBeCloseTo(costMicros / 1_000_000, 9);
      await inJobFeed(requestId);
      await expectBilledOnce(who, start, [{ requestId, costMicros }]);
    });

    it('streams the documented events in order with increasing sequence numbers, ending with the usage billing recorded', async () => {
      const who = await fundedBuyer(stack.url, '5');
      const c = sdk(who.key);
      const start = await balance(who.jwt);
      const { data: stream, response } = await c.responses
        .create({ model: 'dragonfly/sim-chat', input: 'Stream a reply please', max_output_tokens: 6, stream: true })
        .withResponse();
      const requestId = response.headers.get('x-request-id')!;
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);

      const types = events.map((e) => e.type);
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...Array(6).fill('response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const sequence = events.map((e) => e.sequence_number);
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      expect(new Set(sequence).size).toBe(sequence.length);
      const deltas = events
        .filter((e): e is OpenAI.Responses.ResponseTextDeltaEvent => e.type === 'response.output_text.delta')
        .map((e) => e.delta)
        .join('');
      const done = events.find((e): e is OpenAI.Responses.ResponseTextDoneEvent => e.type === 'response.output_text.done')!;
      expect(done.text).toBe(deltas);
      const completed = (events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent).response;
      expect(completed).toMatchObject({ id: `resp_${requestId.slice(4)}`, status: 'completed', model: 'dragonfly/sim-chat' });
      expect(((completed.output[0] as OpenAI.Responses.ResponseOutputMessage).content[0] as OpenAI.Responses.ResponseOutputText).text).toBe(
        deltas,
      );

      // The final usage is what was billed, not zeros and not the provider's word alone.
      const record = await generation(who.key, requestId);
      expect(record.status).toBe('completed');
      expect(completed.usage).toMatchObject({
        input_tokens: record.inputTokens,
        output_tokens: record.outputTokens,
        total_tokens: record.inputTokens + record.outputTokens,
      });
      expect(record.outputTokens).toBe(6);
      expect((completed.usage as unknown as { cost_usd: number }).cost_usd).toBeCloseTo(record.cost.micros / 1_000_000, 9);
      await inJobFeed(requestId);
      await expectBilledOnce(who, start, [{ requestId, costMicros: record.cost.micros }]);
    });

    it('is accepted by the SDK stream helper, which rebuilds the same final response', async () => {
      const stream = client.responses.stream({ model: 'dragonfly/sim-chat', input: 'helper stream', max_output_tokens: 5 });
      const final = await stream.finalResponse();
      expect(final.status).toBe('completed');
      // output_text is the SDK's own field: create() adds it, the stream helper leaves it to the caller.
      const message = final.output[0] as OpenAI.Responses.ResponseOutputMessage;
      expect((message.content[0] as OpenAI.Responses.ResponseOutputText).text).toMatch(/^Simulated reply/);
      expect(final.usage!.output_tokens).toBe(5);
    });

    it('round-trips a function call: tool_choice required → function_call item → function_call_output → a text answer', async () => {
      const who = await fundedBuyer(stack.url, '5');
      const c = sdk(who.key);
      const start = await balance(who.jwt);
      const question: OpenAI.Responses.ResponseInputItem = { role: 'user', content: 'What is the weather in Paris?' };
      const first = await c.responses
        .create({ model: 'dragonfly/sim-chat', input: [question], tools: [weatherTool], tool_choice: 'required' })
        .withResponse();
      expect(first.data.status).toBe('completed');
      expect(first.data.output).toHaveLength(1);
      const call = first.data.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
      expect(call.call_id).toMatch(/^call_/);
      expect(JSON.parse(call.arguments)).toEqual({ city: expect.any(String) });
      expect(first.data.tools).toEqual([weatherTool]);

      // The SDK user's usual next turn: the earlier output items as they came, then the result.
      const second = await c.responses
        .create({
          model: 'dragonfly/sim-chat',
          input: [
            question,
            ...(first.data.output as OpenAI.Responses.ResponseInputItem[]),
            { type: 'function_call_output', call_id: call.call_id, output: '{"celsius":21}' },
          ],
          tools: [weatherTool],
          max_output_tokens: 8,
        })
        .withResponse();
      expect(second.data.status).toBe('completed');
      expect(second.data.output.map((o) => o.type)).toEqual(['message']);
      expect(second.data.output_text.length).toBeGreaterThan(0);
      // The tool turn reached the upstream: the second prompt is longer than the first by the call and its result.
      expect(second.data.usage!.input_tokens).toBeGreaterThan(first.data.usage!.input_tokens);

      const ids = [first.response, second.response].map((r) => r.headers.get('x-request-id')!);
      const records = await Promise.all(ids.map((id) => generation(who.key, id)));
      await Promise.all(ids.map(inJobFeed));
      await expectBilledOnce(
        who,
        start,
        ids.map((requestId, i) => ({ requestId, costMicros: records[i].cost.micros })),
      );
    });

    it('streams a tool call as function_call_arguments deltas inside its output item', async () => {
      const stream = await client.responses.create({
        model: 'dragonfly/sim-chat',
        input: 'weather in Oslo?',
        tools: [weatherTool],
        tool_choice: { type: 'function', name: 'get_weather' },
        stream: true,
      });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const types = events.map((e) => e.type);
      const deltas = types.filter((t) => t === 'response.function_call_arguments.delta').length;
      expect(deltas).toBeGreaterThan(0);
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        ...Array(deltas).fill('response.function_call_arguments.delta'),
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const args = events
        .filter((e): e is OpenAI.Responses.ResponseFunctionCallArgumentsDeltaEvent => e.type === 'response.function_call_arguments.delta')
        .map((e) => e.delta)
        .join('');
      const item = (events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent).response
        .output[0] as OpenAI.Responses.ResponseFunctionToolCall;
      expect(item).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: args });
      expect(JSON.parse(args)).toEqual({ city: expect.any(String) });
    });

    it('answers text.format json_schema with JSON of that schema', async () => {
      const answer = await client.responses.create({
        model: 'dragonfly/sim-chat',
        input: 'a city as JSON',
        text: {
          format: {
            type: 'json_schema',
            name: 'city',
            schema: { type: 'object', properties: { name: { type: 'string' }, people: { type: 'integer' } }, required: ['name', 'people'] },
          },
        },
      });
      expect(JSON.parse(answer.output_text)).toEqual({ name: expect.any(String), people: expect.any(Number) });
      expect(answer.text!.format).toMatchObject({ type: 'json_schema', name: 'city' });
    });

    it('is incomplete (max_output_tokens) when the answer is cut, plain and streamed, with cached and reasoning tokens as billed', async () => {
      sim.setKeyFaults('sk-sim-faulty', { chunks: 40, cachedTokens: 4, reasoningTokens: 3 });
      const { data, response } = await client.responses
        .create({ model: 'acme/sim-faulty', input: 'a long answer', max_output_tokens: 5 })
        .withResponse();
      expect(data.status).toBe('incomplete');
      expect(data.incomplete_details).toEqual({ reason: 'max_output_tokens' });
      const record = await generation(buyer.key, response.headers.get('x-request-id')!);
      expect(data.usage).toMatchObject({
        input_tokens: record.inputTokens,
        output_tokens: record.outputTokens,
        input_tokens_details: { cached_tokens: record.metering.cachedInputTokens },
        output_tokens_details: { reasoning_tokens: record.metering.reasoningTokens },
      });
      expect(record.metering.cachedInputTokens).toBe(4);

      const stream = await client.responses.create({
        model: 'acme/sim-faulty',
        input: 'a long answer',
        max_output_tokens: 5,
        stream: true,
      });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const last = events[events.length - 1] as OpenAI.Responses.ResponseIncompleteEvent;
      expect(last.type).toBe('response.incomplete');
      expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
      expect(last.response.usage!.output_tokens).toBe(5);
    });

    it('ends a stream the provider broke off with error and response.failed, and charges nothing for it', async () => {
      sim.setKeyFaults('sk-sim-faulty', { cutAfter: 3 });
      const who = await fundedBuyer(stack.url, '1');
      const start = await balance(who.jwt);
      const { data: stream, response } = await sdk(who.key)
        .responses.create({ model: 'acme/sim-faulty', input: 'break please', max_output_tokens: 20, stream: true })
        .withResponse();
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      expect(events.slice(-2).map((e) => e.type)).toEqual(['error', 'response.failed']);
      expect((events[events.length - 1] as OpenAI.Responses.ResponseFailedEvent).response).toMatchObject({
        status: 'failed',
        error: { code: 'server_error' },
      });
      const record = await generation(who.key, response.headers.get('x-request-id')!);
      expect(record).toMatchObject({ status: 'failed', cost: { micros: 0 } });
      expect(await balance(who.jwt)).toBe(start);
    });

    it('refuses bad bodies with a 400 in OpenAI’s envelope naming the field, billing nothing and calling no provider', async () => {
      await expect(
        client.responses.create({ model: 'dragonfly/sim-chat', input: 'x', previous_response_id: 'resp_123' }),
      ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expectRefused('/v1/responses', [
        [{ model: 'dragonfly/sim-chat', input: 42 }, 'input', /non-empty string/],
        [{ model: 'dragonfly/sim-chat', input: [] }, 'input', /non-empty/],
        [{ model: 'dragonfly/sim-chat', input: [{ role: 'user', content: 7 }] }, 'input[0].content', /string or a non-empty array/],
        [{ model: 'dragonfly/sim-chat', input: [{ type: 'computer_call_output', call_id: 'c' }] }, 'input[0].type', /computer_call_output/],
        [
          { model: 'dragonfly/sim-chat', input: [{ type: 'function_call_output', call_id: 'call_x', output: 'y' }] },
          'input[0].call_id',
          /No tool call found/,
        ],
        [{ model: 'dragonfly/sim-chat', input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id', /stores no responses/],
        [{ model: 'dragonfly/sim-chat', input: 'x', conversation: { id: 'conv_1' } }, 'conversation', /stores no conversations/],
        [{ model: 'dragonfly/sim-chat', input: 'x', background: true }, 'background', /not supported/],
        [{ model: 'dragonfly/sim-chat', input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type', /`web_search` are not supported/],
        [
          { model: 'dragonfly/sim-chat', input: 'x', tools: [{ type: 'file_search', vector_store_ids: [] }] },
          'tools[0].type',
          /file_search/,
        ],
        [{ model: 'dragonfly/sim-chat', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name', /letters/],
        [{ model: 'dragonfly/sim-chat', input: 'x', tool_choice: 'required' }, 'tool_choice', /empty/],
        [
          { model: 'dragonfly/sim-chat', input: 'x', text: { format: { type: 'json_schema', name: 'n', schema: 'object' } } },
          'text.format.schema',
          /schema/,
        ],
        [{ model: 'dragonfly/sim-chat', input: 'x', max_output_tokens: '10' }, 'max_output_tokens', /integer/],
        [{ model: 'dragonfly/sim-chat', input: 'x', temperature: 'warm' }, 'temperature', /number/],
        [{ model: 'dragonfly/sim-chat', input: 'x', metadata: 'tag' }, 'metadata', /object/],
        [{ model: 'dragonfly/sim-chat', input: 'x', stream: 1 }, 'stream', /boolean/],
        [{ model: 'dragonfly/sim-chat', input: 'x', reasoning: 'high' }, 'reasoning', /object/],
        [{ model: 'dragonfly/sim-chat', input: 'x', n: 2 }, 'n', /Unknown parameter/],
        [{ input: 'x' }, 'model', /model/],
        [{ model: 'dragonfly/sim-chat', input: 'x'.repeat(10), instructions: { a: 1 } }, 'instructions', /string/],
      ]);
    });

    it('refuses missing, wrong and management credentials in OpenAI’s envelope', async () => {
      const anonymous = await fetch(`${stack.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'dragonfly/sim-chat', input: 'x' }),
      });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: { type: 'authentication_error' } });
      await expect(sdk('sk-df-' + 'x'.repeat(43)).responses.create({ model: 'dragonfly/sim-chat', input: 'x' })).rejects.toBeInstanceOf(
        OpenAI.AuthenticationError,
      );
      const mk = await managementKey(stack.url, buyer.jwt, 'FULL');
      await expect(sdk(mk.rawKey).responses.create({ model: 'dragonfly/sim-chat', input: 'x' })).rejects.toBeInstanceOf(
        OpenAI.PermissionDeniedError,
      );
      await expect(client.responses.create({ model: 'acme/nope', input: 'x' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const broken = await post('/v1/responses', '{"model":');
      expect(broken.status).toBe(400);
      expect(await broken.json()).toEqual({
        error: { message: expect.any(String), type: 'invalid_request_error', code: null, param: null },
      });
    });
  });

  describe('POST /v1/completions', () => {
    it('answers completions.create with text_completion choices billed once, with the legacy default of 16 tokens', async () => {
      const who = await fundedBuyer(stack.url, '5');
      const c = sdk(who.key);
      const start = await balance(who.jwt);
      const { data, response } = await c.completions.create({ model: 'dragonfly/sim-chat', prompt: 'Once upon a time' }).withResponse();
      const requestId = response.headers.get('x-request-id')!;
      expect(data).toMatchObject({ id: `cmpl-${requestId.slice(4)}`, object: 'text_completion', model: 'dragonfly/sim-chat' });
      expect(data.choices).toEqual([
        { text: expect.stringMatching(/^Simulated reply to: Once upon a time/), index: 0, logprobs: null, finish_reason: 'stop' },
      ]);
      expect(data.usage!.completion_tokens).toBe(16);

      const echoed = await c.completions
        .create({ model: 'dragonfly/sim-chat', prompt: ['Say hi'], max_tokens: 4, n: 2, echo: true, stop: ['\n\n'] })
        .withResponse();
      expect(echoed.data.choices.map((ch) => ch.index)).toEqual([0, 1]);
      for (const choice of echoed.data.choices) expect(choice.text.startsWith('Say hi')).toBe(true);
      expect(echoed.data.usage!.completion_tokens).toBe(8);

      const ids = [requestId, echoed.response.headers.get('x-request-id')!];
      const records = await Promise.all(ids.map((id) => generation(who.key, id)));
      expect(records[0]).toMatchObject({ status: 'completed', inputTokens: data.usage!.prompt_tokens, outputTokens: 16 });
      expect((data.usage as unknown as { cost_usd: number }).cost_usd).toBeCloseTo(records[0].cost.micros / 1_000_000, 9);
      await Promise.all(ids.map(inJobFeed));
      await expectBilledOnce(
        who,
        start,
        ids.map((id, i) => ({ requestId: id, costMicros: records[i].cost.micros })),
      );
    });

    it('streams text_completion chunks, the usage chunk (as billed) only when asked for', async () => {
      const who = await fundedBuyer(stack.url, '5');
      const c = sdk(who.key);
      const start = await balance(who.jwt);
      const { data: stream, response } = await c.completions
        .create({
          model: 'dragonfly/sim-chat',
          prompt: 'stream this',
          max_tokens: 7,
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      const chunks: OpenAI.Completion[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.every((ch) => ch.object === 'text_completion' && ch.model === 'dragonfly/sim-chat')).toBe(true);
      const text = chunks.map((ch) => ch.choices[0]?.text ?? '').join('');
      expect(text).toMatch(/^Simulated reply/);
      expect(chunks.find((ch) => ch.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
      const last = chunks[chunks.length - 1];
      expect(last.choices).toEqual([]);
      const requestId = response.headers.get('x-request-id')!;
      const record = await generation(who.key, requestId);
      expect(last.usage).toMatchObject({ prompt_tokens: record.inputTokens, completion_tokens: 7, total_tokens: record.inputTokens + 7 });
      expect(record.outputTokens).toBe(7);

      const quiet = await c.completions
        .create({ model: 'dragonfly/sim-chat', prompt: 'stream this', max_tokens: 3, stream: true })
        .withResponse();
      const plain: OpenAI.Completion[] = [];
      for await (const chunk of quiet.data) plain.push(chunk);
      expect(plain.some((ch) => ch.usage)).toBe(false);
      expect(plain.map((ch) => ch.choices[0]?.text ?? '').join('')).toMatch(/^Simulated/);

      const ids = [requestId, quiet.response.headers.get('x-request-id')!];
      const records = await Promise.all(ids.map((id) => generation(who.key, id)));
      await Promise.all(ids.map(inJobFeed));
      await expectBilledOnce(
        who,
        start,
        ids.map((id, i) => ({ requestId: id, costMicros: records[i].cost.micros })),
      );
    });

    it('refuses suffix, logprobs, token-id and multi-prompt bodies and wrong types with a 400 in OpenAI’s envelope, billing nothing', async () => {
      await expect(
        client.completions.create({ model: 'dragonfly/sim-chat', prompt: 'def f(', suffix: '\n    return x' }),
      ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expectRefused('/v1/completions', [
        [{ model: 'dragonfly/sim-chat', prompt: 'def f(', suffix: 'return' }, 'suffix', /fill-in-the-middle/],
        [{ model: 'dragonfly/sim-chat', prompt: 'x', logprobs: 3 }, 'logprobs', /not supported/],
        [{ model: 'dragonfly/sim-chat', prompt: [1, 2, 3] }, 'prompt', /token ids/],
        [{ model: 'dragonfly/sim-chat', prompt: ['a', 'b'] }, 'prompt', /several prompts/],
        [{ model: 'dragonfly/sim-chat', prompt: { text: 'x' } }, 'prompt', /string/],
        [{ model: 'dragonfly/sim-chat' }, 'prompt', /string/],
        [{ model: 'dragonfly/sim-chat', prompt: 'x', max_tokens: -1 }, 'max_tokens', /integer/],
        [{ model: 'dragonfly/sim-chat', prompt: 'x', n: 'two' }, 'n', /integer/],
        [{ model: 'dragonfly/sim-chat', prompt: 'x', stop: 5 }, 'stop', /string/],
        [{ model: 'dragonfly/sim-chat', prompt: 'x', stream: 'true' }, 'stream', /boolean/],
        [{ model: 'dragonfly/sim-chat', prompt: 'x', best_of: 4 }, 'best_of', /ranked/],
        [{ model: 'dragonfly/sim-chat', prompt: 'x', messages: [] }, 'messages', /Unknown parameter/],
      ]);
    });

    it('refuses a wrong key and an unknown model in OpenAI’s envelope', async () => {
      await expect(sdk('sk-df-' + 'y'.repeat(43)).completions.create({ model: 'dragonfly/sim-chat', prompt: 'x' })).rejects.toBeInstanceOf(
        OpenAI.AuthenticationError,
      );
      await expect(client.completions.create({ model: 'acme/nope', prompt: 'x' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });
  });
});
