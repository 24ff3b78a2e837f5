// Key groups: a name and an optional monthly budget shared by the group's keys.
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { conflict, notFound } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { ApiKey } from '../entities/ApiKey';
import { KeyGroup } from '../entities/KeyGroup';
import { requireKeyManager } from './access';
import type { AccountsDeps } from './deps';
import { applyRateLimits, validId, validName, validUsd, type RateLimitsInput } from './validation';
import { assertRoom } from './api-keys';

export class KeyGroupService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: AccountsDeps,
  ) {}

  async list(principal: Principal): Promise<KeyGroup[]> {
    const accountId = requireKeyManager(principal);
    return this.em.find(KeyGroup, { accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async create(principal: Principal, input: { name: string; monthlyBudget?: string | null } & RateLimitsInput): Promise<KeyGroup> {
    const accountId = requireKeyManager(principal);
    const name = validName(input.name);
    const monthlyBudgetMicros = input.monthlyBudget == null ? null : validUsd(input.monthlyBudget, 'monthlyBudget');
    const limits: RateLimitsInput = {};
    applyRateLimits(limits, input);
    if (await this.em.count(KeyGroup, { accountId, name })) throw conflict(`A key group named "${name}" already exists`);
    await assertRoom(this.em, KeyGroup, accountId, this.deps.accountLimits.keyGroups, 'key groups');
    const group = this.em.create(KeyGroup, {
      id: this.deps.ids.newId(),
      accountId,
      name,
      monthlyBudgetMicros,
      ...limits,
      createdAt: this.deps.clock.now(),
    });
    await this.flushUnique(name);
    return group;
  }

  async update(
    principal: Principal,
    id: string,
    input: { name?: string | null; monthlyBudget?: string | null } & RateLimitsInput,
  ): Promise<KeyGroup> {
    const group = await this.owned(requireKeyManager(principal), id);
    if (input.name !== undefined && input.name !== null) group.name = validName(input.name);
    if (input.monthlyBudget !== undefined)
      group.monthlyBudgetMicros = input.monthlyBudget === null ? null : validUsd(input.monthlyBudget, 'monthlyBudget');
    applyRateLimits(group, input);
    await this.flushUnique(group.name);
    await this.announceKeysOf(group, 'updated');
    return group;
  }

  /** Deleting a group leaves its keys ungrouped (they keep working). */
  async delete(principal: Principal, id: string): Promise<KeyGroup> {
    const group = await this.owned(requireKeyManager(principal), id);
    const keys = await this.em.find(ApiKey, { groupId: group.id });
    for (const key of keys) key.groupId = null;
    this.em.remove(group);
    await this.em.flush();
    for (const key of keys)
      await this.deps.bus.publish('key.changed', { kind: 'api-key', keyId: key.id, accountId: key.accountId, change: 'updated' });
    return group;
  }

  private async owned(accountId: string, id: string): Promise<KeyGroup> {
    const group = await this.em.findOne(KeyGroup, { id: validId(id, 'id'), accountId });
    if (!group) throw notFound('Key group');
    return group;
  }

  private async flushUnique(name: string): Promise<void> {
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict(`A key group named "${name}" already exists`);
      throw error;
    }
  }

  private async announceKeysOf(group: KeyGroup, change: 'updated'): Promise<void> {
    const keys = await this.em.find(ApiKey, { groupId: group.id }, { fields: ['id', 'accountId'] });
    for (const key of keys)
      await this.deps.bus.publish('key.changed', { kind: 'api-key', keyId: key.id, accountId: key.accountId, change });
  }
}
