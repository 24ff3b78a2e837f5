import type { BaseContext } from '../common/subgraph';
import type { Clock } from '../common/runtime';
import type { AccountService } from './services/accounts';
import type { ApiKeyService } from './services/api-keys';
import type { KeyGroupService } from './services/key-groups';
import type { ManagementKeyService } from './services/management-keys';
import type { AccountsLoaders } from './loaders';

export interface AccountsContext extends BaseContext {
  accounts: AccountService;
  apiKeys: ApiKeyService;
  keyGroups: KeyGroupService;
  managementKeys: ManagementKeyService;
  loaders: AccountsLoaders;
  clock: Clock;
  /** The caller's address as the gateway asserted it (sign-in throttling). */
  clientAddress?: string;
}
