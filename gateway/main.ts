// `npm start`: the whole product in one process (embedded). `npm run start:gateway`: the gateway
// alone, in front of subgraph processes (scaled).
import { loadConfig } from '../subgraphs/common/config';
import { startPlatform } from './platform';

const started = Date.now();
const config = loadConfig();
const topology = process.argv.includes('--gateway-only') ? 'gateway' : 'embedded';
const platform = await startPlatform({ config, topology });
const url = platform.gateway.url;
console.log(
  `ready in ${Date.now() - started} ms (${topology}; ${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`}; ${config.busUrl ? 'Redis bus' : 'in-memory bus'})\n` +
    `  GraphQL        ${url}/graphql  (graphql-ws on the same path)\n` +
    `  health         ${url}/healthz  ${url}/readyz`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
