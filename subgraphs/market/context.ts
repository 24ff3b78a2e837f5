import type { BaseContext } from '../common/subgraph';
import type { MarketService } from './services/market';
import type { MarketLoaders } from './loaders';

export interface MarketContext extends BaseContext {
  market: MarketService;
  loaders: MarketLoaders;
}
