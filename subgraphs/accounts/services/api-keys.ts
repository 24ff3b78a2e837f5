// Buyer keys: one object behind the Dragonfly, DGrid and NaaP views. The raw key exists only in
// the response that creates it; the store keeps a keyed hash.
import type { EntityManager } from '@mikro-orm/core';
import { badInput, DomainError, notFound } from '../../common/errors';
import { billingProviderById } from '../../common/billing-providers';
import type { Principal } from '../../common/principal';
import type { KeyChangedEvent } from '../../common/events';
import { ApiKey, ApiKeyStatus, KeyCycle } from '../entities/ApiKey';
import { KeyGroup } from '../entities/KeyGroup';
import { Project } from '../entities/Project';
import { ownRoutingProfileId } from '../routing-profile-owners';
import { BUYER_KEY_PREFIX, generateBuyerKey, keyPrefix, maskKey } from '../keys';
import { requireKeyManager, requireService } from './access';
import { DEFAULT_PROJECT_NAME } from './accounts';
import type { AccountsDeps } from './deps';
import {
  applyRateLimits,
  validCidrs,
  validFutureDate,
  validId,
  validModels,
  validName,
  validPage,
  validUsd,
  type RateLimitsInput,
} from './validation';

export interface ApiKeySettingsInput extends RateLimitsInput {
  name?: string | null;
  limit?: string | null;
  cycle?: KeyCycle | null;
  monthlyBudget?: string | null;
  expiredAt?: Date | null;
  groupId?: string | null;
  ipAllow?: string[] | null;
  ipDeny?: string[] | null;
  routingProfileId?: string | null;
  allowedModels?: string[] | null;
}

export interface CreateApiKeyInput extends ApiKeySettingsInput {
  keyGroup?: string | null;
  projectId?: string | null;
  projectName?: string | null;
  billingProviderId?: string | null;
  providerApiKey?: string | null;
}

export interface ListOptions {
  page: number;
  pageSize: number;
  /** NaaP lists revoked keys too (status REVOKED); Dragonfly and DGrid treat them as deleted. */
  includeRevoked?: boolean;
}

export class ApiKeyService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: AccountsDeps,
  ) {}

  async list(principal: Principal, options: ListOptions): Promise<{ items: ApiKey[]; total: number; page: number; pageSize: number }> {
    const accountId = requireKeyManager(principal);
    const { page, pageSize } = validPage(options.page, options.pageSize);
    const where = options.includeRevoked ? { accountId } : { accountId, status: { $ne: ApiKeyStatus.REVOKED } };
    const [items, total] = await this.em.findAndCount(ApiKey, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { items, total, page, pageSize };
  }

  /** Every key of the account, and those that can call a model now (active, not expired). */
  async counts(principal: Principal): Promise<{ total: number; active: number }> {
    const accountId = requireKeyManager(principal);
    const now = this.deps.clock.now();
    const [total, active] = await Promise.all([
      this.em.count(ApiKey, { accountId }),
      this.em.count(ApiKey, { accountId, status: ApiKeyStatus.ACTIVE, $or: [{ expiredAt: null }, { expiredAt: { $gt: now } }] }),
    ]);
    return { total, active };
  }

  async get(principal: Principal, id: string, options: { includeRevoked?: boolean } = {}): Promise<ApiKey> {
    return this.owned(requireKeyManager(principal), id, options.includeRevoked);
  }

  /** For the data plane: any key by its hash, whatever its status (the data plane decides). */
  async byHash(principal: Principal, keyHash: string): Promise<ApiKey | null> {
    requireService(principal);
    return this.em.findOne(ApiKey, { keyHash });
  }

  async create(principal: Principal, input: CreateApiKeyInput): Promise<{ apiKey: ApiKey; rawKey: string }> {
    const accountId = requireKeyManager(principal);
    // Every list of an account's keys is bounded (and GraphQL's cost estimate counts on it).
    const max = this.deps.accountLimits.apiKeys;
    if ((await this.em.count(ApiKey, { accountId, status: { $ne: ApiKeyStatus.REVOKED } })) >= max) {
      throw new DomainError('QUOTA_EXCEEDED', `An account can have at most ${max} API keys; revoke one first`);
    }
    const now = this.deps.clock.now();
    const rawKey = generateBuyerKey();
    const id = this.deps.ids.newId();
    const apiKey = this.em.create(ApiKey, {
      id,
      accountId,
      projectId: (await this.projectFor(accountId, input)).id,
      name: validName(input.name ?? 'default'),
      keyHash: this.deps.keyHasher.hash(rawKey),
      prefix: keyPrefix(rawKey),
      preview: maskKey(rawKey, BUYER_KEY_PREFIX.length),
      status: ApiKeyStatus.ACTIVE,
      ipAllow: [],
      ipDeny: [],
      createdAt: now,
      updatedAt: now,
    });
    if (input.keyGroup != null) {
      if (input.groupId != null) throw badInput('give either groupId or keyGroup, not both', { field: 'keyGroup' });
      apiKey.groupId = (await this.groupNamed(accountId, validName(input.keyGroup, 'keyGroup'))).id;
    }
    await this.apply(apiKey, { ...input, name: undefined });
    if (input.billingProviderId != null) {
      if (!billingProviderById(input.billingProviderId))
        throw badInput('billingProviderId is not a known billing provider', { field: 'billingProviderId' });
      apiKey.billingProviderId = input.billingProviderId;
    }
    if (input.providerApiKey != null) {
      if (typeof input.providerApiKey !== 'string' || input.providerApiKey.length < 8 || input.providerApiKey.length > 512) {
        throw badInput('the provider-issued key must be 8 to 512 characters', { field: 'rawApiKey' });
      }
      apiKey.providerKeySealed = this.deps.sealer.seal(input.providerApiKey, `api-key:${id}`);
    }
    await this.em.flush();
    await this.announce(apiKey, 'created');
    return { apiKey, rawKey };
  }

  async update(principal: Principal, id: string, input: ApiKeySettingsInput): Promise<ApiKey> {
    const apiKey = await this.owned(requireKeyManager(principal), id);
    await this.apply(apiKey, input);
    apiKey.updatedAt = this.deps.clock.now();
    await this.em.flush();
    await this.announce(apiKey, 'updated');
    return apiKey;
  }

  async setEnabled(principal: Principal, id: string, enabled: boolean): Promise<ApiKey> {
    const apiKey = await this.owned(requireKeyManager(principal), id);
    const status = enabled ? ApiKeyStatus.ACTIVE : ApiKeyStatus.DISABLED;
    if (apiKey.status !== status) {
      apiKey.status = status;
      apiKey.updatedAt = this.deps.clock.now();
      await this.em.flush();
    }
    await this.announce(apiKey, enabled ? 'enabled' : 'disabled');
    return apiKey;
  }

  /** Soft delete: the key never authenticates again; its usage history stays. */
  async revoke(principal: Principal, id: string): Promise<ApiKey> {
    const apiKey = await this.owned(requireKeyManager(principal), id);
    const now = this.deps.clock.now();
    apiKey.status = ApiKeyStatus.REVOKED;
    apiKey.revokedAt = now;
    apiKey.updatedAt = now;
    await this.em.flush();
    await this.announce(apiKey, 'revoked');
    return apiKey;
  }

  private async owned(accountId: string, id: string, includeRevoked = false): Promise<ApiKey> {
    const apiKey = await this.em.findOne(ApiKey, { id: validId(id, 'id'), accountId });
    // Another account's key and a missing key answer the same: not found.
    if (!apiKey || (!includeRevoked && apiKey.status === ApiKeyStatus.REVOKED)) throw notFound('API key');
    return apiKey;
  }

  /** Applies the settings present in `input` (undefined = unchanged, null = cleared). */
  private async apply(apiKey: ApiKey, input: ApiKeySettingsInput): Promise<void> {
    const now = this.deps.clock.now();
    if (input.name !== undefined) apiKey.name = validName(input.name);
    if (input.monthlyBudget !== undefined && input.monthlyBudget !== null) {
      if (input.limit != null || (input.cycle != null && input.cycle !== KeyCycle.MONTHLY))
        throw badInput('give either monthlyBudget or limit and cycle', { field: 'monthlyBudget' });
      apiKey.limitMicros = validUsd(input.monthlyBudget, 'monthlyBudget');
      apiKey.cycle = KeyCycle.MONTHLY;
    }
    if (input.limit !== undefined) apiKey.limitMicros = input.limit === null ? null : validUsd(input.limit, 'limit');
    if (input.cycle !== undefined) apiKey.cycle = input.cycle;
    if (input.expiredAt !== undefined)
      apiKey.expiredAt = input.expiredAt === null ? null : validFutureDate(input.expiredAt, now, 'expiredAt');
    if (input.groupId !== undefined)
      apiKey.groupId = input.groupId === null ? null : (await this.ownedGroup(apiKey.accountId, input.groupId)).id;
    if (input.ipAllow !== undefined) apiKey.ipAllow = validCidrs(input.ipAllow ?? [], 'ipAllow');
    if (input.ipDeny !== undefined) apiKey.ipDeny = validCidrs(input.ipDeny ?? [], 'ipDeny');
    if (input.routingProfileId !== undefined) {
      const profileId = input.routingProfileId === null ? null : validId(input.routingProfileId, 'routingProfileId');
      // Re-sending the key's current profile is no new binding; any other id must be the account's own.
      apiKey.routingProfileId =
        profileId === null || profileId === apiKey.routingProfileId
          ? profileId
          : await ownRoutingProfileId(this.em, this.deps.bus, apiKey.accountId, profileId);
    }
    if (input.allowedModels !== undefined)
      apiKey.allowedModels = input.allowedModels === null ? null : validModels(input.allowedModels, 'allowedModels');
    applyRateLimits(apiKey, input);
  }

  private async ownedGroup(accountId: string, id: string): Promise<KeyGroup> {
    const group = await this.em.findOne(KeyGroup, { id: validId(id, 'groupId'), accountId });
    if (!group) throw notFound('Key group');
    return group;
  }

  private async groupNamed(accountId: string, name: string): Promise<KeyGroup> {
    const existing = await this.em.findOne(KeyGroup, { accountId, name });
    if (!existing) await assertRoom(this.em, KeyGroup, accountId, this.deps.accountLimits.keyGroups, 'key groups');
    return (
      existing ??
      this.em.create(KeyGroup, { id: this.deps.ids.newId(), accountId, name, monthlyBudgetMicros: null, createdAt: this.deps.clock.now() })
    );
  }

  private async projectFor(accountId: string, input: CreateApiKeyInput): Promise<Project> {
    if (input.projectId != null) {
      const project = await this.em.findOne(Project, { id: validId(input.projectId, 'projectId'), accountId });
      if (!project) throw notFound('Project');
      return project;
    }
    if (input.projectName != null) {
      const name = validName(input.projectName, 'projectName');
      const existing = await this.em.findOne(Project, { accountId, name });
      if (!existing) await assertRoom(this.em, Project, accountId, this.deps.accountLimits.projects, 'projects');
      return (
        existing ??
        this.em.create(Project, { id: this.deps.ids.newId(), accountId, name, isDefault: false, createdAt: this.deps.clock.now() })
      );
    }
    const byDefault = await this.em.findOne(Project, { accountId, isDefault: true });
    return (
      byDefault ??
      this.em.create(Project, {
        id: this.deps.ids.newId(),
        accountId,
        name: DEFAULT_PROJECT_NAME,
        isDefault: true,
        createdAt: this.deps.clock.now(),
      })
    );
  }

  private async announce(apiKey: ApiKey, change: KeyChangedEvent['change']): Promise<void> {
    await this.deps.bus.publish('key.changed', { kind: 'api-key', keyId: apiKey.id, accountId: apiKey.accountId, change });
  }
}

/** Refuses a new key group or project beyond the account's maximum (QUOTA_EXCEEDED, as for management keys). */
export async function assertRoom(
  em: EntityManager,
  entity: typeof KeyGroup | typeof Project,
  accountId: string,
  max: number,
  what: string,
): Promise<void> {
  if ((await em.count(entity, { accountId })) >= max)
    throw new DomainError('QUOTA_EXCEEDED', `An account can have at most ${max} ${what}; delete one first`);
}
