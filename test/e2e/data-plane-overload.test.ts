// Overload is graceful: past what the process may serve, a new inference request is answered 503
// at once, with retry-after, in its own API's envelope (OpenAI's; Anthropic's 529 overloaded_error),
// is never sent upstream nor charged, and the next request after the load drops is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../gateway/simulator/server';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { expectLedgerBalanced } from '../helpers/ledger';
import { eventually } from '../helpers/eventually';
import { graphql } from '../helpers/graphql';
import { LoadShedder } from '../../gateway/inference/load-shedding';

const MODEL = 'dragonfly/sim-chat';

describe('load shedding', () => {
  it('gives each account at most its share, released once', () => {
    const shedder = new LoadShedder(8, undefined, 2);
    const a1 = shedder.enterAccount('a') as () => void;
    const a2 = shedder.enterAccount('a') as () => void;
    const refused = shedder.enterAccount('a');
    expect(typeof refused).toBe('object');
    expect((refused as { status: number }).status).toBe(429);
    expect(typeof shedder.enterAccount('b')).toBe('function');
    a1();
    a1(); // a second release gives nothing back twice
    expect(typeof shedder.enterAccount('a')).toBe('function');
    expect(typeof shedder.enterAccount('a')).toBe('object');
    a2();
    expect(shedder.shed).toBe(2);
  });

  it('refuses past the in-flight cap and when the event loop is saturated, and recovers at once', () => {
    let pressure = false;
    const shedder = new LoadShedder(2, () => pressure);
    expect(shedder.enter()).toBeNull();
    expect(shedder.enter()).toBeNull();
    const full = shedder.enter()!;
    expect(full.status).toBe(503);
    expect(full.body().error).toMatchObject({ type: 'api_error', code: 'overloaded' });
    expect(full.headers['retry-after']).toBe('1');
    shedder.leave();
    expect(shedder.enter()).toBeNull();
    shedder.leave();
    shedder.leave();
    pressure = true;
    expect(shedder.enter()?.message).toContain('event loop');
    pressure = false;
    expect(shedder.enter()).toBeNull();
    expect(shedder.shed).toBe(2);
    expect(shedder.active).toBe(1);
  });
});

describe('an overloaded gateway', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let buyer: Awaited<ReturnType<typeof fundedBuyer>>;
  let flooder: Awaited<ReturnType<typeof fundedBuyer>>;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-busy'] });
    stack = await startEmbeddedStack({
      SIMULATOR_URL: sim.url,
      CONTRACT_CHECK_INTERVAL_MS: '0',
      DATA_PLANE_MAX_IN_FLIGHT: '3',
      DATA_PLANE_MAX_IN_FLIGHT_PER_ACCOUNT: '2',
    });
    const seller = await signup(stack.url, 'seller-busy');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: await poolKey(stack.url, seller.jwt, 'sk-sim-busy'),
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    buyer = await fundedBuyer(stack.url, '5');
    flooder = await fundedBuyer(stack.url, '5');
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const post = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const inFlight = async () => Number(/^inference_requests_in_flight (\d+)/m.exec(await (await fetch(`${stack.url}/metrics`)).text())?.[1]);
  const shedTotal = async () =>
    Number(/^inference_requests_shed_total (\d+)/m.exec(await (await fetch(`${stack.url}/metrics`)).text())?.[1]);

  it('answers one account’s flood 429 and leaves the others their share; past capacity 503 at once, nothing sent upstream or charged; serves again when the load drops', async () => {
    const balance = async () =>
      (await graphql<{ me: { balance: { micros: number } } }, unknown>(stack.url, `{ me { balance { micros } } }`, {}, buyer.jwt)).data!.me
        .balance.micros;
    const before = await balance();
    const upstreamBefore = sim.requestCount();
    sim.setKeyFaults('sk-sim-busy', { latencyMs: 60_000 });
    const held: AbortController[] = [];
    try {
      const slow = (key: string) => {
        const abort = new AbortController();
        held.push(abort);
        void fetch(`${stack.url}/v1/chat/completions`, {
          method: 'POST',
          signal: abort.signal,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'slow' }], max_tokens: 4 }),
        }).catch(() => null);
      };
      // The flooder takes its share (2 of the 3 slots) with slow requests; its next one is its own 429.
      slow(flooder.key);
      slow(flooder.key);
      await eventually(async () => expect(await inFlight()).toBe(2));
      const own = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${flooder.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'more' }], max_tokens: 4 }),
      });
      expect(own.status).toBe(429);
      expect(own.headers.get('retry-after')).toBe('1');
      expect((await own.json()).error.metadata).toMatchObject({ limit_scope: 'account', limit: 'in_flight', limit_value: 2 });
      // Another buyer still gets in: the last slot is its.
      slow(buyer.key);
      await eventually(async () => expect(await inFlight()).toBe(3));
      await eventually(() => expect(sim.requestCount()).toBe(upstreamBefore + 3));
      const seenUpstream = sim.requestCount();

      const refused = await post('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'third' }], max_tokens: 4 });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await refused.json()).error).toMatchObject({ type: 'api_error', code: 'overloaded' });
      // Anthropic's clients get their own overload answer.
      const messages = await post(
        '/v1/messages',
        { model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'third' }] },
        { 'anthropic-version': '2023-06-01' },
      );
      expect(messages.status).toBe(529);
      expect((await messages.json()).error.type).toBe('overloaded_error');
      expect(await shedTotal()).toBeGreaterThanOrEqual(3);
      expect(sim.requestCount()).toBe(seenUpstream);
    } finally {
      // The load drops (the slow requests end).
      for (const abort of held) abort.abort();
      sim.setKeyFaults('sk-sim-busy', null);
    }
    // Served at once again.
    await eventually(async () => expect(await inFlight()).toBe(0));
    const served = await post('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'after' }], max_tokens: 4 });
    expect(served.status).toBe(200);
    await served.text();
    const cost = await eventually(async () => {
      const record = await graphql<{ generation: { cost: { micros: number } } | null }, unknown>(
        stack.url,
        `query ($id: ID!) { generation(id: $id) { cost { micros } } }`,
        { id: served.headers.get('x-request-id')! },
        buyer.jwt,
      );
      if (!record.data?.generation) throw new Error('not recorded yet');
      return record.data.generation.cost.micros;
    });
    // The refused requests cost nothing: the balance moves by exactly the served one (the aborted one never answered).
    await eventually(async () => expect(await balance()).toBe(before - cost));
    await expectLedgerBalanced(stack);
  });
});
