// Credits the platform gives, into a buyer's promo bucket: the one-off trial credit and sandbox
// top-ups. Promo money is spendable like the balance but never becomes earnings of the buyer's own
// listings (see usage.ts).
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { Clock, IdGenerator } from '../../common/runtime';
import { badInput, forbidden, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';
import type { BillingSettings } from '../settings';
import { sqlFor } from '../sql';
import { lockBalances, post, posted } from './ledger';
import { microsToUsd, usdToMicros } from '../../common/money';
import { cycleEnd, cycleStart } from '../../common/cycles';
import type { EventBus } from '../../common/bus';

export class CreditService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: { ids: IdGenerator; clock: Clock; settings: BillingSettings; bus: EventBus },
  ) {}

  /** Idempotent: the reference `trial:<account>` is unique, so a redelivered event credits nothing. */
  async grantTrial(accountId: string): Promise<boolean> {
    const amountMicros = this.deps.settings.trialCreditMicros;
    if (amountMicros === 0) return false;
    try {
      const postingId = await this.em.transactional(async (tem) => {
        const sql = sqlFor(tem as EntityManager);
        const reference = `trial:${accountId}`;
        if (await posted(sql, reference)) return null;
        const [id] = await post(sql, this.deps.ids, this.deps.clock.now(), [
          { accountId, bucket: 'promo', type: 'trial_credit', amountMicros, reference, description: 'Trial credit' },
        ]);
        return id;
      });
      if (postingId) await this.deps.bus.publish('balance.changed', { accountId, deltaMicros: amountMicros, postingId });
      return postingId !== null;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return false;
      throw error;
    }
  }

  /**
   * A sandbox top-up (no real money moves): for development and the embedded demo. At most
   * `maxTopUpPerDayMicros` per account per UTC day, checked against the day's top-ups while the
   * account's balance row is locked, so concurrent top-ups cannot pass the cap together.
   */
  async topUp(principal: Principal, amountUsd: string): Promise<{ amountMicros: number }> {
    const accountId =
      principal.kind === 'user' || (principal.kind === 'management' && principal.scope !== 'seller') ? principal.accountId : null;
    if (!accountId)
      throw principal.kind === 'anonymous'
        ? unauthenticated()
        : forbidden('Top-ups need a dashboard session or a buyer/full management key');
    const { settings } = this.deps;
    if (!settings.sandboxTopUps) throw forbidden('Sandbox top-ups are disabled on this deployment');
    let amountMicros: number;
    try {
      amountMicros = usdToMicros(amountUsd);
    } catch {
      throw badInput('amount must be a USD amount with at most 6 decimals', { field: 'amount' });
    }
    if (amountMicros <= 0 || amountMicros > settings.maxTopUpMicros)
      throw badInput('amount must be more than 0 and at most the top-up limit', { field: 'amount' });
    const now = this.deps.clock.now();
    const postingId = await this.em.transactional(async (tem) => {
      const sql = sqlFor(tem as EntityManager);
      await lockBalances(sql, now, [accountId]);
      const [row] = await sql.all<{ total: number | string | null }>(
        "select coalesce(sum(amount_micros), 0) as total from ledger_entries where account_id = ? and type = 'topup' and created_at >= ? and created_at < ?",
        [accountId, sql.date(cycleStart('daily', now)), sql.date(cycleEnd('daily', now))],
      );
      const today = Number(row?.total ?? 0);
      if (today + amountMicros > settings.maxTopUpPerDayMicros) {
        const left = Math.max(0, settings.maxTopUpPerDayMicros - today);
        throw badInput(
          `Sandbox top-ups are limited to $${usd(settings.maxTopUpPerDayMicros)} per account per UTC day; $${usd(left)} is left today`,
          {
            field: 'amount',
            dailyLimitMicros: settings.maxTopUpPerDayMicros,
            remainingTodayMicros: left,
          },
        );
      }
      const id = this.deps.ids.newId();
      const [entryId] = await post(sql, this.deps.ids, now, [
        { accountId, bucket: 'promo', type: 'topup', amountMicros, reference: `topup:${id}`, description: 'Top-up (sandbox)' },
      ]);
      return entryId;
    });
    await this.deps.bus.publish('balance.changed', { accountId, deltaMicros: amountMicros, postingId });
    return { amountMicros };
  }
}

/** "1000.00" for whole cents, all six decimals otherwise. */
function usd(micros: number): string {
  return microsToUsd(micros, micros % 10_000 === 0 ? 2 : 6);
}
