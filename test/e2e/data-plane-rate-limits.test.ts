// Rate limits on the data plane (embedded): a key's requests per minute and requests in flight hold
// under 200 concurrent requests, exactly; the refusals are 429 with retry-after and name the limit;
// the window frees on the injected clock. A group's limit holds across its keys; tokens per minute
// hold the worst case and keep the billed tokens. A listing at its tpm or daily-token
// cap passes traffic to the next listing and is not blamed for it; when every listing is full the
// answer is 503 with retry-after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { eventually } from '../helpers/eventually';

type Answer = Awaited<ReturnType<typeof rest>>;

describe('rate limits on the data plane (embedded)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let seller: Awaited<ReturnType<typeof signup>>;
  const listings: Record<string, string> = {};
  // The clock moves only when a test moves it: 15 s into a minute, so a window frees 45 s later.
  let nowMs = Math.floor(Date.now() / 60_000) * 60_000 + 60_000 + 15_000;
  const clock = { now: () => new Date(nowMs) };
  const nextMinute = () => (nowMs = Math.floor(nowMs / 60_000) * 60_000 + 60_000 + 15_000);

  beforeAll(async () => {
    sim = await startSimulator({
      apiKeys: [
        'sk-sim-rl',
        'sk-sim-rl-slow',
        'sk-sim-rl-liar',
        'sk-sim-capped-daily',
        'sk-sim-capped-tpm',
        'sk-sim-spare-daily',
        'sk-sim-spare-tpm',
        'sk-sim-solo',
      ],
    });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', LISTING_COOLDOWN_MS: '0' }, { clock });
    seller = await signup(stack.url, 'seller');
    const list = async (name: string, apiKey: string, model: string, price: string, caps?: Record<string, number>) => {
      const pool = await poolKey(stack.url, seller.jwt, apiKey);
      listings[name] = await admittedListing(stack.url, seller.jwt, {
        poolKeyId: pool,
        model,
        upstreamModel: 'sim-chat',
        capability: 'CHAT',
        inputPricePerMTok: price,
        outputPricePerMTok: price,
        ...(caps ? { caps } : {}),
      });
    };
    await list('rl', 'sk-sim-rl', 'acme/rl-chat', '1');
    await list('slow', 'sk-sim-rl-slow', 'acme/rl-slow-chat', '1');
    await list('liar', 'sk-sim-rl-liar', 'acme/rl-liar-chat', '1');
    // Two models, each served first by a cheap capped listing, then by a dearer one with no cap.
    await list('cappedDaily', 'sk-sim-capped-daily', 'acme/daily-capped-chat', '1', { dailyTokens: 200 });
    await list('spareDaily', 'sk-sim-spare-daily', 'acme/daily-capped-chat', '2');
    await list('cappedTpm', 'sk-sim-capped-tpm', 'acme/tpm-capped-chat', '1', { tpm: 200 });
    await list('spareTpm', 'sk-sim-spare-tpm', 'acme/tpm-capped-chat', '2');
    await list('solo', 'sk-sim-solo', 'acme/solo-chat', '1', { rpm: 3 });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const chat = (key: string, model: string, extra: Record<string, unknown> = {}) =>
    rest(stack.url, 'POST', '/v1/chat/completions', {
      token: key,
      body: { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, ...extra },
    });
  const burst = (n: number, send: (i: number) => Promise<Answer>) => Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  const statuses = (answers: Answer[]) =>
    answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});
  const servedBy = async (key: string, answer: Answer) =>
    eventually(async () => {
      const record = await rest(stack.url, 'GET', `/v1/generation?id=${answer.headers.get('x-request-id')}`, { token: key });
      expect(record.status).toBe(200);
      return record.body.data as { listingId: string; inputTokens: number; outputTokens: number };
    });

  it('lets exactly rpm of 200 concurrent requests through; the rest are 429 rate_limit_error with the seconds left; the next minute frees the window', async () => {
    const buyer = await fundedBuyer(stack.url, '5', { rpmLimit: 25 });
    const answers = await burst(200, () => chat(buyer.key, 'acme/rl-chat'));
    expect(statuses(answers)).toEqual({ 200: 25, 429: 175 });
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.headers.get('retry-after')).toBe('45');
      expect(refused.body.error).toMatchObject({
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        metadata: { limit_scope: 'key', limit: 'rpm', limit_value: 25 },
      });
    }
    expect((await chat(buyer.key, 'acme/rl-chat')).status).toBe(429);
    nextMinute();
    expect(statuses(await burst(30, () => chat(buyer.key, 'acme/rl-chat')))).toEqual({ 200: 25, 429: 5 });
    // A refusal is no spend: exactly the 50 answered requests were billed.
    const usage = async () =>
      (
        (
          await graphql(
            stack.url,
            'query ($to: DateTimeISO) { usage(to: $to) { requests } }',
            { to: new Date(nowMs + 60_000).toISOString() },
            buyer.jwt,
          )
        ).data as { usage: { requests: number } }
      ).usage.requests;
    await eventually(async () => expect(await usage()).toBe(50));
  }, 60_000);

  it('holds exactly maxParallelRequests of 200 concurrent requests in flight, and gives the slots back when they end', async () => {
    const buyer = await fundedBuyer(stack.url, '5', { maxParallelRequests: 7 });
    // The provider holds each answer for a while, so the 7 admitted stay in flight while the rest arrive.
    sim.setKeyFaults('sk-sim-rl-slow', { latencyMs: 6_000 });
    try {
      const answers = await burst(200, () => chat(buyer.key, 'acme/rl-slow-chat'));
      expect(statuses(answers)).toEqual({ 200: 7, 429: 193 });
      const refused = answers.find((a) => a.status === 429)!;
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.error.metadata).toEqual({ limit_scope: 'key', limit: 'parallel', limit_value: 7 });
    } finally {
      sim.setKeyFaults('sk-sim-rl-slow', null);
    }
    expect(statuses(await burst(7, () => chat(buyer.key, 'acme/rl-slow-chat')))).toEqual({ 200: 7 });
  }, 60_000);

  it("holds a group's rpm across its keys: a second key of the group cannot get past it, and the refusal names the group", async () => {
    const buyer = await fundedBuyer(stack.url, '5');
    const group = await rest(stack.url, 'POST', '/api/keys/groups', { token: buyer.jwt, body: { name: 'agents', rpmLimit: 6 } });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({ rpmLimit: 6, tpmLimit: null, maxParallelRequests: null });
    const keys = await Promise.all(
      [1, 2].map(
        async () =>
          (await rest(stack.url, 'POST', '/api/keys', { token: buyer.jwt, body: { groupId: group.body.id, rpmLimit: 100 } })).body
            .key as string,
      ),
    );
    const answers = await burst(40, (i) => chat(keys[i % 2], 'acme/rl-chat'));
    expect(statuses(answers)).toEqual({ 200: 6, 429: 34 });
    expect(answers.find((a) => a.status === 429)!.body.error.metadata).toMatchObject({
      limit_scope: 'group',
      limit: 'rpm',
      limit_value: 6,
    });
    expect((await rest(stack.url, 'GET', '/v1/key', { token: keys[1] })).body.data).toMatchObject({
      rate_limit: { requests: 6, interval: '1m' },
      rate_limits: {
        key: { requests_per_minute: 100, tokens_per_minute: null, max_parallel_requests: null },
        group: { requests_per_minute: 6 },
      },
    });
  }, 60_000);

  it('holds the worst case against tpm and corrects it to the billed tokens: a buyer never gets past the window, and short answers leave room for more', async () => {
    const tpm = 600;
    const buyer = await fundedBuyer(stack.url, '5', { tpmLimit: tpm });
    // Streams asking for up to 50 tokens that get 3: each holds prompt + 50 while it runs, and keeps what it billed.
    sim.setKeyFaults('sk-sim-rl-liar', { chunks: 3 });
    const billed: number[] = [];
    let prompt = 0;
    let refused: Answer | null = null;
    try {
      for (let i = 0; i < 100 && !refused; i++) {
        const answer = await chat(buyer.key, 'acme/rl-liar-chat', {
          max_tokens: 50,
          stream: true,
          stream_options: { include_usage: true },
        });
        if (answer.status === 429) refused = answer;
        else {
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          const record = await servedBy(buyer.key, answer);
          billed.push(record.inputTokens + record.outputTokens);
          prompt = record.inputTokens;
        }
      }
    } finally {
      sim.setKeyFaults('sk-sim-rl-liar', null);
    }
    expect(refused?.body.error.metadata).toEqual({ limit_scope: 'key', limit: 'tpm', limit_value: tpm });
    const total = billed.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(tpm);
    // Had the held worst case stayed counted, no more than tpm / (prompt + 50) would fit; the billed
    // figure (a 3-token reply) lets more in. (A report beyond the hold counts as the hold: unit-tested.)
    expect(billed.length).toBeGreaterThan(Math.floor(tpm / (prompt + 50)));
    // A request that could bill more than a whole minute's tokens is the caller's 400 (not retried by SDKs).
    const tooBig = await chat(buyer.key, 'acme/rl-liar-chat', { max_tokens: tpm + 1 });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toMatchObject({ type: 'invalid_request_error', code: 'tokens_per_minute_exceeded', param: 'max_tokens' });
    nextMinute();
  }, 60_000);

  it.each([
    ['daily tokens', 'acme/daily-capped-chat', 'cappedDaily', 'spareDaily'],
    ['tokens per minute', 'acme/tpm-capped-chat', 'cappedTpm', 'spareTpm'],
  ])(
    'a listing at its %s cap passes traffic to the next listing and is not blamed for it',
    async (_cap, model, capped, spare) => {
      const buyer = await fundedBuyer(stack.url, '5');
      const served: string[] = [];
      let cappedTokens = 0;
      for (let i = 0; i < 12; i++) {
        const answer = await chat(buyer.key, model, { max_tokens: 20 });
        expect(answer.status).toBe(200);
        const record = await servedBy(buyer.key, answer);
        served.push(record.listingId);
        if (record.listingId === listings[capped]) cappedTokens += record.inputTokens + record.outputTokens;
      }
      const first = served.filter((id) => id === listings[capped]).length;
      expect(first).toBeGreaterThan(0);
      expect(served).toEqual([...Array(first).fill(listings[capped]), ...Array(12 - first).fill(listings[spare])]);
      expect(cappedTokens).toBeLessThanOrEqual(200);
      const state = await graphql(
        stack.url,
        'query ($id: ID!) { listing(id: $id) { contract { state consecutiveFailures lastCheckPassed } } }',
        { id: listings[capped] },
        seller.jwt,
      );
      expect((state.data as { listing: { contract: Record<string, unknown> } }).listing.contract).toMatchObject({
        state: 'ACTIVE',
        consecutiveFailures: 0,
      });
      nextMinute();
    },
    60_000,
  );

  it('answers 503 with retry-after (the seconds until the window frees) when every listing of the model is at its cap, and blames none', async () => {
    const buyer = await fundedBuyer(stack.url, '5');
    const answers = await burst(10, () => chat(buyer.key, 'acme/solo-chat'));
    expect(statuses(answers)).toEqual({ 200: 3, 503: 7 });
    const refused = answers.find((a) => a.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('45');
    expect(refused.body.error).toMatchObject({
      type: 'api_error',
      code: 'service_unavailable',
      message: expect.stringContaining('capacity'),
    });
    const state = await graphql(
      stack.url,
      'query ($id: ID!) { listing(id: $id) { contract { state consecutiveFailures } } }',
      { id: listings.solo },
      seller.jwt,
    );
    expect((state.data as { listing: { contract: Record<string, unknown> } }).listing.contract).toEqual({
      state: 'ACTIVE',
      consecutiveFailures: 0,
    });
    nextMinute();
    expect((await chat(buyer.key, 'acme/solo-chat')).status).toBe(200);
  }, 60_000);
});
