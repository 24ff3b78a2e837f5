// Federation benchmark: one public query across three subgraphs (network's job feed → market's
// Listing → accounts' Account) through our gateway and through Hive Gateway, in the same run, on
// the same four subgraph processes and the same supergraph (schema/supergraph.graphql). Each
// subgraph runs as `npm run start:subgraph -- <name>` runs it (SQLite files in one DATA_DIR,
// in-memory bus), our gateway as `npm run start:gateway` (`gateway/main.ts --gateway-only`), Hive
// Gateway from test/bench/hive-gateway.ts (its programmatic runtime on node:http), every one its
// own process started with `node --import tsx`. Hive runs twice: as it ships, and with its
// in-flight deduplication of identical subgraph fetches off (the like-for-like comparison: every
// query then pays for its own subgraph fetches, as with our gateway).
import { pino } from 'pino';
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { CreateListingDocument } from '../../schema/generated/graphql';
import { createBus } from '../../subgraphs/common/bus';
import { loadConfig, SUBGRAPH_NAMES } from '../../subgraphs/common/config';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { systemClock, uuidIds } from '../../subgraphs/common/runtime';
import { subgraphModules } from '../../subgraphs';
import { graphql } from '../helpers/graphql';
import { signup } from '../helpers/credentials';
import { ROOT } from './load';

type Figure = { min: number; median: number; max: number };
const round2 = (n: number) => Math.round(n * 100) / 100;
const figure = (values: number[]): Figure => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: round2(sorted[0]), median: round2(sorted[Math.floor(sorted.length / 2)]), max: round2(sorted[sorted.length - 1]) };
};

/** network (jobFeed) → market (Listing by reference) → accounts (Account by reference). */
export const FEDERATED_JOB_FEED = `query FederatedJobFeed($limit: Int!) {
  jobFeed(limit: $limit) {
    id
    pipeline
    model
    status
    startedAt
    latencyMs
    durationSeconds
    gateway
    orchestrator {
      id
      model
      capability
      status
      createdAt
      inputPricePerMTok { usd }
      outputPricePerMTok { usd }
      paused
      seller {
        id
        name
        createdAt
      }
    }
  }
}`;
const FEED_LIMIT = 50;
const SELLERS = 5;
const LISTINGS_PER_SELLER = 2;
const JOBS = 60;
const CONNECTIONS = 16;
const DURATION_S = 8;
/** Hive Gateway's per-subgraph fetch counters (served by test/bench/hive-gateway.ts). */
const FETCH_COUNTS_PATH = '/_bench/subgraph-fetches';

interface Child {
  name: string;
  child: ChildProcess;
  /** The last output (for error messages); output keeps being read so the pipe never blocks. */
  tail(): string;
}

/**
 * `node --import tsx <args>` (as tsx runs the npm scripts, without tsx's wrapper process), ready
 * when `ready` matches its output. The process joins `procs` at once, so it is stopped whatever happens.
 */
function start(
  procs: Child[],
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ proc: Child; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let matched = false;
  const proc: Child = { name, child, tail: () => output.slice(-4000) };
  procs.push(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out starting ${name}:\n${proc.tail()}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-16_000);
      if (matched) return;
      const match = output.match(ready);
      if (match) {
        matched = true;
        clearTimeout(timer);
        resolve({ proc, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!matched) reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${proc.tail()}`));
    });
  });
}

async function stop(proc: Child): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function load(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));
}

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, text: await response.text() };
}

/** Our gateway's per-subgraph fetch counters (GET /metrics, `graphql_subgraph_fetches_total`). */
async function ourFetchCounts(baseUrl: string, token: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const counts: Record<string, number> = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0]));
  for (const match of text.matchAll(/^graphql_subgraph_fetches_total\{([^}]*)\}\s+(\d+)/gm)) {
    const subgraph = /subgraph="([^"]+)"/.exec(match[1])?.[1];
    if (subgraph) counts[subgraph] = (counts[subgraph] ?? 0) + Number(match[2]);
  }
  return counts;
}

async function hiveFetchCounts(graphqlUrl: string): Promise<Record<string, number>> {
  return (await fetch(new URL(FETCH_COUNTS_PATH, graphqlUrl))).json() as Promise<Record<string, number>>;
}

/** CPU time (user + system) a process has used so far, in ms (/proc counts in USER_HZ = 100 ticks a second). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Where two texts first differ, with a little context from each. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at ${i}: ours …${a.slice(Math.max(0, i - 20), i + 40)}… hive …${b.slice(Math.max(0, i - 20), i + 40)}…`;
}

const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));

/** Job events into the network subgraph's own store, through its own bus consumer (JobRecorder). */
async function seedJobs(env: NodeJS.ProcessEnv, events: JobFinishedEvent[]): Promise<void> {
  // A second network instance on the same SQLite file (WAL: the running network process reads
  // what it writes), fed on its own in-memory bus exactly as the gateway's data plane feeds it.
  const config = loadConfig(env);
  const bus = createBus(undefined, config.busNamespace);
  const network = await subgraphModules.network.create({ config, bus, clock: systemClock, ids: uuidIds, log: pino({ level: 'silent' }) });
  try {
    await network.start?.();
    for (const event of events) await bus.publish('job.finished', event);
    await new Promise((r) => setTimeout(r, 50)); // the bus delivers on a later tick
  } finally {
    await network.stop?.(); // flushes the recorder's last batch
    await network.db.close();
    await bus.close();
  }
}

export async function federationScenario(rounds: number): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'df-bench-federation-'));
  const metricsToken = randomBytes(16).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    DATABASE_URL: '', // SQLite files in DATA_DIR
    BUS_URL: '', // in-memory bus
    BUS_NAMESPACE: `bench${randomBytes(4).toString('hex')}`,
    PLATFORM_SECRET: randomBytes(32).toString('hex'),
    SCRYPT_COST: '1024',
    HOST: '127.0.0.1',
    PORT: '0',
    NODE_ENV: 'production',
    CONTRACT_CHECK_INTERVAL_MS: '0',
    METRICS_TOKEN: metricsToken,
    // Both gateways and the subgraphs log warnings and errors only: no per-request log line on
    // either side (Hive Gateway writes none by default; ours writes one at info).
    LOG_LEVEL: 'warn',
    APOLLO_TELEMETRY_DISABLED: '1',
    DEMO: 'off',
  };
  const procs: Child[] = [];
  const killAll = () => procs.forEach((p) => p.child.exitCode === null && p.child.kill('SIGKILL'));
  process.once('exit', killAll); // a crash of the benchmark leaves no process behind
  try {
    const subgraphs = await Promise.all(
      SUBGRAPH_NAMES.map((name) =>
        start(procs, `subgraph ${name}`, ['subgraphs/main.ts', name], env, new RegExp(`subgraph ${name} ready at (\\S+)`)),
      ),
    );
    const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name, i) => [`${name.toUpperCase()}_URL`, subgraphs[i].match[1]]));
    // Hive Gateway twice: as it ships (identical subgraph fetches in flight at the same time are
    // made once and shared), and with that off, so that every query costs its own subgraph fetches
    // as with our gateway.
    const [ours, hive, hiveNoDedupe] = await Promise.all([
      start(
        procs,
        'our gateway',
        ['gateway/main.ts', '--gateway-only'],
        { ...env, ...urls, GATEWAY_NAME: 'gateway-1' },
        /GraphQL\s+(\S+)\/graphql/,
      ),
      start(procs, 'hive gateway', ['test/bench/hive-gateway.ts'], { ...env, ...urls, FETCH_COUNTS_PATH }, /hive gateway ready at (\S+)/),
      start(
        procs,
        'hive gateway (no in-flight dedupe)',
        ['test/bench/hive-gateway.ts'],
        { ...env, ...urls, FETCH_COUNTS_PATH, HIVE_DEDUPLICATE_INFLIGHT: 'false' },
        /hive gateway ready at (\S+)/,
      ),
    ]);
    const ourBase = ours.match[1];
    const gateways = {
      ours: { url: `${ourBase}/graphql`, proc: ours.proc, fetchCounts: () => ourFetchCounts(ourBase, metricsToken) },
      hive: { url: hive.match[1], proc: hive.proc, fetchCounts: () => hiveFetchCounts(hive.match[1]) },
      hiveNoDedupe: { url: hiveNoDedupe.match[1], proc: hiveNoDedupe.proc, fetchCounts: () => hiveFetchCounts(hiveNoDedupe.match[1]) },
    };
    type Who = keyof typeof gateways;
    const WHO = Object.keys(gateways) as Who[];

    // Supply: 5 sellers with 2 listings each (market), through our gateway as a dashboard would.
    const listings: { id: string; model: string; sellerId: string }[] = [];
    for (let s = 0; s < SELLERS; s++) {
      const seller = await signup(ourBase, `fed-seller-${s}`);
      for (let l = 0; l < LISTINGS_PER_SELLER; l++) {
        const model = `bench/fed-${s}-${l}`;
        const created = await graphql(
          ourBase,
          CreateListingDocument,
          { input: { model, inputPricePerMTok: '0.5', outputPricePerMTok: '1.5' } },
          seller.jwt,
        );
        if (!created.data) throw new Error(`listing failed: ${JSON.stringify(created.errors)}`);
        listings.push({ id: created.data.createListing.id, model, sellerId: seller.accountId });
      }
    }
    // Traffic: finished jobs served by those listings (network).
    const now = Date.now();
    await seedJobs(
      env,
      Array.from({ length: JOBS }, (_, i) => {
        const listing = listings[i % listings.length];
        const startedAt = now - 60_000 - i * 1000;
        return {
          id: `fed-job-${i}`,
          pipeline: 'llm',
          model: listing.model,
          status: i % 10 === 9 ? 'failed' : 'completed',
          startedAt: new Date(startedAt).toISOString(),
          finishedAt: new Date(startedAt + 1200 + i).toISOString(),
          latencyMs: 1200 + i,
          timeToFirstTokenMs: 40,
          outputUnits: 32,
          listingId: listing.id,
          sellerId: listing.sellerId,
          gateway: 'gateway-1',
          costMicros: 900,
        };
      }),
    );

    // Correctness, before anything is timed: every gateway gives the same, complete answer, and
    // reaches network, market and accounts for it (each gateway's own count of subgraph fetches).
    const body = JSON.stringify({ query: FEDERATED_JOB_FEED, variables: { limit: FEED_LIMIT }, operationName: 'FederatedJobFeed' });
    const answers = {} as Record<
      Who,
      {
        status: number;
        text: string;
        json: { data?: { jobFeed?: { orchestrator: { seller: { name: string } | null } | null }[] }; errors?: unknown };
      }
    >;
    const fetchesPerQuery = {} as Record<Who, Record<string, number>>;
    for (const who of WHO) {
      const before = await gateways[who].fetchCounts();
      const answer = await post(gateways[who].url, body);
      fetchesPerQuery[who] = delta(await gateways[who].fetchCounts(), before);
      let json;
      try {
        json = JSON.parse(answer.text);
      } catch {
        throw new Error(`${who}: ${answer.status} ${answer.text.slice(0, 2000)}`);
      }
      if (answer.status !== 200 || json.errors) throw new Error(`${who}: ${answer.status} ${answer.text.slice(0, 2000)}`);
      const feed = json.data?.jobFeed as { orchestrator: { seller: { name: string } | null } | null }[] | undefined;
      if (feed?.length !== FEED_LIMIT || feed.some((job) => !job.orchestrator?.seller?.name))
        throw new Error(`${who}: incomplete job feed: ${answer.text.slice(0, 2000)}`);
      const counts = fetchesPerQuery[who];
      if (!(counts.network > 0 && counts.market > 0 && counts.accounts > 0))
        throw new Error(`${who} did not reach network, market and accounts: ${JSON.stringify(counts)}`);
      answers[who] = { ...answer, json };
    }
    for (const who of WHO) {
      if (!isDeepStrictEqual(answers[who].json, answers.ours.json))
        throw new Error(`the gateways disagree:\nours ${answers.ours.text.slice(0, 2000)}\n${who} ${answers[who].text.slice(0, 2000)}`);
    }

    // Load: the same request, connections and duration on each; every answer must be byte-equal
    // to the one checked above (autocannon counts any other as a mismatch). Each round rotates
    // which gateway goes first, so that drift on a busy machine favours none of them.
    const request = (who: Who) => ({
      url: gateways[who].url,
      method: 'POST' as const,
      body,
      headers: { 'content-type': 'application/json' },
      expectBody: answers[who].text,
    });
    for (const who of WHO) await load({ ...request(who), connections: 4, duration: 3 }); // warm-up: plans, JIT, keep-alive
    const subgraphPids = subgraphs.map((s) => s.proc.child.pid!);
    const subgraphsCpu = () => subgraphPids.reduce((sum, pid) => sum + cpuMs(pid), 0);
    const figures = Object.fromEntries(
      WHO.map((who) => [
        who,
        {
          rps: [] as number[],
          p50: [] as number[],
          p99: [] as number[],
          gatewayCpu: [] as number[],
          subgraphCpu: [] as number[],
          fetches: [] as number[],
          failed: 0,
        },
      ]),
    ) as Record<
      Who,
      { rps: number[]; p50: number[]; p99: number[]; gatewayCpu: number[]; subgraphCpu: number[]; fetches: number[]; failed: number }
    >;
    for (let round = 0; round < rounds; round++) {
      for (const who of [...WHO.slice(round % WHO.length), ...WHO.slice(0, round % WHO.length)]) {
        const pid = gateways[who].proc.child.pid!;
        const fetchesBefore = await gateways[who].fetchCounts();
        const cpuBefore = { gateway: cpuMs(pid), subgraphs: subgraphsCpu() };
        const result = await load({ ...request(who), connections: CONNECTIONS, duration: DURATION_S });
        const answered = Math.max(1, result.requests.total);
        const f = figures[who];
        f.gatewayCpu.push((cpuMs(pid) - cpuBefore.gateway) / answered);
        f.subgraphCpu.push((subgraphsCpu() - cpuBefore.subgraphs) / answered);
        f.fetches.push(Object.values(delta(await gateways[who].fetchCounts(), fetchesBefore)).reduce((a, b) => a + b, 0) / answered);
        f.rps.push(result.requests.average);
        f.p50.push(result.latency.p50);
        f.p99.push(result.latency.p99);
        f.failed += result.errors + result.timeouts + result.non2xx + result.mismatches;
      }
    }
    const label = `${CONNECTIONS} connections, ${DURATION_S} s`;
    const results: Record<string, unknown> = {
      'federation.query': `jobFeed(limit: ${FEED_LIMIT}) → orchestrator (listing) → seller (network → market → accounts)`,
      'federation.answersIdentical': WHO.every((who) => answers[who].text === answers.ours.text)
        ? 'yes (byte-equal)'
        : WHO.every((who) => answers[who].text.trimEnd() === answers.ours.text.trimEnd())
          ? 'yes (byte-equal but for a trailing newline)'
          : `yes (equal JSON; the bytes differ ${firstDifference(answers.ours.text, answers.hive.text)})`,
    };
    for (const who of WHO) {
      const f = figures[who];
      Object.assign(results, {
        [`federation.${who}.subgraphFetchesPerQuery`]: fetchesPerQuery[who],
        [`federation.${who}.reqPerSec (${label})`]: figure(f.rps),
        [`federation.${who}.p50Ms`]: figure(f.p50),
        [`federation.${who}.p99Ms`]: figure(f.p99),
        [`federation.${who}.gatewayCpuMsPerQuery`]: figure(f.gatewayCpu),
        [`federation.${who}.subgraphsCpuMsPerQuery (all four)`]: figure(f.subgraphCpu),
        [`federation.${who}.subgraphFetchesPerQueryUnderLoad`]: figure(f.fetches),
        [`federation.${who}.failed (errors, non-2xx, wrong bodies)`]: f.failed,
      });
    }
    results['federation.ours/hive.reqPerSec (medians)'] = round2(figure(figures.ours.rps).median / figure(figures.hive.rps).median);
    results['federation.ours/hiveNoDedupe.reqPerSec (medians)'] = round2(
      figure(figures.ours.rps).median / figure(figures.hiveNoDedupe.rps).median,
    );
    return results;
  } finally {
    await Promise.allSettled([...procs].reverse().map(stop));
    process.off('exit', killAll);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
