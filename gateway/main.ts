// `npm start`: the whole product in one process (embedded). `npm run start:gateway`: the gateway
// alone, in front of subgraph processes (scaled).
import { loadConfig } from '../subgraphs/common/config';
import { startPlatform } from './platform';
import { seedDemo } from './demo';
import { metricsTokenProblem } from './metrics';

const started = Date.now();
const config = loadConfig();
const refusal = metricsTokenProblem(config);
if (refusal) {
  console.error(refusal);
  process.exit(1);
}
const topology = process.argv.includes('--gateway-only') ? 'gateway' : 'embedded';
const platform = await startPlatform({ config, topology });
const url = platform.gateway.url;
let demo = '';
// The demo seeds money and prints a key: on by default for a first run, never by default in production.
const demoOn = process.env.DEMO ? process.env.DEMO !== 'off' : config.nodeEnv !== 'production';
if (topology === 'embedded' && demoOn) {
  const { key, models } = await seedDemo(platform.gateway, config.dataDir);
  demo =
    `\n  demo buyer key ${key}   (shown once; a new one on every start; DEMO=off skips this; off in production)` +
    `\n  models         ${models.join(', ')}  (simulated upstream at ${platform.config.simulatorUrl})` +
    `\n  try            curl -s ${url}/v1/chat/completions -H "authorization: Bearer ${key}" -H 'content-type: application/json' -d '{"model":"demo/sim-chat","messages":[{"role":"user","content":"Hello"}]}'`;
}
console.log(
  `ready in ${Date.now() - started} ms (${topology}; ${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`}; ${config.busUrl ? 'Redis bus' : 'in-memory bus'})\n` +
    `  overview       ${url}/   console ${url}/dashboard   API reference ${url}/docs  (${url}/openapi.json)\n` +
    `  GraphQL        ${url}/graphql  (graphql-ws on the same path${config.nodeEnv === 'production' ? '' : '; the GraphQL IDE in a browser'})\n` +
    `  health         ${url}/healthz  ${url}/readyz` +
    demo,
);

// Graceful stop (in-flight streams finish, usage is flushed, subscriptions closed), bounded: a
// stop that hangs (a peer that never lets go) ends the process after SHUTDOWN_TIMEOUT_MS, and a
// second signal ends it at once.
const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 30_000);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(1), shutdownTimeoutMs).unref();
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
