// Pool keys: sellers' upstream provider keys. A key is checked with one real call before it is
// stored (sealed, never shown again), and cannot be deleted while a listing uses it: deleting it
// would silently take that supply out of routing, so the seller deletes or moves the listings first.
import type { EntityManager } from '@mikro-orm/core';
import { badInput, conflict, DomainError } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { maskSecret } from '../../common/sealing';
import { Listing } from '../entities/Listing';
import { PoolKey, PoolKeyStatus } from '../entities/PoolKey';
import type { MarketLoaders } from '../loaders';
import { requireSeller } from './access';
import { sealContext, type MarketCoreDeps } from './deps';
import { ownedPoolKey } from './ownership';
import type { ProviderEntry } from './providers';
import { validateKey } from './upstream';
import { validName } from './validation';

export interface CreatePoolKeyInput {
  provider: string;
  apiKey: string;
  baseUrl?: string | null;
  label?: string | null;
}

const API_KEY = /^[\x21-\x7e]{8,512}$/;

export class PoolKeyService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: MarketLoaders,
    private readonly deps: MarketCoreDeps,
  ) {}

  providers(principal: Principal): readonly ProviderEntry[] {
    requireSeller(principal);
    return this.deps.catalog.entries;
  }

  async list(principal: Principal): Promise<PoolKey[]> {
    return this.loaders.poolKeysBySeller.load(requireSeller(principal));
  }

  async get(principal: Principal, id: string): Promise<PoolKey> {
    return ownedPoolKey(this.em, requireSeller(principal), id);
  }

  async create(principal: Principal, input: CreatePoolKeyInput): Promise<PoolKey> {
    const sellerId = requireSeller(principal);
    const { catalog, settings } = this.deps;
    // Every list of a seller's keys is bounded (and GraphQL's cost estimate counts on it).
    const max = this.deps.accountLimits.poolKeys;
    if ((await this.em.count(PoolKey, { sellerId, status: { $ne: PoolKeyStatus.DELETED } })) >= max)
      throw new DomainError('QUOTA_EXCEEDED', `An account can have at most ${max} pool keys; delete one first`);
    const provider = catalog.require(input.provider);
    const baseUrlOverride = catalog.overrideFor(provider, input.baseUrl);
    const apiKey = typeof input.apiKey === 'string' ? input.apiKey.trim() : '';
    if (!API_KEY.test(apiKey)) throw badInput('apiKey must be 8 to 512 printable characters without spaces', { field: 'apiKey' });
    const label = input.label == null ? null : validName(input.label, 'label');
    const fingerprint = this.deps.keyHasher.hash(`pool-key:${provider.id}:${apiKey}`);
    if (await this.em.count(PoolKey, { sellerId, fingerprint, status: { $ne: PoolKeyStatus.DELETED } }))
      throw conflict('This key is already in your pool');

    const baseUrl = baseUrlOverride ?? provider.baseUrl;
    if (!baseUrl) throw badInput(`baseUrl is required for provider ${provider.id}`, { field: 'baseUrl' });
    const validation = await validateKey({ baseUrl, apiKey }, settings.keyValidationTimeoutMs);
    if (!validation.ok) {
      // The outbound rule refused the address the name resolved to: the seller's URL is at fault when the seller gave it.
      if (validation.addressRefused && baseUrlOverride !== null)
        throw badInput(`baseUrl must be a public address: ${validation.reason}`, { field: 'baseUrl' });
      // The catalog's own URL refused: the platform's configuration, not the seller's input, and not a passing outage.
      if (validation.addressRefused)
        throw new DomainError('SERVICE_UNAVAILABLE', `Provider ${provider.id} cannot be called from this platform: ${validation.reason}`);
      if (validation.refused) throw badInput('the provider refused this key', { field: 'apiKey', status: validation.status });
      // A seller's own endpoint that cannot be reached is most likely a wrong baseUrl; a catalog
      // provider that cannot be reached (or any 5xx) is an outage: try again later.
      if (validation.unreachable && (validation.status !== null || !provider.requiresBaseUrl)) {
        throw new DomainError('SERVICE_UNAVAILABLE', `The provider could not validate the key now (${validation.reason}); try again later`);
      }
      throw badInput(`the key could not be validated: ${validation.reason}`, { field: provider.requiresBaseUrl ? 'baseUrl' : 'apiKey' });
    }

    const id = this.deps.ids.newId();
    const now = this.deps.clock.now();
    const key = this.em.create(PoolKey, {
      id,
      sellerId,
      provider: provider.id,
      label,
      baseUrlOverride,
      sealedKey: this.deps.sealer.seal(apiKey, sealContext(id)),
      fingerprint,
      keyPreview: maskSecret(apiKey),
      status: PoolKeyStatus.ACTIVE,
      validatedAt: now,
      createdAt: now,
    });
    await this.em.flush();
    return key;
  }

  /** Where a key's calls go (null when its provider is no longer offered, e.g. no simulator configured). */
  baseUrlOf(key: PoolKey): string | null {
    return this.deps.catalog.baseUrlOf(key);
  }

  async delete(principal: Principal, id: string): Promise<PoolKey> {
    const key = await ownedPoolKey(this.em, requireSeller(principal), id);
    const inUse = await this.em.count(Listing, { poolKeyId: key.id, deletedAt: null });
    if (inUse > 0) throw conflict(`This pool key is used by ${inUse} listing(s); delete them or move them to another pool key first`);
    key.status = PoolKeyStatus.DELETED;
    key.deletedAt = this.deps.clock.now();
    key.sealedKey = ''; // a retired key is not kept, even sealed
    await this.em.flush();
    return key;
  }
}
