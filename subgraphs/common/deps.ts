import type { Config } from './config';
import type { EventBus } from './bus';
import type { Clock, IdGenerator } from './runtime';

/** What the host process gives every subgraph. */
export interface SubgraphDeps {
  config: Config;
  bus: EventBus;
  clock: Clock;
  ids: IdGenerator;
}
