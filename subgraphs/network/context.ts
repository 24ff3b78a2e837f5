import type { EventBus } from '../common/bus';
import type { BaseContext } from '../common/subgraph';
import type { NetworkService } from './services/network';
import type { NetworkLoaders } from './loaders';

export interface NetworkContext extends BaseContext {
  network: NetworkService;
  loaders: NetworkLoaders;
  bus: EventBus;
}
