import type { BaseContext } from '../common/subgraph';
import type { BillingService } from './services/billing';
import type { BillingLoaders } from './loaders';

export interface BillingContext extends BaseContext {
  billing: BillingService;
  loaders: BillingLoaders;
}
