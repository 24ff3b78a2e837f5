// Job feed fan-out (issue 7): 2,000 graphql-ws subscribers on one gateway process while real
// requests (200 a second through the data plane) finish as jobs. Delay = a job's arrival at a
// subscriber minus the moment its request's answer reached the client (when the gateway publishes it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { print } from 'graphql';
import { LiveJobFeedDocument } from '../../schema/generated/graphql';
import WebSocket from 'ws';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { percentile, rssMiB, spawnProcess } from './load';

export async function jobFeedScenario(subscribers = 2000, jobsPerSecond = 200, seconds = 10): Promise<Record<string, unknown>> {
  const children: ChildProcess[] = [];
  const metricsToken = randomBytes(16).toString('hex');
  const sockets: WebSocket[] = [];
  try {
    const sim = await spawnProcess(['gateway/simulator/main.ts', '--port', '0'], {}, /simulator ready at (\S+)/);
    children.push(sim.child);
    const product = await spawnProcess(
      ['gateway/main.ts'],
      {
        PORT: '0',
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'df-bench-feed-')),
        SIMULATOR_URL: sim.match[1],
        CONTRACT_CHECK_INTERVAL_MS: '0',
        PLATFORM_SECRET: randomBytes(32).toString('hex'),
        SCRYPT_COST: '1024',
        NODE_ENV: 'production',
        // Production defaults, except what a benchmark on loopback needs: sandbox money and the loopback simulator.
        SANDBOX_TOPUPS: 'true',
        MAX_TOPUP_USD_PER_DAY: '1000000',
        OUTBOUND_ALLOW_PRIVATE: 'true',
        DEMO: 'off',
        METRICS_TOKEN: metricsToken,
        // Every subscriber here connects from loopback: lift the per-address caps for the run.
        SUBSCRIPTIONS_MAX_PER_ACCOUNT: String(subscribers + 10),
        SUBSCRIPTIONS_MAX_TOTAL: String(2 * subscribers + 100),
        WS_MAX_CONNECTIONS_PER_ADDRESS: String(subscribers + 10),
      },
      /GraphQL\s+(\S+)\/graphql/,
      true,
      process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [],
    );
    children.push(product.child);
    const url = product.match[1];
    const seller = await signup(url, 'feed-seller');
    const key = await poolKey(url, seller.jwt, 'sk-sim-feed-bench');
    await admittedListing(url, seller.jwt, {
      poolKeyId: key,
      model: 'bench/feed-chat',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.01',
      outputPricePerMTok: '0.01',
    });
    await fetch(`${sim.match[1].replace(/\/v1$/, '')}/_simulator/keys/sk-sim-feed-bench/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ttftMs: 0, chunkDelayMs: 0 }),
    });
    const buyer = await fundedBuyer(url, '1000');

    const finishedAt = new Map<string, number>();
    const delays: number[] = [];
    let received = 0;
    let subscribed = 0;
    // Per subscriber: events received, and events the gateway said it dropped for it.
    const receivedBy = new Array<number>(subscribers).fill(0);
    const toldDroppedBy = new Array<number>(subscribers).fill(0);
    const query = print(LiveJobFeedDocument);
    // Subscribers speak graphql-transport-ws directly over ws and read only the job id of each
    // frame: a full client parsing 400,000 frames a second would be the bottleneck on this
    // machine, and the figure wanted is the gateway's delivery delay, not the client's parsing.
    const subscribeFrame = JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { pipeline: 'llm' } } });
    for (let i = 0; i < subscribers; i++) {
      const subscriber = i;
      const socket = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
      sockets.push(socket);
      socket.on('open', () => socket.send('{"type":"connection_init","payload":{}}'));
      socket.on('message', (data: Buffer) => {
        const text = data.toString();
        const id = /"jobFeed":\{"id":"([^"]+)"/.exec(text)?.[1];
        if (id) {
          received++;
          receivedBy[subscriber]++;
          const dropped = /"droppedEvents":(\d+)/.exec(text)?.[1];
          if (dropped) toldDroppedBy[subscriber] += Number(dropped);
          const done = finishedAt.get(id);
          if (done !== undefined) delays.push(performance.now() - done);
        } else if (text.includes('"connection_ack"')) {
          socket.send(subscribeFrame);
          subscribed++;
        }
      });
      socket.on('error', () => {});
    }
    await new Promise((r) => setTimeout(r, 3000)); // let every connection subscribe
    const body = JSON.stringify({ model: 'bench/feed-chat', messages: [{ role: 'user', content: 'feed' }], max_tokens: 4 });
    const shot = { url: `${url}/v1/chat/completions`, headers: { authorization: `Bearer ${buyer.key}` }, body };
    const started = performance.now();
    const total = jobsPerSecond * seconds;
    let sent = 0;
    let refused = 0;
    const pending: Promise<void>[] = [];
    let rssPeak = 0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(product.child.pid!))), 100);
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / jobsPerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        (async () => {
          const response = await fetch(shot.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...shot.headers },
            body,
          });
          await response.text();
          // Only a served request is a job; one the gateway shed (503 under overload) never is.
          if (response.status !== 200) {
            refused++;
            return;
          }
          const id = response.headers.get('x-request-id');
          if (id) finishedAt.set(id, performance.now());
          sent++;
        })().catch(() => {}),
      );
    }
    await Promise.all(pending);
    // Until deliveries stop arriving (a second without one; at most 60 s): an event still on its
    // way is late, not lost, and counts in the delays once it lands.
    for (let last = -1, deadline = performance.now() + 60_000; received !== last && performance.now() < deadline; ) {
      last = received;
      await new Promise((r) => setTimeout(r, 1000));
    }
    clearInterval(sampler);
    delays.sort((a, b) => a - b);
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const complete = receivedBy.filter((count) => count === sent).length;
    // A subscriber that lost events was told so; one with a gap it was not told of is a real loss.
    const untoldGaps = receivedBy.filter((count, i) => count + toldDroppedBy[i] < sent).length;
    return {
      'jobfeed.subscribers': subscribed,
      'jobfeed.jobsPublished': sent,
      'jobfeed.requestsRefused (shed under overload)': refused,
      'jobfeed.deliveries (expected subscribers × jobs)': `${received} / ${subscribers * sent}`,
      'jobfeed.delayMs.p50': Math.round(percentile(delays, 50) * 10) / 10,
      'jobfeed.delayMs.p99': Math.round(percentile(delays, 99) * 10) / 10,
      'jobfeed.gatewayPeakRssMiB': rssPeak,
      'jobfeed.subscribersWithEveryEvent': `${complete} / ${subscribers}`,
      'jobfeed.subscribersWithUntoldGaps': untoldGaps,
      'jobfeed.droppedEvents (metrics)': metric('graphql_subscription_events_dropped_total'),
      'jobfeed.droppingSubscribers (metrics)': metric('graphql_subscription_subscribers_dropped_total'),
    };
  } finally {
    for (const socket of sockets) socket.terminate();
    for (const child of children) child.kill('SIGTERM');
  }
}
