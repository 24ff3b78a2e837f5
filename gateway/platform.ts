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

export interface PlatformOptions {
  config: Config;
  /** `embedded` hosts the subgraphs in this process; `gateway` reaches them at config.subgraphUrls. */
  topology: 'embedded' | 'gateway';
  clock?: Clock;
  ids?: IdGenerator;
  subscriptionLimits?: Partial<SubscriptionLimits>;
}

export interface Platform {
  gateway: Gateway;
  bus: EventBus;
  runtimes: SubgraphRuntime[];
  stop(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { config } = options;
  const bus = createBus(config.busUrl, config.busNamespace);
  const signer = new PrincipalSigner(config.platformSecret);
  const runtimes: SubgraphRuntime[] = [];
  let links: SubgraphLink[];
  try {
    await bus.ready();
    if (options.topology === 'embedded') {
      const deps = { config, bus, clock: options.clock ?? systemClock, ids: options.ids ?? uuidIds };
      const definitions = await Promise.all(SUBGRAPH_NAMES.map((name) => subgraphModules[name].create(deps)));
      for (const definition of definitions) {
        const runtime = new SubgraphRuntime(definition, signer);
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
    const gateway = await startGateway({ config, links, subscriptionLimits: options.subscriptionLimits, readiness: [() => bus.ready()] });
    return {
      gateway,
      bus,
      runtimes,
      stop: async () => {
        await gateway.close();
        await Promise.allSettled(runtimes.map((runtime) => runtime.stop()));
        await bus.close();
      },
    };
  } catch (error) {
    await Promise.allSettled(runtimes.map((runtime) => runtime.stop()));
    await bus.close();
    throw error;
  }
}
