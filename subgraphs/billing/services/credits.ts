// Credits into a buyer's balance: the one-off trial credit and sandbox top-ups.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { Clock, IdGenerator } from '../../common/runtime';
import { badInput, forbidden, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';
import type { BillingSettings } from '../settings';
import { sqlFor } from '../sql';
import { post, posted } from './ledger';
import { usdToMicros } from '../../common/money';
import type { EventBus } from '../../common/bus';

export class CreditService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: { ids: IdGenerator; clock: Clock; settings: BillingSettings; bus: EventBus },
  ) {}

  /** Idempotent: the reference `trial:<account>` is unique, so a redelivered event credits nothing. */
  async grantTrial(accountId: string): Promise<boolean> {
    if (this.deps.settings.trialCreditMicros === 0) return false;
    try {
      return await this.em.transactional(async (tem) => {
        const sql = sqlFor(tem as EntityManager);
        const reference = `trial:${accountId}`;
        if (await posted(sql, reference)) return false;
        await post(sql, this.deps.ids, this.deps.clock.now(), [
          { accountId, bucket: 'balance', type: 'trial_credit', amountMicros: this.deps.settings.trialCreditMicros, reference, description: 'Trial credit' },
        ]);
        return true;
      }).then(async (granted) => {
        if (granted) await this.deps.bus.publish('balance.changed', { accountId });
        return granted;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return false;
      throw error;
    }
  }

  /** A sandbox top-up (no real money moves): for development and the embedded demo. */
  async topUp(principal: Principal, amountUsd: string): Promise<{ amountMicros: number }> {
    const accountId = principal.kind === 'user' || (principal.kind === 'management' && principal.scope !== 'seller') ? principal.accountId : null;
    if (!accountId) throw principal.kind === 'anonymous' ? unauthenticated() : forbidden('Top-ups need a dashboard session or a buyer/full management key');
    if (!this.deps.settings.sandboxTopUps) throw forbidden('Sandbox top-ups are disabled on this deployment');
    let amountMicros: number;
    try {
      amountMicros = usdToMicros(amountUsd);
    } catch {
      throw badInput('amount must be a USD amount with at most 6 decimals', { field: 'amount' });
    }
    if (amountMicros <= 0 || amountMicros > this.deps.settings.maxTopUpMicros) throw badInput('amount must be more than 0 and at most the top-up limit', { field: 'amount' });
    await this.em.transactional(async (tem) => {
      const id = this.deps.ids.newId();
      await post(sqlFor(tem as EntityManager), this.deps.ids, this.deps.clock.now(), [
        { accountId, bucket: 'balance', type: 'topup', amountMicros, reference: `topup:${id}`, description: 'Top-up (sandbox)' },
      ]);
    });
    await this.deps.bus.publish('balance.changed', { accountId });
    return { amountMicros };
  }
}
