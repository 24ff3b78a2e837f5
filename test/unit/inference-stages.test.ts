// The data plane's stages on their own, with hand-made requests: counting, parsing, metering,
// failure classification, SSE framing and health reports.
import { describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { countChatPrompt, countEmbeddingInput, countText, IMAGE_TOKENS } from '../../gateway/inference/tokens';
import { billUsage, DEFAULT_METERING, withTolerance } from '../../gateway/inference/metering';
import { depthExceeds, parse } from '../../gateway/inference/parse';
import { InferenceRequest } from '../../gateway/inference/request';
import { classifyUpstreamError, countsAgainstListing, fallsBack, chargesDelivered } from '../../gateway/inference/failures';
import { UpstreamError } from '../../gateway/inference/upstream';
import { dataOf, SseSplitter } from '../../gateway/inference/sse';
import { describeModel, ListingHealthReporter, price } from '../../gateway/inference/meter';
import { worstCaseCost } from '../../gateway/inference/admit';
import { ListingLoad, type Candidate } from '../../gateway/inference/routing';
import { refusal } from '../helpers/refusal';

const candidate: Candidate = {
  listingId: 'l1',
  sellerId: 's1',
  provider: 'custom',
  baseUrl: 'http://127.0.0.1:1/v1',
  upstreamModel: 'up-model',
  sealedApiKey: '',
  sealContext: '',
  inputPriceMicrosPerMTok: 1_000_000,
  outputPriceMicrosPerMTok: 2_000_000,
  priceMicrosPerMChars: 15_000_000,
  blendedPriceMicros: 3_000_000,
  caps: null,
};

function chat(body: Record<string, unknown>): InferenceRequest {
  return new InferenceRequest(
    'req-1',
    'chat',
    { model: 'acme/chat', messages: [{ role: 'user', content: 'hello' }], ...body },
    new Date(0),
    '127.0.0.1',
  );
}

describe('token counts', () => {
  it('counts ordinary text exactly as o200k does', () => {
    for (const text of [
      'hello world',
      'The quick brown fox jumps over the lazy dog.',
      '日本語のテキスト',
      'function add(a, b) { return a + b; }',
    ])
      expect(countText(text)).toBe(countTokens(text));
  });

  it('bounds pathological runs and huge texts by an upper estimate instead of quadratic work', () => {
    const run = 'x'.repeat(200_000);
    const counted = countText(run);
    expect(counted).toBeGreaterThanOrEqual(200_000 / 48);
    expect(counted).toBeLessThanOrEqual(200_000);
    // Beyond the exact window, every UTF-8 byte counts as a token: never an undercount.
    const huge = 'word '.repeat(100_000);
    expect(countText(huge)).toBeGreaterThanOrEqual(countTokens(huge.slice(0, 256 * 1024)));
  });

  it('counts everything a chat request bills as prompt: tools, schemas and images too', () => {
    const base = { messages: [{ role: 'user', content: 'hi' }] };
    const tools = [
      {
        type: 'function',
        function: {
          name: 'lookup',
          description: 'Looks a thing up in a very large archive of things. '.repeat(20),
          parameters: { type: 'object', properties: {} },
        },
      },
    ];
    const plain = countChatPrompt(base);
    expect(countChatPrompt({ ...base, tools })).toBeGreaterThan(plain + 200);
    expect(
      countChatPrompt({
        ...base,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string', description: 'field a '.repeat(30) } } } },
        },
      }),
    ).toBeGreaterThan(plain + 50);
    const image = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    };
    expect(countChatPrompt(image)).toBeGreaterThanOrEqual(IMAGE_TOKENS);
    expect(
      countChatPrompt({
        messages: [
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"q":"a long argument text"}' } }],
          },
        ],
      }),
    ).toBeGreaterThan(10);
  });

  it('counts embeddings inputs: strings, arrays of strings, token ids', () => {
    expect(countEmbeddingInput('hello world')).toBe(countTokens('hello world'));
    expect(countEmbeddingInput([1, 2, 3, 4])).toBe(4);
    expect(countEmbeddingInput(['a b c', 'd e f'])).toBeGreaterThanOrEqual(countTokens('a b c') + countTokens('d e f'));
    expect(countEmbeddingInput([[1, 2], [3]])).toBe(3 + 2);
  });
});

describe('parse stage', () => {
  it('refuses a 20,000-deep body as the caller’s 400, without a stack overflow', () => {
    let nested: unknown = 1;
    for (let i = 0; i < 20_000; i++) nested = { a: nested };
    expect(refusal(() => parse(chat({ extra: nested })))).toMatchObject({ status: 400, code: 'body_too_deep' });
    expect(refusal(() => parse(chat({ messages: [{ role: 'user', content: [nested] }] })))).toMatchObject({ status: 400 });
    const embeddings = new InferenceRequest('r', 'embeddings', { model: 'm', input: [nested] }, new Date(0), '127.0.0.1');
    expect(refusal(() => parse(embeddings))).toMatchObject({ status: 400, code: 'body_too_deep' });
    expect(depthExceeds({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(depthExceeds({ a: [{ b: {} }] }, 3)).toBe(true);
  });

  it('checks n, max_tokens and messages, naming the parameter', () => {
    expect(refusal(() => parse(chat({ n: 0 })))).toMatchObject({ status: 400, param: 'n' });
    expect(refusal(() => parse(chat({ n: 17 })))).toMatchObject({ status: 400, param: 'n' });
    expect(refusal(() => parse(chat({ max_tokens: -1 })))).toMatchObject({ status: 400, param: 'max_tokens' });
    expect(refusal(() => parse(chat({ max_completion_tokens: 1.5 })))).toMatchObject({ status: 400, param: 'max_completion_tokens' });
    expect(refusal(() => parse(chat({ messages: ['hi'] })))).toMatchObject({ status: 400, param: 'messages[0]' });
    expect(refusal(() => parse(chat({ model: 'a\u0000b' })))).toMatchObject({ status: 400, param: 'model' });
  });

  it('sets an explicit output cap upstream when the request has none, and serialises the body once for every candidate', () => {
    const request = chat({ stream: true });
    parse(request, { defaultMaxOutputTokens: 321 });
    expect(request.maxTokens).toBe(321);
    const body = JSON.parse(request.upstreamBody(candidate));
    expect(body).toMatchObject({ model: 'up-model', max_tokens: 321, stream: true, stream_options: { include_usage: true } });
    expect(JSON.parse(request.upstreamBody({ ...candidate, upstreamModel: 'other' })).model).toBe('other');

    const asked = chat({ max_tokens: 10, n: 3 });
    parse(asked);
    expect(asked.maxCompletion).toBe(30);
    expect(JSON.parse(asked.upstreamBody(candidate))).not.toHaveProperty('stream_options');
  });

  it('reserves the whole prompt within the tolerance and every completion token the request allows', () => {
    const request = chat({ max_tokens: 100, n: 2 });
    parse(request);
    const prompt = withTolerance(request.countedPrompt, DEFAULT_METERING);
    expect(worstCaseCost(request, candidate, DEFAULT_METERING)).toBe(Math.ceil((prompt * 1_000_000 + 200 * 2_000_000) / 1_000_000));
  });
});

describe('metering', () => {
  const rules = DEFAULT_METERING;
  const base = { countedPrompt: 100, countedCompletion: 40, maxCompletion: 200, cancelled: false };

  it('bills an honest report as reported', () => {
    expect(billUsage({ ...base, reported: { prompt_tokens: 90, completion_tokens: 40 } }, rules)).toMatchObject({
      inputTokens: 90,
      outputTokens: 40,
      flags: [],
    });
  });

  it('clamps a report beyond the count (and the tolerance) and flags it', () => {
    const billed = billUsage({ ...base, reported: { prompt_tokens: 10_000, completion_tokens: 90_000 } }, rules);
    expect(billed.inputTokens).toBe(withTolerance(100, rules));
    expect(billed.outputTokens).toBe(withTolerance(40, rules));
    expect(billed.flags).toEqual(['prompt_over_count', 'completion_over_count', 'completion_over_max']);
    expect(billed).toMatchObject({
      reportedInputTokens: 10_000,
      reportedOutputTokens: 90_000,
      countedInputTokens: 100,
      countedOutputTokens: 40,
    });
  });

  it('never bills more completion than max_tokens × n', () => {
    const billed = billUsage({ ...base, countedCompletion: 500, reported: { prompt_tokens: 100, completion_tokens: 500 } }, rules);
    expect(billed.outputTokens).toBe(200);
    expect(billed.flags).toContain('completion_over_max');
  });

  it('bills a missing usage from the count, never zero', () => {
    expect(billUsage({ ...base, reported: null }, rules)).toMatchObject({ inputTokens: 100, outputTokens: 40, flags: ['usage_missing'] });
    expect(billUsage({ ...base, reported: { prompt_tokens: null, completion_tokens: 'x' } }, rules)).toMatchObject({
      inputTokens: 100,
      outputTokens: 40,
      flags: ['usage_missing'],
    });
  });

  it('bills a cancelled request for what was delivered', () => {
    expect(billUsage({ ...base, cancelled: true, reported: null }, rules)).toMatchObject({ inputTokens: 100, outputTokens: 40, flags: [] });
    expect(billUsage({ ...base, cancelled: true, reported: { prompt_tokens: 100, completion_tokens: 400 } }, rules)).toMatchObject({
      outputTokens: 40,
    });
  });

  it('checks only the visible part of a completion that reports reasoning tokens, and records cached tokens', () => {
    const billed = billUsage(
      {
        ...base,
        reported: {
          prompt_tokens: 100,
          completion_tokens: 140,
          completion_tokens_details: { reasoning_tokens: 100 },
          prompt_tokens_details: { cached_tokens: 60 },
        },
      },
      rules,
    );
    expect(billed).toMatchObject({ outputTokens: 140, reasoningTokens: 100, cachedInputTokens: 60, flags: [] });
  });

  it('prices a request at most at its reservation, and a failed one at zero', () => {
    const request = chat({ max_tokens: 10 });
    parse(request);
    request.served = { candidate, response: {} as never, upstreamStartedAt: 0 };
    request.reservation = { id: 'r', counters: [], amountMicros: 5 };
    request.delivered.add(0, 'a much longer answer than anyone reserved for');
    request.outcome = {
      status: 'completed',
      failure: null,
      failureMessage: null,
      reported: { prompt_tokens: 1_000, completion_tokens: 1_000 },
      servedModel: null,
      billed: null,
      costMicros: 0,
    };
    expect(price(request, DEFAULT_METERING)).toBe(5);
    request.outcome.status = 'failed';
    expect(price(request, DEFAULT_METERING)).toBe(0);
  });
});

describe('failure classification', () => {
  it.each([
    [new UpstreamError('x', 'aborted'), 'buyer-abort'],
    [new UpstreamError('x', 'status', 429), 'rate-limited'],
    [new UpstreamError('x', 'status', 400), 'caller'],
    [new UpstreamError('x', 'status', 422), 'caller'],
    [new UpstreamError('x', 'status', 401), 'transient'],
    [new UpstreamError('x', 'status', 503), 'transient'],
    [new UpstreamError('x', 'timeout'), 'transient'],
    [new UpstreamError('x', 'reset'), 'transient'],
    [new UpstreamError('x', 'connect'), 'transient'],
  ])('%s is %s', (error, expected) => {
    expect(classifyUpstreamError(error)).toBe(expected);
  });

  it('holds only provider failures against a listing, and charges only a buyer abort', () => {
    expect(['caller', 'buyer-abort', 'platform'].map((f) => countsAgainstListing(f as never) || fallsBack(f as never))).toEqual([
      false,
      false,
      false,
    ]);
    expect(
      ['rate-limited', 'transient', 'protocol-violation'].every((f) => countsAgainstListing(f as never) && fallsBack(f as never)),
    ).toBe(true);
    expect(chargesDelivered('buyer-abort')).toBe(true);
    expect(chargesDelivered('transient')).toBe(false);
  });
});

describe('SSE framing', () => {
  it('splits LF, CRLF and CR framed events, across chunk boundaries', () => {
    const splitter = new SseSplitter();
    expect(splitter.push('data: {"a":1}\r\n\r')).toEqual([]);
    expect(splitter.push('\ndata: {"b":2}\n\ndata: {"c":3}\r\r')).toEqual([
      'data: {"a":1}\r\n\r\n',
      'data: {"b":2}\n\n',
      'data: {"c":3}\r\r',
    ]);
    expect(splitter.rest()).toBe('');
    expect(dataOf('data: {"a":1}\r\n\r\n')).toBe('{"a":1}');
    expect(dataOf(': ping\n\n')).toBeNull();
    expect(dataOf('event: x\ndata:one\ndata: two\n\n')).toBe('one\ntwo');
  });
});

describe('listing health', () => {
  it('reports failures at once and successes at most once a second, but the first success after a failure at once', () => {
    let now = 0;
    const reports: [string, boolean][] = [];
    const health = new ListingHealthReporter(
      (id, ok) => reports.push([id, ok]),
      1_000,
      () => now,
    );
    health.success('l1');
    health.success('l1');
    now = 500;
    health.success('l1');
    health.failure('l1', 'reset');
    health.success('l1');
    now = 1_600;
    health.success('l1');
    expect(reports).toEqual([
      ['l1', true],
      ['l1', false],
      ['l1', true],
      ['l1', true],
    ]);
  });

  it('accepts a dated or vendor-prefixed model name, and names another model', () => {
    expect(describeModel('gpt-4o-2024-08-06', 'gpt-4o')).toBeNull();
    expect(describeModel('openai/gpt-4o', 'gpt-4o')).toBeNull();
    expect(describeModel(null, 'gpt-4o')).toBeNull();
    expect(describeModel('llama-3-8b', 'gpt-4o')).toMatch(/answered as model "llama-3-8b"/);
  });
});

describe('listing speed', () => {
  const a = { listingId: 'a' };
  const b = { listingId: 'b' };
  const c = { listingId: 'c' };

  it('tries a listing consistently 3× slower to its first byte after the others, and still explores it now and then', () => {
    const load = new ListingLoad(0);
    expect(load.order([a, b])).toEqual([a, b]);
    for (let i = 0; i < 10; i++) {
      load.recordFirstByte('a', 2_000);
      load.recordFirstByte('b', 100);
    }
    const orders = Array.from({ length: 40 }, () =>
      load
        .order([a, b, c])
        .map((x) => x.listingId)
        .join(''),
    );
    expect(orders.filter((o) => o === 'bca')).toHaveLength(38);
    expect(orders.filter((o) => o === 'abc')).toHaveLength(2);
  });

  it('judges a listing without traffic by its probes, and calls nobody slow below the floor', () => {
    expect(
      new ListingLoad(0)
        .order([
          { listingId: 'x', ttftMs: 1_000 },
          { listingId: 'y', ttftMs: 100 },
        ])
        .map((x) => x.listingId),
    ).toEqual(['y', 'x']);
    const fast = new ListingLoad(0);
    fast.recordFirstByte('a', 200);
    fast.recordFirstByte('b', 10);
    expect(fast.order([a, b])).toEqual([a, b]);
    // A single slow answer moves the average, but not all the way.
    const once = new ListingLoad(0);
    for (let i = 0; i < 10; i++) once.recordFirstByte('a', 100);
    once.recordFirstByte('a', 10_000);
    expect(once.firstByteMs('a')).toBeLessThan(2_100);
  });
});
