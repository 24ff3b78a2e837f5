// `npm run bench`: benchmarks against a whole embedded stack on loopback. Each figure is min /
// median / max of 3 rounds. `--json` prints one JSON object with the same figures. Scenarios
// are added per capability; run one with `--only <name>`.
import autocannon from 'autocannon';
import { print } from 'graphql';
import os from 'node:os';
import { CreateApiKeyDocument, CreateListingDocument, DashboardDocument } from '../../schema/generated/graphql';
import { startPlatform, type Platform } from '../../gateway/platform';
import { testConfig } from '../helpers/config';
import { graphql, rest } from '../helpers/graphql';
import { createTestDatabase } from '../helpers/postgres';
import { dataPlaneScenario } from './data-plane';
import { jobFeedScenario } from './job-feed';
import { federationScenario } from './federation';
import { routeSelectionScenario } from './route-selection';
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';

const ROUNDS = 3;
const json = process.argv.includes('--json');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;

type Figure = { min: number; median: number; max: number };
const figure = (values: number[]): Figure => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
};

async function load(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** The account dashboard (accounts → billing → market → accounts → network) with 20 keys and 20 listings. */
async function dashboardScenario(platform: Platform) {
  const url = platform.gateway.url;
  const signup = await rest(url, 'POST', '/api/auth/signup', { body: { email: 'bench@example.com', password: 'password-123' } });
  const token = signup.body.token as string;
  for (let i = 0; i < 20; i++) {
    await graphql(url, CreateApiKeyDocument, { input: { name: `k${i}` } }, token);
    await graphql(url, CreateListingDocument, { input: { model: `acme/m-${i}`, inputPricePerMTok: '1', outputPricePerMTok: '2' } }, token);
  }
  const statementsBefore = platform.runtimes.reduce((n, r) => n + r.db.statementCount(), 0);
  await graphql(url, DashboardDocument, {}, token);
  const statementsPerQuery = platform.runtimes.reduce((n, r) => n + r.db.statementCount(), 0) - statementsBefore;

  const body = JSON.stringify({ query: print(DashboardDocument) });
  const request = {
    url: `${url}/graphql`,
    method: 'POST' as const,
    body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  };
  await load({ ...request, connections: 4, duration: 2 }); // warm-up: plan cache, JIT
  const p50: number[] = [];
  const p99: number[] = [];
  const rps: number[] = [];
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const result = await load({ ...request, connections: 1, amount: 500 });
    p50.push(result.latency.p50);
    p99.push(result.latency.p99);
    const throughput = await load({ ...request, connections: 16, duration: 5 });
    rps.push(throughput.requests.average);
    errors += result.errors + result.non2xx + throughput.errors + throughput.non2xx;
  }
  return {
    'dashboard.statementsPerQuery': statementsPerQuery,
    'dashboard.p50Ms (1 connection)': figure(p50),
    'dashboard.p99Ms (1 connection)': figure(p99),
    'dashboard.reqPerSec (16 connections)': figure(rps),
    'dashboard.errors': errors,
  };
}

/** Usage ingestion through billing's applyUsage (GraphQL, as the data plane sends it), in batches of 2,000. */
async function ingestionScenario(platform: Platform, label = 'sqlite') {
  const billing = platform.runtimes.find((r) => r.name === 'billing')!;
  const header = new PrincipalSigner(benchSecret).sign({ kind: 'service', name: 'bench' });
  const query = 'mutation ($events: [UsageEventInput!]!) { applyUsage(events: $events) { applied duplicates } }';
  const BATCH = 2000;
  const TOTAL = 40_000;
  const rates: number[] = [];
  let applied = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const batches = Array.from({ length: TOTAL / BATCH }, (_, b) =>
      Array.from({ length: BATCH }, (_, i) => ({
        requestId: `bench-${round}-${b}-${i}-${Math.random().toString(36).slice(2, 8)}`,
        keyId: `key-${i % 50}`,
        buyerId: `buyer-${i % 20}`,
        groupId: i % 3 === 0 ? `group-${i % 5}` : null,
        listingId: `listing-${i % 10}`,
        sellerId: `seller-${i % 10}`,
        model: 'dragonfly/sim-chat',
        capability: 'chat',
        inputTokens: 200,
        outputTokens: 100,
        characters: 0,
        costMicros: 1234 + i,
        latencyMs: 300,
        ttftMs: 40,
        status: 'completed',
        occurredAt: new Date().toISOString(),
      })),
    );
    const started = performance.now();
    for (const events of batches) {
      const result = await billing.execute({ query, variables: { events } }, { [PRINCIPAL_HEADER]: header });
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      applied += (result.data as { applyUsage: { applied: number } }).applyUsage.applied;
    }
    rates.push(Math.round(TOTAL / ((performance.now() - started) / 1000)));
  }
  return { [`ingestion.${label}.eventsPerSec (batches of ${BATCH})`]: figure(rates), [`ingestion.${label}.applied`]: applied };
}

/** The network overview page's reads (all nine public dashboard routes) under 100 concurrent readers. */
async function overviewScenario(platform: Platform) {
  const url = platform.gateway.url;
  const now = Date.now();
  for (let i = 0; i < 500; i++) {
    await platform.bus.publish('job.finished', {
      id: `bench-job-${i}`,
      pipeline: i % 3 ? 'llm' : 'embeddings',
      model: `acme/m-${i % 5}`,
      status: i % 10 ? 'completed' : 'failed',
      startedAt: new Date(now - 60_000 - i * 1000).toISOString(),
      finishedAt: new Date(now - 59_000 - i * 1000).toISOString(),
      latencyMs: 1000,
      outputUnits: 50,
      listingId: `listing-${i % 7}`,
      costMicros: 1200,
    });
  }
  await new Promise((r) => setTimeout(r, 500));
  const paths = [
    'kpi?timeframe=24',
    'pipelines?timeframe=24&limit=200',
    'pipeline-catalog',
    'orchestrators?period=24h',
    'protocol',
    'gpu-capacity?timeframe=24',
    'pricing',
    'fees?days=180',
    'job-feed?pollMs=5000',
  ];
  const rps: number[] = [];
  const p99: number[] = [];
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const result = await load({
      url,
      connections: 100,
      duration: 8,
      requests: paths.map((path) => ({ method: 'GET' as const, path: `/api/v1/dashboard/${path}` })),
    });
    rps.push(result.requests.average);
    p99.push(result.latency.p99);
    errors += result.errors + result.non2xx;
  }
  return {
    'overview.reads.reqPerSec (100 readers, 9 routes)': figure(rps),
    'overview.reads.p99Ms': figure(p99),
    'overview.reads.errors': errors,
  };
}

const scenarios: Record<string, (platform: Platform) => Promise<Record<string, unknown>>> = {
  overview: overviewScenario,
  dashboard: dashboardScenario,
  ingestion: (platform) => ingestionScenario(platform),
  // Runs its own processes (the product, the simulator, peers); the in-process platform idles.
  dataplane: () => dataPlaneScenario(ROUNDS),
  jobfeed: () => jobFeedScenario(),
  // Four subgraph processes, our gateway and Hive Gateway, each its own process.
  federation: () => federationScenario(ROUNDS),
  // In process: what per-request supply selection and the reputation lookup cost.
  routing: () => routeSelectionScenario(ROUNDS),
};

const benchConfig = testConfig({ SETTLEMENT_INTERVAL_MS: '0' });
const benchSecret = benchConfig.platformSecret;
const platform = await startPlatform({ config: benchConfig, topology: 'embedded' });
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
};
try {
  for (const [name, run] of Object.entries(scenarios)) {
    if (only && only !== name) continue;
    Object.assign(results, await run(platform));
  }
} finally {
  await platform.stop();
}
// The same ingestion on PostgreSQL when a server is configured (TEST_DATABASE_URL, as in CI).
if ((!only || only === 'ingestion') && process.env.TEST_DATABASE_URL) {
  const database = await createTestDatabase(process.env.TEST_DATABASE_URL);
  const pgConfig = testConfig({ DATABASE_URL: database.url, SETTLEMENT_INTERVAL_MS: '0', PLATFORM_SECRET: benchSecret });
  const pg = await startPlatform({ config: pgConfig, topology: 'embedded' });
  try {
    Object.assign(results, await ingestionScenario(pg, 'postgresql'));
  } finally {
    await pg.stop();
    await database.drop();
  }
}
if (json) console.log(JSON.stringify(results));
else
  for (const [key, value] of Object.entries(results))
    console.log(`${key.padEnd(40)} ${typeof value === 'object' ? JSON.stringify(value) : value}`);
process.exit(0); // keep-alive sockets and child handles would hold the process open
