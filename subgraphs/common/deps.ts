import type { Config } from './config';
import type { EventBus } from './bus';
import type { Clock, IdGenerator } from './runtime';
import type { Logger } from './log';

/** What the host process gives every subgraph. */
export interface SubgraphDeps {
  config: Config;
  bus: EventBus;
  clock: Clock;
  ids: IdGenerator;
  /** The host process's logger (background work reports its failures here). */
  log: Logger;
}
