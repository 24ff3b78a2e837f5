// Management keys (`mk-…`): scoped automation credentials. Managed only from a dashboard session;
// at most `maxManagementKeys` live per account; soft-deleted.
import type { EntityManager } from '@mikro-orm/core';
import { DomainError, notFound } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { ManagementKey, ManagementScope } from '../entities/ManagementKey';
import { generateManagementKey, maskKey, MANAGEMENT_KEY_PREFIX } from '../keys';
import { requireDashboardUser, requireService } from './access';
import type { AccountsDeps } from './deps';
import { validId, validName, validPage } from './validation';

export class ManagementKeyService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: AccountsDeps,
  ) {}

  async list(principal: Principal, options: { page: number; pageSize: number }) {
    const accountId = requireDashboardUser(principal);
    const { page, pageSize } = validPage(options.page, options.pageSize);
    const [items, total] = await this.em.findAndCount(
      ManagementKey,
      { accountId, deletedAt: null },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
    );
    return { items, total, page, pageSize };
  }

  async get(principal: Principal, id: string): Promise<ManagementKey> {
    return this.owned(requireDashboardUser(principal), id);
  }

  async create(
    principal: Principal,
    input: { name: string; scope?: ManagementScope | null },
  ): Promise<{ managementKey: ManagementKey; rawKey: string }> {
    const accountId = requireDashboardUser(principal);
    const name = validName(input.name);
    const live = await this.em.count(ManagementKey, { accountId, deletedAt: null });
    if (live >= this.deps.maxManagementKeys) {
      throw new DomainError(
        'QUOTA_EXCEEDED',
        `An account can have at most ${this.deps.maxManagementKeys} management keys; delete one first`,
      );
    }
    const rawKey = generateManagementKey();
    const managementKey = this.em.create(ManagementKey, {
      id: this.deps.ids.newId(),
      accountId,
      name,
      scope: input.scope ?? ManagementScope.FULL,
      enabled: true,
      keyHash: this.deps.keyHasher.hash(rawKey),
      keyPreview: maskKey(rawKey, MANAGEMENT_KEY_PREFIX.length),
      createdAt: this.deps.clock.now(),
    });
    await this.em.flush();
    await this.announce(managementKey, 'created');
    return { managementKey, rawKey };
  }

  async rename(principal: Principal, id: string, name: string): Promise<ManagementKey> {
    const key = await this.owned(requireDashboardUser(principal), id);
    key.name = validName(name);
    await this.em.flush();
    await this.announce(key, 'updated');
    return key;
  }

  async setEnabled(principal: Principal, id: string, enabled: boolean): Promise<ManagementKey> {
    const key = await this.owned(requireDashboardUser(principal), id);
    key.enabled = enabled;
    await this.em.flush();
    await this.announce(key, enabled ? 'enabled' : 'disabled');
    return key;
  }

  async delete(principal: Principal, id: string): Promise<ManagementKey> {
    const key = await this.owned(requireDashboardUser(principal), id);
    key.deletedAt = this.deps.clock.now();
    key.enabled = false;
    await this.em.flush();
    await this.announce(key, 'deleted');
    return key;
  }

  /** For the gateway: the live key with this hash, enabled or not; null when unknown or deleted. */
  async credential(principal: Principal, keyHash: string): Promise<ManagementKey | null> {
    requireService(principal);
    return this.em.findOne(ManagementKey, { keyHash, deletedAt: null });
  }

  private async owned(accountId: string, id: string): Promise<ManagementKey> {
    const key = await this.em.findOne(ManagementKey, { id: validId(id, 'id'), accountId, deletedAt: null });
    if (!key) throw notFound('Management key');
    return key;
  }

  private async announce(key: ManagementKey, change: 'created' | 'updated' | 'enabled' | 'disabled' | 'deleted'): Promise<void> {
    await this.deps.bus.publish('key.changed', { kind: 'management-key', keyId: key.id, accountId: key.accountId, change });
  }
}
