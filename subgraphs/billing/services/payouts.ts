// Seller earnings leave earnings_available two ways: a payout through the payout provider, or a
// conversion into the seller's own buyer credit.
//
// Free credit never leaves. Trial credit and sandbox top-ups are promo money; when usage is
// applied, the seller's share of the promo-funded part of a charge is kept on the usage record
// (seller_promo_micros, usage.ts). A seller's credit-only figure is those shares, less what was
// converted into promo credit and what dispute refunds took back (creditOnlyEarnings). The money
// itself stays in the ordinary earnings buckets (so cooling, the reserve and the ledger invariant
// are untouched); only what leaves is limited: a payout is capped at available − credit-only, and
// a conversion turns the credit-only part (taken first) into promo credit, the rest into balance.
//
// Postings: a payout takes earnings_available down when requested (`payout`); a failed payout
// puts it back (`payout_reversal`); a completed one moves nothing more (the money has left). A
// conversion moves earnings_available into promo and/or balance (`earnings_conversion`).
import type { EntityManager } from '@mikro-orm/knex';
import type { Clock, IdGenerator } from '../../common/runtime';
import type { EventBus } from '../../common/bus';
import type { Logger } from '../../common/log';
import type { Principal } from '../../common/principal';
import { Money } from '../../common/graphql-types';
import { badInput, conflict, forbidden, notFound } from '../../common/errors';
import { microsToUsd, usdToMicros } from '../../common/money';
import { Payout } from '../entities/Payout';
import type { BillingSettings } from '../settings';
import { sqlFor, type Sql } from '../sql';
import { PayoutOutcome, PayoutStatusValue, type EarningsConversion, type PayoutPage, type PayoutView } from '../types/disputes';
import { requireSeller, requireService } from './access';
import { heldEarnings, lockBalances, post } from './ledger';

/** A payout provider: starts transfers; its answer arrives later through `completePayout`. */
export interface PayoutProvider {
  readonly name: string;
  /** Idempotent by payout id: sending the same payout again starts nothing new and answers the same reference. */
  send(payout: { id: string; accountId: string; amountMicros: number }): Promise<{ reference: string }>;
}

/**
 * No real money moves. It answers like a provider's webhook would: a moment later, through the
 * billing mutation `completePayout` as the platform (`complete`), unless told to wait (`manual`).
 */
export class SandboxPayoutProvider implements PayoutProvider {
  readonly name = 'sandbox';
  private readonly sent = new Set<string>();

  constructor(
    private readonly outcome: 'completed' | 'failed' | 'manual',
    private readonly complete: (id: string, reference: string, outcome: PayoutOutcome) => Promise<void>,
    private readonly log: Logger,
  ) {}

  async send(payout: { id: string }): Promise<{ reference: string }> {
    const reference = `sandbox_po_${payout.id}`;
    if (this.sent.has(payout.id)) return { reference };
    this.sent.add(payout.id);
    if (this.outcome !== 'manual') {
      const outcome = this.outcome === 'failed' ? PayoutOutcome.FAILED : PayoutOutcome.COMPLETED;
      setImmediate(
        () =>
          void this.complete(payout.id, reference, outcome).catch((error: unknown) =>
            this.log.warn({ subgraph: 'billing', payoutId: payout.id, err: error }, 'sandbox payout completion failed'),
          ),
      );
    }
    return { reference };
  }
}

export interface PayoutDeps {
  ids: IdGenerator;
  clock: Clock;
  settings: BillingSettings;
  bus: EventBus;
  log: Logger;
  provider: PayoutProvider | null;
}

export interface SellerMoneyFigures {
  withdrawableMicros: number;
  creditOnlyMicros: number;
  payoutPendingMicros: number;
  paidOutMicros: number;
  convertedMicros: number;
}

/**
 * The seller's credit-only earnings: the promo-funded shares of its requests (records from before
 * the share was kept count wholly when any of their charge was promo), less conversions into
 * promo credit and dispute refunds that took them back. Never below zero.
 */
export async function creditOnlyEarnings(sql: Sql, sellerId: string): Promise<number> {
  const [row] = await sql.all<Record<string, number | string | null>>(
    `select
       (select coalesce(sum(coalesce(seller_promo_micros, case when promo_micros > 0 then seller_micros else 0 end)), 0) from usage_records where seller_id = ?) as earned,
       (select coalesce(sum(promo_micros), 0) from payouts where account_id = ? and kind = 'conversion') as converted,
       (select coalesce(sum(seller_promo_reversed_micros), 0) from disputes where seller_id = ?) as reversed`,
    [sellerId, sellerId, sellerId],
  );
  return Math.max(0, Number(row?.earned ?? 0) - Number(row?.converted ?? 0) - Number(row?.reversed ?? 0));
}

/** "10.00" for whole cents, all six decimals otherwise. */
export function usd(micros: number): string {
  return microsToUsd(micros, micros % 10_000 === 0 ? 2 : 6);
}

function parseAmount(amountUsd: string): number {
  let micros: number;
  try {
    micros = usdToMicros(amountUsd);
  } catch {
    throw badInput('amount must be a USD amount with at most 6 decimals', { field: 'amount' });
  }
  if (micros <= 0) throw badInput('amount must be more than 0', { field: 'amount' });
  return micros;
}

function checkPage(page: number, pageSize: number): void {
  if (!Number.isInteger(page) || page < 1) throw badInput('page must be an integer ≥ 1', { field: 'page' });
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    throw badInput('page size must be an integer from 1 to 100', { field: 'pageSize' });
}

export function payoutView(row: Payout): PayoutView {
  return {
    id: row.id,
    amount: Money.of(Number(row.amountMicros)),
    status: row.status as PayoutStatusValue,
    provider: row.provider ?? 'none',
    providerReference: row.providerReference ?? null,
    requestedAt: row.requestedAt,
    completedAt: row.completedAt ?? null,
  };
}

export class PayoutService {
  private figuresOnce: Promise<SellerMoneyFigures> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: PayoutDeps,
  ) {}

  async request(principal: Principal, amountUsd: string): Promise<PayoutView> {
    const sellerId = requireSeller(principal);
    const { provider, settings } = this.deps;
    if (!provider) throw forbidden('Payouts are not available on this deployment: no payout provider is configured');
    const amountMicros = parseAmount(amountUsd);
    if (amountMicros < settings.payoutMinimumMicros) {
      throw badInput(`A payout is at least $${usd(settings.payoutMinimumMicros)}`, {
        field: 'amount',
        minimumMicros: settings.payoutMinimumMicros,
      });
    }
    const now = this.deps.clock.now();
    const id = this.deps.ids.newId();
    await this.em.transactional(async (tem) => {
      const sql = sqlFor(tem as EntityManager);
      // The seller's row stays locked to the end: two requests cannot both pass the checks below.
      await lockBalances(sql, now, [sellerId]);
      const [pending] = await sql.all<{ id: string }>(
        "select id from payouts where account_id = ? and kind = 'payout' and status = 'pending' limit 1",
        [sellerId],
      );
      if (pending) throw conflict(`A payout is already pending (${pending.id}); request another once it completes`);
      const available = Math.max(0, (await heldEarnings(sql, [sellerId])).get(sellerId)?.available ?? 0);
      const creditOnly = await creditOnlyEarnings(sql, sellerId);
      const withdrawable = Math.max(0, available - creditOnly);
      const details = { field: 'amount', availableMicros: available, withdrawableMicros: withdrawable, creditOnlyMicros: creditOnly };
      if (amountMicros > available)
        throw badInput(
          `amount $${usd(amountMicros)} is more than your available earnings ($${usd(available)}); at most $${usd(withdrawable)} can be paid out`,
          details,
        );
      if (amountMicros > withdrawable) {
        throw badInput(
          `amount $${usd(amountMicros)} is more than can be paid out ($${usd(withdrawable)}): $${usd(creditOnly)} of your earnings came from free credit (trial credit, sandbox top-ups) and can only be converted into promo buyer credit, never paid out`,
          details,
        );
      }
      await sql.run(
        'insert into payouts (id, account_id, kind, amount_micros, promo_micros, status, provider, requested_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, sellerId, 'payout', amountMicros, 0, 'pending', provider.name, sql.date(now)],
      );
      await post(sql, this.deps.ids, now, [
        {
          accountId: sellerId,
          bucket: 'earnings_available',
          type: 'payout',
          amountMicros: -amountMicros,
          reference: `payout:${id}`,
          description: `Payout ${id} (${provider.name})`,
        },
      ]);
    });
    await this.send(id, sellerId, amountMicros);
    return payoutView((await this.em.fork().findOneOrFail(Payout, { id })) as Payout);
  }

  /** Hands a pending payout to the provider (again, after a failed send: sends are idempotent by id). */
  private async send(id: string, accountId: string, amountMicros: number): Promise<void> {
    const { provider } = this.deps;
    if (!provider) return;
    try {
      const { reference } = await provider.send({ id, accountId, amountMicros });
      await sqlFor(this.em).run('update payouts set provider_reference = ? where id = ? and provider_reference is null', [reference, id]);
    } catch (error) {
      this.deps.log.warn(
        { subgraph: 'billing', payoutId: id, err: error },
        'payout not handed to the provider; the settlement job retries',
      );
    }
  }

  /** Pending payouts the provider never acknowledged (its send failed): sent again, by the settlement job. */
  async resendUnsent(): Promise<number> {
    const rows = await sqlFor(this.em).all<{ id: string; account_id: string; amount_micros: number | string }>(
      "select id, account_id, amount_micros from payouts where kind = 'payout' and status = 'pending' and provider_reference is null order by requested_at limit 100",
    );
    for (const row of rows) await this.send(row.id, row.account_id, Number(row.amount_micros));
    return rows.length;
  }

  async list(principal: Principal, page: number, pageSize: number): Promise<PayoutPage> {
    const sellerId = requireSeller(principal);
    checkPage(page, pageSize);
    const [rows, total] = await this.em
      .fork()
      .findAndCount(
        Payout,
        { accountId: sellerId, kind: 'payout' },
        { orderBy: { requestedAt: 'desc', id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
      );
    return { items: rows.map(payoutView), total, page, pageSize };
  }

  /**
   * The provider's answer (webhook-style), for the platform only. Idempotent: the same answer
   * again returns the payout; a different one, or another reference, is a CONFLICT.
   */
  async complete(principal: Principal, id: string, reference: string, outcome: PayoutOutcome): Promise<PayoutView> {
    requireService(principal);
    if (typeof reference !== 'string' || reference.length === 0 || reference.length > 120)
      throw badInput('providerReference must be 1 to 120 characters', { field: 'providerReference' });
    const now = this.deps.clock.now();
    await this.em.transactional(async (tem) => {
      const sql = sqlFor(tem as EntityManager);
      const done = await sql.all<{ account_id: string; amount_micros: number | string }>(
        `update payouts set status = ?, completed_at = ?, provider_reference = coalesce(provider_reference, ?)
         where id = ? and kind = 'payout' and status = 'pending' and (provider_reference is null or provider_reference = ?) returning account_id, amount_micros`,
        [outcome, sql.date(now), reference, id, reference],
      );
      if (done.length === 0) {
        const [row] = await sql.all<{ status: string; provider_reference: string | null }>(
          "select status, provider_reference from payouts where id = ? and kind = 'payout'",
          [id],
        );
        if (!row) throw notFound('Payout');
        if (row.provider_reference !== null && row.provider_reference !== reference)
          throw conflict('providerReference does not match the payout');
        if (row.status !== outcome) throw conflict(`The payout is already ${row.status}`);
        return;
      }
      if (outcome === PayoutOutcome.FAILED) {
        const accountId = done[0].account_id;
        await lockBalances(sql, now, [accountId]);
        await post(sql, this.deps.ids, now, [
          {
            accountId,
            bucket: 'earnings_available',
            type: 'payout_reversal',
            amountMicros: Number(done[0].amount_micros),
            reference: `payout:${id}:reversal`,
            description: `Payout ${id} failed: returned to available earnings`,
          },
        ]);
      }
    });
    return payoutView((await this.em.fork().findOneOrFail(Payout, { id })) as Payout);
  }

  /** Available earnings into the seller's own buyer credit: credit-only earnings first, into promo; the rest into balance. */
  async convert(principal: Principal, amountUsd: string): Promise<EarningsConversion> {
    const sellerId = requireSeller(principal);
    const amountMicros = parseAmount(amountUsd);
    const now = this.deps.clock.now();
    const id = this.deps.ids.newId();
    const { promoMicros, postingId } = await this.em.transactional(async (tem) => {
      const sql = sqlFor(tem as EntityManager);
      await lockBalances(sql, now, [sellerId]);
      const available = Math.max(0, (await heldEarnings(sql, [sellerId])).get(sellerId)?.available ?? 0);
      if (amountMicros > available)
        throw badInput(`amount $${usd(amountMicros)} is more than your available earnings ($${usd(available)})`, {
          field: 'amount',
          availableMicros: available,
        });
      const promo = Math.min(amountMicros, await creditOnlyEarnings(sql, sellerId));
      await sql.run(
        'insert into payouts (id, account_id, kind, amount_micros, promo_micros, status, provider, requested_at, completed_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [id, sellerId, 'conversion', amountMicros, promo, 'completed', null, sql.date(now), sql.date(now)],
      );
      const [first] = await post(sql, this.deps.ids, now, [
        {
          accountId: sellerId,
          bucket: 'earnings_available',
          type: 'earnings_conversion',
          amountMicros: -amountMicros,
          reference: `conversion:${id}`,
          description: 'Earnings converted into buyer credit',
        },
        ...(promo > 0
          ? [
              {
                accountId: sellerId,
                bucket: 'promo' as const,
                type: 'earnings_conversion' as const,
                amountMicros: promo,
                reference: `conversion:${id}:promo`,
                description: 'Earnings converted: free-credit share, as promo credit',
              },
            ]
          : []),
        ...(amountMicros > promo
          ? [
              {
                accountId: sellerId,
                bucket: 'balance' as const,
                type: 'earnings_conversion' as const,
                amountMicros: amountMicros - promo,
                reference: `conversion:${id}:balance`,
                description: 'Earnings converted: paid share, as balance',
              },
            ]
          : []),
      ]);
      return { promoMicros: promo, postingId: first };
    });
    await this.deps.bus.publish('balance.changed', { accountId: sellerId, deltaMicros: amountMicros, postingId });
    return {
      id,
      amount: Money.of(amountMicros),
      promoCredit: Money.of(promoMicros),
      balance: Money.of(amountMicros - promoMicros),
      convertedAt: now,
    };
  }

  /** The seller's figures of money leaving (read once per request). */
  figures(principal: Principal): Promise<SellerMoneyFigures> {
    const sellerId = requireSeller(principal);
    this.figuresOnce ??= (async () => {
      const sql = sqlFor(this.em);
      const available = Math.max(0, (await heldEarnings(sql, [sellerId])).get(sellerId)?.available ?? 0);
      const creditOnly = await creditOnlyEarnings(sql, sellerId);
      const [row] = await sql.all<Record<string, number | string | null>>(
        `select coalesce(sum(case when kind = 'payout' and status = 'pending' then amount_micros else 0 end), 0) as pending,
                coalesce(sum(case when kind = 'payout' and status = 'completed' then amount_micros else 0 end), 0) as paid,
                coalesce(sum(case when kind = 'conversion' then amount_micros else 0 end), 0) as converted
         from payouts where account_id = ?`,
        [sellerId],
      );
      return {
        withdrawableMicros: Math.max(0, available - creditOnly),
        creditOnlyMicros: creditOnly,
        payoutPendingMicros: Number(row?.pending ?? 0),
        paidOutMicros: Number(row?.paid ?? 0),
        convertedMicros: Number(row?.converted ?? 0),
      };
    })();
    return this.figuresOnce;
  }
}
