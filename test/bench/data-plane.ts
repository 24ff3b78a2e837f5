// Data-plane benchmarks (issue 6), each process separate so that RSS is the gateway's own:
// the simulator, the embedded product (`gateway/main.ts`), a bare pass-through proxy, and the
// Portkey gateway, all on loopback.
import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { fixedRate, percentile, rssMiB, spawnProcess, stream, type Shot } from './load';
import { InferenceRequest } from '../../gateway/inference/request';
import { parse } from '../../gateway/inference/parse';
import { billUsage, DEFAULT_METERING } from '../../gateway/inference/metering';
import { collectCompletionText } from '../../gateway/inference/tokens';

type Figure = { min: number; median: number; max: number };
const round3 = (n: number) => Math.round(n * 1000) / 1000;
const figure = (values: number[]): Figure => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: round3(sorted[0]), median: round3(sorted[Math.floor(sorted.length / 2)]), max: round3(sorted[sorted.length - 1]) };
};
const POOL_KEY = 'sk-sim-bench-key';
const MODEL = 'bench/sim-chat';

function throughput(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections: 64, duration: 8 },
      (error, result) =>
        error ? reject(error) : resolve(result.non2xx + result.errors > result.requests.total / 100 ? NaN : result.requests.average),
    );
  });
}

/**
 * What metering adds per request, in process (µs): the parse stage (validation, the o200k prompt
 * count, one serialisation) and the completion count and usage check, for the benchmark's own
 * non-streaming and streaming requests with their replies. Per-request samples, p50 and p99.
 */
function meteringCost(): Record<string, Figure> {
  const measure = (body: Record<string, unknown>, reply: string[]) => {
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const started = performance.now();
      const request = new InferenceRequest('bench', 'chat', body, new Date(0), '127.0.0.1');
      parse(request);
      for (const text of reply) collectCompletionText({ content: text }, request.delivered.list(0));
      billUsage(
        {
          reported: { prompt_tokens: request.countedPrompt, completion_tokens: reply.length },
          countedPrompt: request.countedPrompt,
          countedCompletion: request.delivered.tokens(),
          maxCompletion: request.maxCompletion,
          cancelled: false,
        },
        DEFAULT_METERING,
      );
      samples.push((performance.now() - started) * 1000);
    }
    samples.splice(0, 2_000); // JIT warm-up
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  };
  const words = (n: number) => Array.from({ length: n }, (_, i) => ` word${i % 7}`);
  const plain = [0, 1, 2].map(() =>
    measure({ model: MODEL, messages: [{ role: 'user', content: 'benchmark' }], max_tokens: 16 }, [words(16).join('')]),
  );
  const streamed = [0, 1, 2].map(() =>
    measure({ model: MODEL, messages: [{ role: 'user', content: 'stream' }], max_tokens: 64, stream: true }, words(64)),
  );
  return {
    'dataplane.meteringUs.p50 (non-streaming, 16-token reply)': figure(plain.map((m) => m.p50)),
    'dataplane.meteringUs.p99 (non-streaming, 16-token reply)': figure(plain.map((m) => m.p99)),
    'dataplane.meteringUs.p50 (streaming, 64 chunks)': figure(streamed.map((m) => m.p50)),
    'dataplane.meteringUs.p99 (streaming, 64 chunks)': figure(streamed.map((m) => m.p99)),
  };
}

export async function dataPlaneScenario(rounds: number): Promise<Record<string, unknown>> {
  const children: ChildProcess[] = [];
  try {
    const sim = await spawnProcess(['gateway/simulator/main.ts', '--port', '0'], {}, /simulator ready at (\S+)/);
    children.push(sim.child);
    const simUrl = sim.match[1];
    const simRoot = simUrl.replace(/\/v1$/, '');
    const setFaults = (faults: Record<string, unknown>) =>
      fetch(`${simRoot}/_simulator/keys/${POOL_KEY}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });

    const product = await spawnProcess(
      ['gateway/main.ts'],
      {
        PORT: '0',
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'df-bench-')),
        SIMULATOR_URL: simUrl,
        CONTRACT_CHECK_INTERVAL_MS: '0',
        PLATFORM_SECRET: randomBytes(32).toString('hex'),
        SCRYPT_COST: '1024',
        NODE_ENV: 'production',
        // Production defaults, except what a benchmark on loopback needs: sandbox money and the loopback simulator.
        SANDBOX_TOPUPS: 'true',
        MAX_TOPUP_USD_PER_DAY: '1000000',
        OUTBOUND_ALLOW_PRIVATE: 'true',
        METRICS_TOKEN: randomBytes(16).toString('hex'),
      },
      /GraphQL\s+(\S+)\/graphql/,
    );
    children.push(product.child);
    const gatewayUrl = product.match[1];
    const seller = await signup(gatewayUrl, 'bench-seller');
    const key = await poolKey(gatewayUrl, seller.jwt, POOL_KEY);
    await admittedListing(gatewayUrl, seller.jwt, {
      poolKeyId: key,
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.01',
      outputPricePerMTok: '0.01',
    });
    const buyer = await fundedBuyer(gatewayUrl, '10000');
    // Admission needed real (spaced) streaming; the latency runs want an instant upstream.
    await setFaults({ ttftMs: 0, chunkDelayMs: 0, latencyMs: 0 });

    const bare = await spawnProcess(['test/bench/bare-proxy.ts', '0', simUrl], {}, /bare proxy ready at (\S+)/);
    children.push(bare.child);
    const portkeyPort = 20000 + Math.floor(Math.random() * 20000);
    const portkey = await spawnProcess(
      [path.join('node_modules/@portkey-ai/gateway/build/start-server.js'), `--port=${portkeyPort}`],
      {},
      /localhost:\d+/,
      false,
    ).catch(() => null);
    if (portkey) children.push(portkey.child);

    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'benchmark' }], max_tokens: 16 });
    const directBody = JSON.stringify({ model: 'sim-chat', messages: [{ role: 'user', content: 'benchmark' }], max_tokens: 16 });
    const viaGateway: Shot = { url: `${gatewayUrl}/v1/chat/completions`, headers: { authorization: `Bearer ${buyer.key}` }, body };
    const direct: Shot = { url: `${simUrl}/chat/completions`, headers: { authorization: `Bearer ${POOL_KEY}` }, body: directBody };

    // Warm up both paths (JIT, snapshot and routing caches, keep-alive sockets).
    await fixedRate(viaGateway, 500, 2);
    await fixedRate(direct, 500, 2);

    const added = (rate: number) => async () => {
      const p50: number[] = [];
      const p99: number[] = [];
      let failed = 0;
      const shedShare: number[] = [];
      const shedP99: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const d = await fixedRate(direct, rate, 5);
        const g = await fixedRate(viaGateway, rate, 5);
        failed += d.errors + g.errors;
        // Overload answered as fast 503s (load shedding), apart from the other failures.
        shedShare.push(g.shed.length / (rate * 5));
        if (g.shed.length > 0) shedP99.push(percentile(g.shed, 99));
        p50.push(percentile(g.latencies, 50) - percentile(d.latencies, 50));
        p99.push(percentile(g.latencies, 99) - percentile(d.latencies, 99));
      }
      return { p50, p99, failed, shedShare, shedP99 };
    };
    // The budget's rate, and a rate this 2-core machine sustains with the whole product in one process.
    const at1000 = await added(1000)();
    const at200 = await added(200)();
    let errors = at200.failed;

    const full: number[] = [];
    const bareRps: number[] = [];
    const portkeyRps: number[] = [];
    for (let round = 0; round < rounds; round++) {
      full.push(await throughput(`${gatewayUrl}/v1/chat/completions`, { authorization: `Bearer ${buyer.key}` }, body));
      bareRps.push(await throughput(`${bare.match[1]}/chat/completions`, { authorization: `Bearer ${POOL_KEY}` }, directBody));
      if (portkey)
        portkeyRps.push(
          await throughput(
            `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
            { authorization: `Bearer ${POOL_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': simUrl },
            directBody,
          ),
        );
    }

    // Streaming: 64 chunks, 20 ms apart.
    await setFaults({ ttftMs: 20, chunkDelayMs: 20, latencyMs: 0 });
    const streamBody = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'stream' }], max_tokens: 64, stream: true });
    const directStreamBody = JSON.stringify({
      model: 'sim-chat',
      messages: [{ role: 'user', content: 'stream' }],
      max_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    });
    const ttftAdded: number[] = [];
    const perChunkAdded: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const g = await Promise.all(Array.from({ length: 20 }, () => stream({ ...viaGateway, body: streamBody })));
      const d = await Promise.all(Array.from({ length: 20 }, () => stream({ ...direct, body: directStreamBody })));
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      ttftAdded.push(median(g.map((s) => s.ttft)) - median(d.map((s) => s.ttft)));
      perChunkAdded.push((median(g.map((s) => s.total - s.ttft)) - median(d.map((s) => s.total - s.ttft))) / 64);
    }

    // 1,000 concurrent streams: the gateway's peak resident memory.
    const pid = product.child.pid!;
    const rssBefore = rssMiB(pid);
    const peaks: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
      const results = await Promise.allSettled(Array.from({ length: 1000 }, () => stream({ ...viaGateway, body: streamBody })));
      clearInterval(sampler);
      peaks.push(peak);
      errors += results.filter((r) => r.status === 'rejected').length;
    }

    return {
      ...meteringCost(),
      'dataplane.addedLatencyMs.p50 (1k req/s, non-streaming)': figure(at1000.p50),
      'dataplane.addedLatencyMs.p99 (1k req/s, non-streaming)': figure(at1000.p99),
      'dataplane.failedRequests (1k req/s)': at1000.failed,
      'dataplane.overload.shedShare (1k req/s, 503 overloaded)': figure(at1000.shedShare),
      'dataplane.overload.shedAnswerP99Ms (1k req/s)': at1000.shedP99.length ? figure(at1000.shedP99) : 'none shed',
      'dataplane.addedLatencyMs.p50 (200 req/s, non-streaming)': figure(at200.p50),
      'dataplane.addedLatencyMs.p99 (200 req/s, non-streaming)': figure(at200.p99),
      'dataplane.throughput.fullPath.reqPerSec': figure(full),
      'dataplane.throughput.bareProxy.reqPerSec': figure(bareRps),
      'dataplane.throughput.portkey.reqPerSec': portkeyRps.length ? figure(portkeyRps) : 'not run (Portkey gateway did not start)',
      'dataplane.throughput.fullPathShareOfBare': round3(figure(full).median / figure(bareRps).median),
      'dataplane.streaming.addedTtftMs (64 chunks, 20 ms apart)': figure(ttftAdded),
      'dataplane.streaming.addedPerChunkMs': figure(perChunkAdded),
      'dataplane.streams1000.gatewayPeakRssMiB': figure(peaks),
      'dataplane.gatewayIdleRssMiB': rssBefore,
      'dataplane.errors': errors,
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}
