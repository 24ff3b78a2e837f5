import type { BaseContext } from '../common/subgraph';
import type { BillingService } from './service';
import type { BillingLoaders } from './loaders';

export interface BillingContext extends BaseContext {
  billing: BillingService;
  loaders: BillingLoaders;
}
