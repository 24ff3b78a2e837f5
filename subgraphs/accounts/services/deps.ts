import type { EventBus } from '../../common/bus';
import type { Clock, IdGenerator } from '../../common/runtime';
import type { SessionTokens } from '../../common/jwt';
import type { SecretSealer } from '../../common/sealing';
import type { KeyHasher } from '../keys';
import type { SignInThrottle } from '../throttle';

export interface AccountsDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: EventBus;
  sessions: SessionTokens;
  keyHasher: KeyHasher;
  sealer: SecretSealer;
  scryptCost: number;
  maxManagementKeys: number;
  throttle: SignInThrottle;
}
