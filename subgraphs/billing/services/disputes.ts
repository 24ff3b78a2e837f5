// Disputes: a buyer disputes one of its charged requests; the dispute is resolved for the buyer
// (the charge refunded) or for the seller (nothing moves), by the rule in `disputeRuling`.
//
// A refund gives the buyer back what it was charged (the promo-funded part to promo, the paid part
// to balance) and takes the money back from where it went: the seller's share from the seller's
// earnings — reserve first (that is what the reserve is held for), then pending, then available,
// never below zero in any bucket — and the fee from the platform, which also covers whatever of the
// seller's share the seller's earnings could not. Every refund posting is a `refund`; the dispute
// row keeps the figures. Settlement moves at most what a bucket still holds (settlement.ts), so a
// share taken back before it cooled or was released is not moved again.
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/knex';
import type { Clock, IdGenerator } from '../../common/runtime';
import type { EventBus } from '../../common/bus';
import type { Logger } from '../../common/log';
import type { Principal } from '../../common/principal';
import { Money } from '../../common/graphql-types';
import { badInput, conflict, DomainError, notFound } from '../../common/errors';
import { Dispute, type DisputeResolution } from '../entities/Dispute';
import { UsageRecord } from '../entities/UsageRecord';
import type { BillingSettings } from '../settings';
import { chunks, sqlFor, type Sql } from '../sql';
import { DisputeResolutionValue, DisputeStatusValue, type DisputePage, type DisputeView } from '../types/disputes';
import { canPerformAction } from '../../common/actions';
import { requireBuyer, requireSeller, seesBuyerMoneyOf, seesSellerMoneyOf } from './access';
import { heldEarnings, lockBalances, post, PLATFORM_ACCOUNT, type HeldEarnings, type Posting } from './ledger';
import { creditOnlyEarnings } from './payouts';

const DAY_MS = 86_400_000;
const MAX_REASON = 1000;
/** Metering findings that mean the upstream claimed more than the buyer received or allowed. */
const OVERCHARGE_FLAGS = ['prompt_over_count', 'completion_over_count', 'completion_over_max'];

export interface MeteringTolerance {
  toleranceBps: number;
  slackTokens: number;
}

/** The evidence a usage record carries (the columns metering filled in). */
export interface MeteringEvidence {
  status: string;
  costMicros: number;
  reportedInputTokens?: number | null;
  reportedOutputTokens?: number | null;
  countedInputTokens?: number | null;
  countedOutputTokens?: number | null;
  reasoningTokens?: number | null;
  meteringFlags?: string | null;
}

/**
 * What in the record shows the buyer was overcharged (empty: nothing does). A report above the
 * gateway's own count beyond the metering tolerance counts; a report below it never does (the buyer
 * pays the lower figure). A cancelled stream's completion report is not held against the seller:
 * the upstream generated past the point where the buyer went away. `usage_missing` is no overcharge
 * either: the gateway's count was billed.
 */
export function overchargeEvidence(record: MeteringEvidence, tolerance: MeteringTolerance): string[] {
  const found = new Set((record.meteringFlags ?? '').split(',').filter((flag) => OVERCHARGE_FLAGS.includes(flag)));
  const cap = (counted: number) => counted + Math.ceil((counted * tolerance.toleranceBps) / 10_000) + tolerance.slackTokens;
  if (
    record.reportedInputTokens != null &&
    record.countedInputTokens != null &&
    record.reportedInputTokens > cap(record.countedInputTokens)
  )
    found.add('prompt_over_count');
  if (record.status !== 'cancelled' && record.reportedOutputTokens != null && record.countedOutputTokens != null) {
    const visible = record.reportedOutputTokens - Math.min(record.reasoningTokens ?? 0, record.reportedOutputTokens);
    if (visible > cap(record.countedOutputTokens)) found.add('completion_over_count');
  }
  if (record.status === 'failed' && record.costMicros > 0) found.add('failed_charged');
  return [...found].sort();
}

export interface DisputeFacts {
  /** overchargeEvidence of the disputed record. */
  evidence: readonly string[];
  acceptedBySeller: boolean;
  contested: boolean;
  /** The seller's response window has ended. */
  windowOver: boolean;
}

export type Ruling = { outcome: 'buyer' | 'seller'; resolution: DisputeResolution };

/**
 * The platform's rule, the only place a dispute is decided:
 * 1. evidence of an overcharge in the record → for the buyer, at once (`auto`);
 * 2. the seller accepts → for the buyer (`seller_accepted`);
 * 3. otherwise the dispute waits for the seller's response window to end; then
 *    a contested dispute → for the seller (`contested`; rule 1 already took the cases where the
 *    evidence says otherwise), and one the seller never answered → for the buyer (`window_expired`).
 * Null: not decided yet.
 */
export function disputeRuling(facts: DisputeFacts): Ruling | null {
  if (facts.evidence.length > 0) return { outcome: 'buyer', resolution: 'auto' };
  if (facts.acceptedBySeller) return { outcome: 'buyer', resolution: 'seller_accepted' };
  if (!facts.windowOver) return null;
  if (facts.contested) return { outcome: 'seller', resolution: 'contested' };
  return { outcome: 'buyer', resolution: 'window_expired' };
}

/** The charge a refund gives back, as the usage record split it. */
export interface RefundCharge {
  costMicros: number;
  promoMicros: number;
  sellerMicros: number;
  sellerPromoMicros: number;
}

export interface RefundPlan {
  buyerPromoMicros: number;
  buyerBalanceMicros: number;
  fromReservedMicros: number;
  fromPendingMicros: number;
  fromAvailableMicros: number;
  /** The fee part, from the platform. */
  platformFeeMicros: number;
  /** The seller's share its buckets could not cover, from the platform. */
  platformCoverMicros: number;
  /** How much of the seller's credit-only earnings the debit took back. */
  promoReversedMicros: number;
}

/**
 * Where a refund's money comes from. Buyer credits = cost; seller debits + platform debits = cost:
 * nothing is created, and no seller bucket is taken below zero.
 */
export function planRefund(charge: RefundCharge, held: HeldEarnings, creditOnlyMicros: number): RefundPlan {
  const share = Math.max(0, Math.min(charge.sellerMicros, charge.costMicros));
  let left = share;
  const take = (bucket: number) => {
    const taken = Math.min(left, Math.max(0, bucket));
    left -= taken;
    return taken;
  };
  const fromReservedMicros = take(held.reserved);
  const fromPendingMicros = take(held.pending);
  const fromAvailableMicros = take(held.available);
  const taken = share - left;
  const promo = Math.max(0, Math.min(charge.promoMicros, charge.costMicros));
  return {
    buyerPromoMicros: promo,
    buyerBalanceMicros: charge.costMicros - promo,
    fromReservedMicros,
    fromPendingMicros,
    fromAvailableMicros,
    platformFeeMicros: charge.costMicros - share,
    platformCoverMicros: left,
    promoReversedMicros: Math.min(Math.max(0, charge.sellerPromoMicros), taken, Math.max(0, creditOnlyMicros)),
  };
}

export interface DisputeDeps {
  ids: IdGenerator;
  clock: Clock;
  settings: BillingSettings;
  bus: EventBus;
  log: Logger;
  tolerance: MeteringTolerance;
}

interface RecordRow {
  request_id: string;
  buyer_id: string;
  seller_id: string | null;
  cost_micros: number | string;
  promo_micros: number | string;
  seller_micros: number | string;
  seller_promo_micros: number | string | null;
}

function checkPage(page: number, pageSize: number): void {
  if (!Number.isInteger(page) || page < 1) throw badInput('page must be an integer ≥ 1', { field: 'page' });
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    throw badInput('page size must be an integer from 1 to 100', { field: 'pageSize' });
}

function reasonText(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length === 0 || text.length > MAX_REASON)
    throw badInput(`reason is required: 1 to ${MAX_REASON} characters`, { field: 'reason' });
  return text;
}

export function disputeView(row: Dispute): DisputeView {
  return {
    id: row.id,
    requestId: row.requestId,
    listingId: row.listingId ?? null,
    model: row.model,
    charged: Money.of(Number(row.chargedMicros)),
    reason: row.reason,
    status: row.status as DisputeStatusValue,
    resolution: (row.resolution ?? null) as DisputeResolutionValue | null,
    evidence: row.evidence ? row.evidence.split(',') : [],
    sellerResponse: row.sellerResponse ?? null,
    openedAt: row.openedAt,
    respondBy: row.respondBy,
    contestedAt: row.contestedAt ?? null,
    resolvedAt: row.resolvedAt ?? null,
    refund: Money.of(Number(row.refundMicros)),
  };
}

export class DisputeService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: DisputeDeps,
  ) {}

  /** Listing id → disputes resolved against it (public: a listing's reputation). */
  readonly lostByListing = new DataLoader<string, number>(async (listingIds) => {
    const counts = new Map<string, number>();
    for (const rows of chunks(listingIds, 1)) {
      const found = await sqlFor(this.em).all<{ listing_id: string; lost: number | string }>(
        `select listing_id, count(*) as lost from disputes where status = 'resolved_buyer' and listing_id in (${rows.map(() => '?').join(', ')}) group by listing_id`,
        [...rows],
      );
      for (const row of found) counts.set(row.listing_id, Number(row.lost));
    }
    return listingIds.map((id) => counts.get(id) ?? 0);
  });

  /** The buyer opens a dispute on one of its charged requests; evidence in the record resolves it at once. */
  async open(principal: Principal, requestId: string, reason: string): Promise<DisputeView> {
    const buyerId = requireBuyer(principal);
    const text = reasonText(reason);
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 64)
      throw badInput('requestId must be 1 to 64 characters', { field: 'requestId' });
    const record = await this.em.fork().findOne(UsageRecord, { requestId, buyerId });
    if (!record) throw notFound('Request');
    const now = this.deps.clock.now();
    const { disputeWindowDays, disputeResponseWindowMs } = this.deps.settings;
    if (now.getTime() - record.occurredAt.getTime() > disputeWindowDays * DAY_MS) {
      throw badInput(
        `A request can be disputed within ${disputeWindowDays} days; this one was made on ${record.occurredAt.toISOString()}`,
        { field: 'requestId', windowDays: disputeWindowDays },
      );
    }
    if (Number(record.costMicros) === 0) throw badInput('This request was not charged: there is nothing to refund', { field: 'requestId' });
    const evidence = overchargeEvidence({ ...record, costMicros: Number(record.costMicros) }, this.deps.tolerance);
    const id = this.deps.ids.newId();
    const resolved = await this.em.transactional(async (tem) => {
      const sql = sqlFor(tem as EntityManager);
      const inserted = await sql.all<{ id: string }>(
        `insert into disputes (id, request_id, buyer_id, seller_id, listing_id, model, charged_micros, reason, status, evidence, opened_at, respond_by, refund_micros, seller_debit_micros, platform_cover_micros, seller_promo_reversed_micros)
         values (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, 0, 0, 0, 0) on conflict (request_id) do nothing returning id`,
        [
          id,
          requestId,
          buyerId,
          record.sellerId ?? null,
          record.listingId ?? null,
          record.model,
          Number(record.costMicros),
          text,
          evidence.length > 0 ? evidence.join(',') : null,
          sql.date(now),
          sql.date(new Date(now.getTime() + disputeResponseWindowMs)),
        ],
      );
      if (inserted.length === 0) {
        const [existing] = await sql.all<{ id: string }>('select id from disputes where request_id = ?', [requestId]);
        throw new DomainError('CONFLICT', 'This request is already disputed', { disputeId: existing?.id });
      }
      const ruling = disputeRuling({ evidence, acceptedBySeller: false, contested: false, windowOver: false });
      return ruling ? this.resolveIn(sql, id, ruling, now) : null;
    });
    await this.announce(resolved);
    return this.view(id);
  }

  async list(principal: Principal, page: number, pageSize: number): Promise<DisputePage> {
    const buyerId = requireBuyer(principal);
    checkPage(page, pageSize);
    return this.page({ buyerId }, page, pageSize);
  }

  /** Disputes against the caller's listings, newest first; `status` filters. */
  async sellerList(principal: Principal, page: number, pageSize: number, status: DisputeStatusValue | null): Promise<DisputePage> {
    const sellerId = requireSeller(principal);
    checkPage(page, pageSize);
    return this.page(status ? { sellerId, status } : { sellerId }, page, pageSize);
  }

  /** One dispute, for its buyer (buyer credentials) or its seller (seller credentials); anyone else: NOT_FOUND. */
  async get(principal: Principal, id: string): Promise<DisputeView> {
    // A credential that may see neither side's money gets its refusal, not a NOT_FOUND.
    if (!canPerformAction(principal, 'money:buyer') && !canPerformAction(principal, 'money:seller')) requireBuyer(principal);
    const row = await this.em.fork().findOne(Dispute, { id });
    if (!row || !(seesBuyerMoneyOf(principal, row.buyerId) || (row.sellerId != null && seesSellerMoneyOf(principal, row.sellerId))))
      throw notFound('Dispute');
    return disputeView(row);
  }

  async accept(principal: Principal, id: string): Promise<DisputeView> {
    const sellerId = requireSeller(principal);
    await this.sellersOpen(sellerId, id);
    const now = this.deps.clock.now();
    const resolved = await this.em.transactional(async (tem) => {
      const ruling = disputeRuling({ evidence: [], acceptedBySeller: true, contested: false, windowOver: false }) as Ruling;
      const done = await this.resolveIn(sqlFor(tem as EntityManager), id, ruling, now);
      if (!done) throw conflict('This dispute is already resolved');
      return done;
    });
    await this.announce(resolved);
    return this.view(id);
  }

  /** Recorded; the dispute is decided when the response window ends (disputeRuling). */
  async contest(principal: Principal, id: string, reason: string): Promise<DisputeView> {
    const sellerId = requireSeller(principal);
    const text = reasonText(reason);
    const dispute = await this.sellersOpen(sellerId, id);
    if (dispute.contestedAt) throw conflict('This dispute is already contested');
    const now = this.deps.clock.now();
    const updated = await sqlFor(this.em).all<{ id: string }>(
      "update disputes set seller_response = ?, contested_at = ? where id = ? and seller_id = ? and status = 'open' and contested_at is null returning id",
      [text, sqlFor(this.em).date(now), id, sellerId],
    );
    if (updated.length === 0) throw conflict('This dispute is already resolved or contested');
    return this.view(id);
  }

  /**
   * The platform's rule for every open dispute whose response window ended by `at` (the
   * settlement job calls this). One transaction per dispute; returns how many were resolved.
   */
  async expire(at: Date): Promise<number> {
    const sql = sqlFor(this.em);
    const due = await sql.all<{ id: string; request_id: string; contested_at: unknown }>(
      "select id, request_id, contested_at from disputes where status = 'open' and respond_by <= ? order by respond_by, id limit 500",
      [sql.date(at)],
    );
    let resolved = 0;
    for (const row of due) {
      const record = await this.em.fork().findOne(UsageRecord, { requestId: row.request_id });
      const evidence = record ? overchargeEvidence({ ...record, costMicros: Number(record.costMicros) }, this.deps.tolerance) : [];
      const ruling = disputeRuling({ evidence, acceptedBySeller: false, contested: row.contested_at != null, windowOver: true }) as Ruling;
      const now = this.deps.clock.now();
      const done = await this.em.transactional((tem) => this.resolveIn(sqlFor(tem as EntityManager), row.id, ruling, now));
      if (done) {
        resolved++;
        await this.announce(done);
      }
    }
    return resolved;
  }

  private async sellersOpen(sellerId: string, id: string): Promise<Dispute> {
    const row = await this.em.fork().findOne(Dispute, { id, sellerId });
    if (!row) throw notFound('Dispute');
    if (row.status !== 'open') throw conflict('This dispute is already resolved');
    return row;
  }

  /**
   * Resolves an open dispute by `ruling` inside the caller's transaction: marks it (only one
   * resolution wins a race: the update matches open disputes only) and, for the buyer, posts the
   * refund. Null if it was no longer open.
   */
  private async resolveIn(
    sql: Sql,
    id: string,
    ruling: Ruling,
    now: Date,
  ): Promise<{ buyerId: string; refundMicros: number; postingId: string | null } | null> {
    const status = ruling.outcome === 'buyer' ? 'resolved_buyer' : 'resolved_seller';
    const marked = await sql.all<{ request_id: string; buyer_id: string }>(
      "update disputes set status = ?, resolution = ?, resolved_at = ? where id = ? and status = 'open' returning request_id, buyer_id",
      [status, ruling.resolution, sql.date(now), id],
    );
    if (marked.length === 0) return null;
    if (ruling.outcome === 'seller') return { buyerId: marked[0].buyer_id, refundMicros: 0, postingId: null };
    const [record] = await sql.all<RecordRow>(
      'select request_id, buyer_id, seller_id, cost_micros, promo_micros, seller_micros, seller_promo_micros from usage_records where request_id = ?',
      [marked[0].request_id],
    );
    const buyerId = record.buyer_id;
    const sellerId = record.seller_id;
    await lockBalances(sql, now, [buyerId, PLATFORM_ACCOUNT, ...(sellerId ? [sellerId] : [])]);
    const held = sellerId
      ? ((await heldEarnings(sql, [sellerId])).get(sellerId) ?? { pending: 0, available: 0, reserved: 0 })
      : { pending: 0, available: 0, reserved: 0 };
    const sellerMicros = sellerId ? Number(record.seller_micros) : 0;
    const promoMicros = Number(record.promo_micros);
    // As creditOnlyEarnings counts a record from before the promo share was kept.
    const sellerPromoMicros =
      record.seller_promo_micros == null ? (promoMicros > 0 ? sellerMicros : 0) : Number(record.seller_promo_micros);
    const plan = planRefund(
      { costMicros: Number(record.cost_micros), promoMicros, sellerMicros, sellerPromoMicros },
      held,
      sellerId ? await creditOnlyEarnings(sql, sellerId) : 0,
    );
    const ref = (part: string) => `dispute:${id}:${part}`;
    const postings: Posting[] = [];
    const add = (accountId: string, bucket: Posting['bucket'], amountMicros: number, part: string, description: string) => {
      if (amountMicros !== 0) postings.push({ accountId, bucket, type: 'refund', amountMicros, reference: ref(part), description });
    };
    add(buyerId, 'promo', plan.buyerPromoMicros, 'promo', `Dispute refund of request ${record.request_id} (promo credit)`);
    add(buyerId, 'balance', plan.buyerBalanceMicros, 'balance', `Dispute refund of request ${record.request_id}`);
    if (sellerId) {
      add(
        sellerId,
        'earnings_reserved',
        -plan.fromReservedMicros,
        'reserved',
        `Dispute refund of request ${record.request_id}: from the reserve`,
      );
      add(
        sellerId,
        'earnings_pending',
        -plan.fromPendingMicros,
        'pending',
        `Dispute refund of request ${record.request_id}: from cooling earnings`,
      );
      add(
        sellerId,
        'earnings_available',
        -plan.fromAvailableMicros,
        'available',
        `Dispute refund of request ${record.request_id}: from available earnings`,
      );
    }
    add(PLATFORM_ACCOUNT, 'balance', -plan.platformFeeMicros, 'fee', `Dispute refund of request ${record.request_id}: the platform fee`);
    add(
      PLATFORM_ACCOUNT,
      'balance',
      -plan.platformCoverMicros,
      'cover',
      `Dispute refund of request ${record.request_id}: the seller share its earnings could not cover`,
    );
    const entryIds = await post(sql, this.deps.ids, now, postings);
    const refundMicros = plan.buyerPromoMicros + plan.buyerBalanceMicros;
    await sql.run(
      'update disputes set refund_micros = ?, seller_debit_micros = ?, platform_cover_micros = ?, seller_promo_reversed_micros = ? where id = ?',
      [
        refundMicros,
        plan.fromReservedMicros + plan.fromPendingMicros + plan.fromAvailableMicros,
        plan.platformCoverMicros,
        plan.promoReversedMicros,
        id,
      ],
    );
    return { buyerId, refundMicros, postingId: entryIds[0] ?? null };
  }

  /** The buyer's spendable balance changed: the data plane's cached budget follows (after commit). */
  private async announce(resolved: { buyerId: string; refundMicros: number; postingId: string | null } | null): Promise<void> {
    if (!resolved || !resolved.postingId || resolved.refundMicros === 0) return;
    try {
      await this.deps.bus.publish('balance.changed', {
        accountId: resolved.buyerId,
        deltaMicros: resolved.refundMicros,
        postingId: resolved.postingId,
      });
    } catch (error) {
      this.deps.log.warn(
        { subgraph: 'billing', accountId: resolved.buyerId, err: error },
        'balance.changed after a dispute refund not published',
      );
    }
  }

  private async page(where: Record<string, unknown>, page: number, pageSize: number): Promise<DisputePage> {
    const [rows, total] = await this.em
      .fork()
      .findAndCount(Dispute, where, { orderBy: { openedAt: 'desc', id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize });
    return { items: rows.map(disputeView), total, page, pageSize };
  }

  private async view(id: string): Promise<DisputeView> {
    return disputeView((await this.em.fork().findOneOrFail(Dispute, { id })) as Dispute);
  }
}
