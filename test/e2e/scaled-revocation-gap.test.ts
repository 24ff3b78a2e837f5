// What is decided while Redis is cut is enforced moments after it returns, on every gateway replica
// (scaled, two replicas). Redis pub/sub does not replay, so an event published while a gateway's bus
// connection is cut never reaches it: at reconnection the gateway hears a gap and drops its key
// snapshots, routing tables and session states, rebases its balance counters and checks every open
// subscription's credential again. An event the publisher could not send is kept and sent when its
// connection returns. Each process group reaches Redis through its own TCP proxy, so the gateways,
// the subgraphs, or both can be cut. Every bound is one second after Redis is back (eventually()).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { LiveJobFeedDocument } from '../../schema/generated/graphql';
import { startSimulator } from '../../gateway/simulator/server';
import { startScaledStack, type TestStack } from '../helpers/stack';
import { HAVE_SCALED_SERVICES, TEST_REDIS_URL, logSkip } from '../helpers/config';
import { graphql, rest, wsClient } from '../helpers/graphql';
import { managementKey, signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { startTcpProxy, targetOf, type TcpProxy } from '../helpers/tcp-proxy';
import { eventually } from '../helpers/eventually';

if (!HAVE_SCALED_SERVICES)
  logSkip('decisions made during a Redis outage, enforced on every replica once it is back (scaled, two replicas)');

/** After Redis is back, every replica enforces what was decided meanwhile within this. */
const BOUND = { timeoutMs: 1_000, intervalMs: 25 };

describe.skipIf(!HAVE_SCALED_SERVICES)('scaled: decisions made while Redis was cut', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  /** The subgraphs' Redis connections, and the gateways'. */
  let subgraphRedis: TcpProxy;
  let gatewayRedis: TcpProxy;
  let stack: TestStack;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-gap'] });
    subgraphRedis = await startTcpProxy(targetOf(TEST_REDIS_URL!));
    gatewayRedis = await startTcpProxy(targetOf(TEST_REDIS_URL!));
    stack = await startScaledStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' }, 2, {
      bus: subgraphRedis,
      gatewayBus: gatewayRedis,
    });
    const seller = await signup(stack.url, 'seller');
    const key = await poolKey(stack.url, seller.jwt, 'sk-sim-gap');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'acme/gap-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    // $0.01 per output token: the 20 a request may take are more than a new account's $0.10 trial credit.
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: 'acme/gap-dear',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '10000',
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await Promise.allSettled([subgraphRedis?.close(), gatewayRedis?.close()]);
    await sim?.close();
  });

  const ask = (url: string, key: string, model = 'acme/gap-chat') =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: model === 'acme/gap-dear' ? 20 : 4 }),
    }).then(async (r) => (await r.text(), r.status));
  const everyReplica = (key: string, model?: string) => Promise.all(stack.gatewayUrls.map((url) => ask(url, key, model)));

  /** A key every replica has cached, revoked while `cut` are cut off from Redis; answers once they are back. */
  async function revokeWhileCut(cut: TcpProxy[]): Promise<string> {
    const buyer = await fundedBuyer(stack.url, '1');
    expect(await everyReplica(buyer.key)).toEqual([200, 200]);
    await Promise.all(cut.map((proxy) => proxy.stop()));
    // Stored by accounts (PostgreSQL is up); its event cannot reach the gateways now.
    const revoked = await rest(stack.url, 'DELETE', `/api/keys/${buyer.keyId}`, { token: buyer.jwt });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    await Promise.all(cut.map((proxy) => proxy.start()));
    return buyer.key;
  }

  it('a key revoked while Redis was cut for every process is refused on every replica within a second of its return', async () => {
    const key = await revokeWhileCut([subgraphRedis, gatewayRedis]);
    await eventually(async () => expect(await everyReplica(key)).toEqual([401, 401]), BOUND);
  }, 30_000);

  it('the same when only the gateways were cut (accounts published; the gateways missed it: the gap)', async () => {
    const key = await revokeWhileCut([gatewayRedis]);
    await eventually(async () => expect(await everyReplica(key)).toEqual([401, 401]), BOUND);
  }, 30_000);

  it('the same when only the subgraphs were cut (accounts could not publish: it sends the event when its connection returns)', async () => {
    const key = await revokeWhileCut([subgraphRedis]);
    await eventually(async () => expect(await everyReplica(key)).toEqual([401, 401]), BOUND);
  }, 30_000);

  it('a top-up made while the gateways were cut is spendable on every replica within a second (its balance.changed was lost)', async () => {
    const buyer = await fundedBuyer(stack.url, '0'); // the $0.10 trial credit only
    // Too dear for the balance: refused before it is sent, and the balance counter now exists.
    expect(await everyReplica(buyer.key, 'acme/gap-dear')).toEqual([402, 402]);
    await gatewayRedis.stop();
    const topUp = await rest(stack.url, 'POST', '/api/billing/topups', { token: buyer.jwt, body: { amount: 5 } });
    expect(topUp.status, JSON.stringify(topUp.body)).toBe(201);
    await gatewayRedis.start();
    await eventually(async () => expect(await everyReplica(buyer.key, 'acme/gap-dear')).toEqual([200, 200]), BOUND);
  }, 30_000);

  it('a subscription whose management key was disabled while the gateways were cut is closed (4403) on every replica within a second', async () => {
    const owner = await signup(stack.url, 'subscriber');
    const mk = await managementKey(stack.url, owner.jwt, 'FULL');
    const clients = stack.gatewayUrls.map((url) => {
      const client = wsClient(url, mk.rawKey);
      const closed: number[] = [];
      client.on('closed', (event: unknown) => closed.push((event as { code: number }).code));
      const opened = new Promise<void>((resolve) => client.on('connected', () => resolve()));
      client
        .iterate({ query: print(LiveJobFeedDocument), variables: {} })
        .next()
        .catch(() => {});
      return { client, closed, opened };
    });
    try {
      await Promise.all(clients.map((c) => c.opened));
      await gatewayRedis.stop();
      const disabled = await graphql(
        stack.url,
        'mutation ($id: ID!) { setManagementKeyEnabled(id: $id, enabled: false) { id } }',
        { id: mk.id },
        owner.jwt,
      );
      expect(disabled.errors, JSON.stringify(disabled.errors)).toBeUndefined();
      expect(clients.map((c) => c.closed)).toEqual([[], []]); // nobody told the gateways
      await gatewayRedis.start();
      await eventually(() => expect(clients.map((c) => c.closed)).toEqual([[4403], [4403]]), BOUND);
    } finally {
      await Promise.all(clients.map((c) => c.client.dispose()));
    }
  }, 30_000);
});
