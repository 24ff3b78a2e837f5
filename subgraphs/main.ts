// `npm run start:subgraph -- <name>`: one subgraph as its own process (scaled mode).
import { createBus } from './common/bus';
import { SUBGRAPH_NAMES, loadConfig, type SubgraphName } from './common/config';
import { PrincipalSigner } from './common/principal';
import { systemClock, uuidIds } from './common/runtime';
import { SubgraphRuntime } from './common/subgraph';
import { serveSubgraph } from './common/subgraph-server';
import { subgraphModules } from './index';
import { createLogger } from './common/log';

const DEFAULT_PORTS: Record<SubgraphName, number> = { accounts: 4001, market: 4002, billing: 4003, network: 4004 };

const name = process.argv[2] as SubgraphName;
if (!SUBGRAPH_NAMES.includes(name)) {
  console.error(`usage: npm run start:subgraph -- <${SUBGRAPH_NAMES.join('|')}>`);
  process.exit(2);
}
const config = loadConfig({ ...process.env, PORT: process.env.PORT ?? String(DEFAULT_PORTS[name]) });
const logging = createLogger(config.env, `subgraph-${name}`);
const bus = createBus(config.busUrl, config.busNamespace);
await bus.ready();
const runtime = new SubgraphRuntime(
  await subgraphModules[name].create({ config, bus, clock: systemClock, ids: uuidIds, log: logging.log }),
  new PrincipalSigner(config.platformSecret),
  logging.log,
);
await runtime.start();
const server = await serveSubgraph(runtime, { host: config.host, port: config.port });
console.log(`subgraph ${name} ready at ${server.url}`);

const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 30_000);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // Bounded like the gateway's stop; a second signal ends the process at once.
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(1), shutdownTimeoutMs).unref();
    void server
      .close()
      .then(() => runtime.stop())
      .then(() => bus.close())
      .then(() => logging.close())
      .finally(() => process.exit(0));
  });
}
