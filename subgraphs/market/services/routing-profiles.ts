// Routing profiles: a buyer's routing policy, bound to buyer keys by id (ApiKey.routingProfileId).
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { badInput, conflict, DomainError } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { RoutingProfile, RoutingSort } from '../entities/RoutingProfile';
import type { MarketLoaders } from '../loaders';
import { requireRoutingManager } from './access';
import type { MarketCoreDeps } from './deps';
import { ownedRoutingProfile } from './ownership';
import { KNOWN_PROVIDER_IDS } from './providers';
import { validInt, validModelList, validName, validPrice, validProviderList, validSupplyList } from './validation';

export interface RoutingProfileSettingsInput {
  name?: string | null;
  sort?: RoutingSort | null;
  providerOrder?: string[] | null;
  allowProviders?: string[] | null;
  denyProviders?: string[] | null;
  allowSupply?: string[] | null;
  denySupply?: string[] | null;
  supplyOrder?: string[] | null;
  maxInputPricePerMTok?: string | null;
  maxOutputPricePerMTok?: string | null;
  allowFallbacks?: boolean | null;
  fallbackModels?: string[] | null;
  timeoutMs?: number | null;
  maxRetries?: number | null;
  streamIdleTimeoutMs?: number | null;
}

/** Per upstream attempt: 1 s to 10 min. */
export const TIMEOUT_RANGE = [1_000, 600_000] as const;
export const RETRIES_RANGE = [0, 10] as const;

export class RoutingProfileService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: MarketLoaders,
    private readonly deps: MarketCoreDeps,
  ) {}

  async list(principal: Principal): Promise<RoutingProfile[]> {
    return this.loaders.routingProfilesByAccount.load(requireRoutingManager(principal));
  }

  async get(principal: Principal, id: string): Promise<RoutingProfile> {
    return ownedRoutingProfile(this.em, requireRoutingManager(principal), id);
  }

  async create(principal: Principal, input: RoutingProfileSettingsInput & { name: string }): Promise<RoutingProfile> {
    const accountId = requireRoutingManager(principal);
    const max = this.deps.accountLimits.routingProfiles;
    if ((await this.em.count(RoutingProfile, { accountId })) >= max)
      throw new DomainError('QUOTA_EXCEEDED', `An account can have at most ${max} routing profiles`);
    const now = this.deps.clock.now();
    const profile = this.em.create(RoutingProfile, {
      id: this.deps.ids.newId(),
      accountId,
      name: validName(input.name),
      sort: RoutingSort.PRICE,
      providerOrder: [],
      allowProviders: null,
      denyProviders: [],
      allowSupply: null,
      denySupply: [],
      supplyOrder: [],
      allowFallbacks: true,
      fallbackModels: [],
      createdAt: now,
      updatedAt: now,
    });
    apply(profile, input);
    await this.flushUnique(profile);
    await this.announce(profile, 'created');
    return profile;
  }

  /** Absent fields stay; null clears (back to the default). */
  async update(principal: Principal, id: string, input: RoutingProfileSettingsInput): Promise<RoutingProfile> {
    const profile = await ownedRoutingProfile(this.em, requireRoutingManager(principal), id);
    apply(profile, input);
    profile.updatedAt = this.deps.clock.now();
    await this.flushUnique(profile);
    await this.announce(profile, 'updated');
    return profile;
  }

  /** Keys still naming it route as if they had no profile. */
  async delete(principal: Principal, id: string): Promise<RoutingProfile> {
    const profile = await ownedRoutingProfile(this.em, requireRoutingManager(principal), id);
    this.em.remove(profile);
    await this.em.flush();
    await this.announce(profile, 'deleted');
    return profile;
  }

  /**
   * Accounts learns which account owns which profile from this (a key may only name its own), and
   * the data plane drops the profile's cached tables. Awaited: the in-memory bus has delivered by
   * the time the mutation answers.
   */
  private async announce(profile: RoutingProfile, change: 'created' | 'updated' | 'deleted'): Promise<void> {
    await this.deps.bus.publish('routing-profile.changed', { profileId: profile.id, accountId: profile.accountId, change });
  }

  private async flushUnique(profile: RoutingProfile): Promise<void> {
    try {
      const clash = await this.em.count(RoutingProfile, { accountId: profile.accountId, name: profile.name, id: { $ne: profile.id } });
      if (clash) throw conflict(`A routing profile named "${profile.name}" already exists`);
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict(`A routing profile named "${profile.name}" already exists`);
      throw error;
    }
  }
}

function apply(profile: RoutingProfile, input: RoutingProfileSettingsInput): void {
  if (input.name !== undefined && input.name !== null) profile.name = validName(input.name);
  // No GraphQL default on the enum: null or absent on create means PRICE.
  if (input.sort !== undefined) profile.sort = input.sort ?? RoutingSort.PRICE;
  if (input.providerOrder !== undefined)
    profile.providerOrder = validProviderList(input.providerOrder ?? [], 'providerOrder', KNOWN_PROVIDER_IDS);
  if (input.allowProviders !== undefined) {
    profile.allowProviders =
      input.allowProviders === null ? null : validProviderList(input.allowProviders, 'allowProviders', KNOWN_PROVIDER_IDS);
    if (profile.allowProviders?.length === 0)
      throw badInput('allowProviders must name at least one provider (null allows any)', { field: 'allowProviders' });
  }
  if (input.denyProviders !== undefined)
    profile.denyProviders = validProviderList(input.denyProviders ?? [], 'denyProviders', KNOWN_PROVIDER_IDS);
  if (input.allowSupply !== undefined) {
    profile.allowSupply = input.allowSupply === null ? null : validSupplyList(input.allowSupply, 'allowSupply');
    if (profile.allowSupply?.length === 0)
      throw badInput('allowSupply must name at least one seller or listing (null allows everyone)', { field: 'allowSupply' });
  }
  if (input.denySupply !== undefined) profile.denySupply = validSupplyList(input.denySupply ?? [], 'denySupply');
  if (input.supplyOrder !== undefined) profile.supplyOrder = validSupplyList(input.supplyOrder ?? [], 'supplyOrder');
  if (input.maxInputPricePerMTok !== undefined)
    profile.maxInputPriceMicrosPerMTok =
      input.maxInputPricePerMTok === null ? null : validPrice(input.maxInputPricePerMTok, 'maxInputPricePerMTok');
  if (input.maxOutputPricePerMTok !== undefined)
    profile.maxOutputPriceMicrosPerMTok =
      input.maxOutputPricePerMTok === null ? null : validPrice(input.maxOutputPricePerMTok, 'maxOutputPricePerMTok');
  if (input.allowFallbacks !== undefined) profile.allowFallbacks = input.allowFallbacks ?? true;
  if (input.fallbackModels !== undefined) profile.fallbackModels = validModelList(input.fallbackModels ?? [], 'fallbackModels');
  if (input.timeoutMs !== undefined) profile.timeoutMs = validInt(input.timeoutMs, 'timeoutMs', ...TIMEOUT_RANGE) ?? null;
  if (input.maxRetries !== undefined) profile.maxRetries = validInt(input.maxRetries, 'maxRetries', ...RETRIES_RANGE) ?? null;
  if (input.streamIdleTimeoutMs !== undefined)
    profile.streamIdleTimeoutMs = validInt(input.streamIdleTimeoutMs, 'streamIdleTimeoutMs', ...TIMEOUT_RANGE) ?? null;
  const both = profile.allowProviders?.filter((provider) => profile.denyProviders.includes(provider)) ?? [];
  if (both.length > 0) throw badInput(`${both.join(', ')} cannot be both allowed and denied`, { field: 'denyProviders' });
  const bothSupply = profile.allowSupply?.filter((entry) => (profile.denySupply ?? []).includes(entry)) ?? [];
  if (bothSupply.length > 0)
    throw badInput(`${bothSupply.join(', ').slice(0, 200)} cannot be both allowed and denied`, { field: 'denySupply' });
}

/**
 * At start, every profile is announced once more: accounts' projection of who owns which profile
 * then also knows the profiles made before it listened (an upgraded store, or a subscriber that was
 * down). Idempotent on the accounts side.
 */
export async function announceAllRoutingProfiles(em: EntityManager, bus: MarketCoreDeps['bus']): Promise<number> {
  const profiles = await em.find(RoutingProfile, {}, { fields: ['id', 'accountId'] });
  for (const profile of profiles)
    await bus.publish('routing-profile.changed', { profileId: profile.id, accountId: profile.accountId, change: 'updated' });
  return profiles.length;
}
