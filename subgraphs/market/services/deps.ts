import type { EntityManager } from '@mikro-orm/core';
import type { EventBus } from '../../common/bus';
import type { Clock, IdGenerator } from '../../common/runtime';
import type { KeyHasher } from '../../common/secrets';
import type { SecretSealer } from '../../common/sealing';
import type { ProviderCatalog } from './providers';
import type { ModelRegistry } from './registry';
import type { MarketSettings } from './settings';
import type { AccountLimits } from '../../common/config';

/** What every market service gets, shared by all requests of the subgraph. */
import type { Logger } from '../../common/log';

export interface MarketCoreDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: EventBus;
  /** Seals pool keys (associated data `pool-key:<id>`). */
  sealer: SecretSealer;
  /** Fingerprints pool keys (same key submitted twice). */
  keyHasher: KeyHasher;
  settings: MarketSettings;
  /** What one account may hold: listings, pool keys, routing profiles (MAX_*_PER_ACCOUNT). */
  accountLimits: AccountLimits;
  catalog: ProviderCatalog;
  /** The canonical models and reserved handles (registry/models.json). */
  registry: ModelRegistry;
  /** A fresh EntityManager for work outside a request (background probes, scheduled checks). */
  fork(): EntityManager;
  log: Logger;
}

export const sealContext = (poolKeyId: string) => `pool-key:${poolKeyId}`;
