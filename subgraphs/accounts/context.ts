import type { BaseContext } from '../common/subgraph';
import type { AccountService } from './service';
import type { AccountsLoaders } from './loaders';

export interface AccountsContext extends BaseContext {
  accounts: AccountService;
  loaders: AccountsLoaders;
}
