import type { EventBus } from '../../common/bus';
import type { Clock, IdGenerator } from '../../common/runtime';
import type { SessionTokens } from '../../common/jwt';
import type { SecretSealer } from '../../common/sealing';
import type { KeyHasher } from '../keys';
import type { SignInThrottle } from '../throttle';
import type { AccountLimits } from '../../common/config';

export interface AccountsDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: EventBus;
  sessions: SessionTokens;
  keyHasher: KeyHasher;
  sealer: SecretSealer;
  scryptCost: number;
  maxManagementKeys: number;
  /** What one account may hold: buyer keys, key groups, projects (MAX_*_PER_ACCOUNT). */
  accountLimits: AccountLimits;
  throttle: SignInThrottle;
}
