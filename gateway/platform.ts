// Process assembly. Embedded: the gateway and all four subgraphs in this process, one public port.
// Gateway-only (scaled): the subgraphs are other processes, reached by URL. Same code otherwise.
import { createBus, type EventBus } from '../subgraphs/common/bus';
import { SUBGRAPH_NAMES, type Config } from '../subgraphs/common/config';
import { PrincipalSigner } from '../subgraphs/common/principal';
import { systemClock, uuidIds, type Clock, type IdGenerator } from '../subgraphs/common/runtime';
import { SubgraphRuntime } from '../subgraphs/common/subgraph';
import { subgraphModules } from '../subgraphs';
import { startGateway, type Gateway } from './app';
import { InProcessLink, RemoteLink, type SubgraphLink } from './subgraph-links';
import type { SubscriptionLimits } from './subscriptions';
import { startSimulator } from './simulator/server';
import { createLogger, type LoggerHandle } from '../subgraphs/common/log';
import { allowPrivateFor, holdOutboundPolicy } from '../subgraphs/common/outbound';

export interface PlatformOptions {
  config: Config;
  /** Embedded mode starts the simulated upstream provider unless SIMULATOR_URL points at one (or this is false). */
  startSimulator?: boolean;
  /** `embedded` hosts the subgraphs in this process; `gateway` reaches them at config.subgraphUrls. */
  topology: 'embedded' | 'gateway';
  clock?: Clock;
  /** The router's uniform source in [0, 1) (a test fixes the draw with a seeded one). */
  random?: () => number;
  ids?: IdGenerator;
  subscriptionLimits?: Partial<SubscriptionLimits>;
  /** The process's logger (LOG_LEVEL, LOG_FILE); one is made from the config when absent. */
  logging?: LoggerHandle;
}

export interface Platform {
  config: Config;
  gateway: Gateway;
  bus: EventBus;
  runtimes: SubgraphRuntime[];
  stop(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  let { config } = options;
  let simulator: Awaited<ReturnType<typeof startSimulator>> | null = null;
  if (options.topology === 'embedded' && !config.simulatorUrl && options.startSimulator !== false) {
    simulator = await startSimulator({ host: '127.0.0.1', port: 0 });
    config = { ...config, simulatorUrl: simulator.url };
  }
  // Calls to sellers' providers reach public addresses only, unless OUTBOUND_ALLOW_PRIVATE; the demo's own simulator is on loopback.
  config = { ...config, outboundAllowPrivate: allowPrivateFor(config, simulator !== null) };
  const releaseOutbound = holdOutboundPolicy({ allowPrivate: config.outboundAllowPrivate === true });
  const logging = options.logging ?? createLogger(config.env, options.topology === 'embedded' ? 'platform' : 'gateway');
  const bus = createBus(config.busUrl, config.busNamespace);
  const signer = new PrincipalSigner(config.platformSecret);
  const runtimes: SubgraphRuntime[] = [];
  let links: SubgraphLink[];
  try {
    await bus.ready();
    if (options.topology === 'embedded') {
      const deps = { config, bus, clock: options.clock ?? systemClock, ids: options.ids ?? uuidIds, log: logging.log };
      const definitions = await Promise.all(SUBGRAPH_NAMES.map((name) => subgraphModules[name].create(deps)));
      for (const definition of definitions) {
        const runtime = new SubgraphRuntime(definition, signer, logging.log);
        await runtime.start();
        runtimes.push(runtime);
      }
      links = runtimes.map((runtime) => new InProcessLink(runtime, signer));
    } else {
      links = SUBGRAPH_NAMES.map((name) => {
        const url = config.subgraphUrls[name];
        if (!url) throw new Error(`${name.toUpperCase()}_URL is required when the gateway does not host the subgraphs`);
        return new RemoteLink(name, url, signer);
      });
    }
    const gateway = await startGateway({
      config,
      links,
      bus,
      clock: options.clock,
      random: options.random,
      subscriptionLimits: options.subscriptionLimits,
      readiness: [() => bus.ready()],
      log: logging.log,
    });
    return {
      config,
      gateway,
      bus,
      runtimes,
      stop: async () => {
        await gateway.close();
        await Promise.allSettled(runtimes.map((runtime) => runtime.stop()));
        await bus.close();
        await simulator?.close();
        releaseOutbound();
        await logging.close();
      },
    };
  } catch (error) {
    await Promise.allSettled(runtimes.map((runtime) => runtime.stop()));
    await bus.close();
    await simulator?.close();
    releaseOutbound();
    await logging.close();
    throw error;
  }
}
