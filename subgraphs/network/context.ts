import type { EventBus } from '../common/bus';
import type { BaseContext } from '../common/subgraph';
import type { NetworkService } from './services/network';
import type { DashboardService } from './services/dashboard';
import type { NetworkLoaders } from './loaders';
import type { ReputationService } from './services/reputation';

export interface NetworkContext extends BaseContext {
  network: NetworkService;
  dashboard: DashboardService;
  loaders: NetworkLoaders;
  bus: EventBus;
  reputation: ReputationService;
}
