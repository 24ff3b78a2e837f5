// Billing's reads: balances, the ledger, usage windows, one request's record, seller earnings.
// Every figure is the caller's own (or the platform's, for the service principal).
import type { EntityManager } from '@mikro-orm/knex';
import { accountOf, type Principal } from '../../common/principal';
import { Money } from '../../common/graphql-types';
import { badInput, notFound } from '../../common/errors';
import type { Clock } from '../../common/runtime';
import type { Cycle } from '../../common/cycles';
import { LedgerEntry } from '../entities/LedgerEntry';
import { UsageRecord } from '../entities/UsageRecord';
import type { BillingLoaders } from '../loaders';
import { readDate, sqlFor } from '../sql';
import { requireBuyer, requireRequestOwner, requireSeller, seesBuyerMoneyOf, seesSellerMoneyOf } from './access';
import { PLATFORM_ACCOUNT } from './ledger';
import type { ReceiptService } from './receipts';
import {
  EarningsInterval,
  type DailyUsage,
  type EarningsBucket,
  type EarningsSummary,
  type Generation,
  type MonthlyEarnings,
  type ReserveEntry,
  type Transaction,
  type UsageSummary,
} from '../types/money-views';

const DAY_MS = 86_400_000;
const MAX_WINDOW_DAYS = 366;

export interface Window {
  from: Date;
  to: Date;
}

export class BillingService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: BillingLoaders,
    private readonly clock: Clock,
  ) {}

  /**
   * An account's spendable balance (paid balance + promo credit), for the account itself (or the
   * platform) only. Everyone reads this one figure: the dashboard, REST, the data plane's budget.
   */
  async balanceOf(principal: Principal, accountId: string): Promise<Money | null> {
    if (!canSee(principal, accountId)) return null;
    // The balance is buyer money: a seller-scope management key of the same account may not read it.
    if (principal.kind === 'management') requireBuyer(principal);
    const row = await this.loaders.balanceByAccount.load(accountId);
    return Money.of(Number(row?.balanceMicros ?? 0) + Number(row?.promoMicros ?? 0));
  }

  /** Everything a key has spent; zero until usage exists. Someone else's key reads as null. */
  async usageInTotal(principal: Principal, keyId: string): Promise<Money | null> {
    const row = await this.loaders.usageByKey.load(keyId);
    if (row && !seesBuyerMoneyOf(principal, row.accountId)) return null;
    return Money.of(Number(row?.totalMicros ?? 0));
  }

  /** Spend in the key's current cycle window (UTC); without a cycle, everything it has spent. */
  async usageInCycle(principal: Principal, keyId: string, cycle: Cycle | null | undefined): Promise<Money | null> {
    if (!cycle) return this.usageInTotal(principal, keyId);
    const usage = await this.loaders.usageInCycle.load(`${cycle}:${keyId}`);
    if (usage.accountId && !seesBuyerMoneyOf(principal, usage.accountId)) return null;
    return Money.of(usage.micros);
  }

  /**
   * A group's spend this month. Group ids are unguessable and the figure says nothing about who
   * owns the group; accounts only hands a group to its owner (or the platform).
   */
  async groupUsageThisMonth(principal: Principal, groupId: string): Promise<Money | null> {
    if (principal.kind === 'anonymous') return null;
    return Money.of(await this.loaders.groupUsageThisMonth.load(groupId));
  }

  async transactions(principal: Principal, page: number, pageSize: number) {
    const accountId = requireBuyer(principal);
    checkPage(page, pageSize);
    const [rows, total] = await this.em.findAndCount(
      LedgerEntry,
      { accountId },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
    );
    const items: Transaction[] = rows.map((row) => ({
      id: row.id,
      type: row.type,
      bucket: row.bucket,
      amount: Money.of(Number(row.amountMicros)),
      balanceAfter: Money.of(Number(row.balanceAfterMicros)),
      requestCount: row.requestCount,
      description: row.description,
      createdAt: row.createdAt,
    }));
    return { items, total, page, pageSize };
  }

  window(from?: Date | null, to?: Date | null): Window {
    const end = to ?? this.clock.now();
    const start = from ?? new Date(end.getTime() - 30 * DAY_MS);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()))
      throw badInput('from and to must be ISO timestamps', { field: 'from' });
    if (start >= end) throw badInput('from must be before to', { field: 'from' });
    if (end.getTime() - start.getTime() > MAX_WINDOW_DAYS * DAY_MS)
      throw badInput(`a window spans at most ${MAX_WINDOW_DAYS} days`, { field: 'from' });
    return { from: start, to: end };
  }

  async usage(principal: Principal, window: Window): Promise<UsageSummary> {
    const buyerId = requireBuyer(principal);
    const sql = sqlFor(this.em);
    const [row] = await sql.all<Record<string, number | string | null>>(
      `select count(*) as requests, coalesce(sum(input_tokens), 0) as input_tokens, coalesce(sum(output_tokens), 0) as output_tokens,
              coalesce(sum(characters), 0) as characters, coalesce(sum(cost_micros), 0) as cost
       from usage_records where buyer_id = ? and occurred_at >= ? and occurred_at < ?`,
      [buyerId, sql.date(window.from), sql.date(window.to)],
    );
    return summary(window, row);
  }

  async usageByKey(principal: Principal, window: Window) {
    const buyerId = requireBuyer(principal);
    const sql = sqlFor(this.em);
    const rows = await sql.all<Record<string, number | string | null>>(
      `select key_id, count(*) as requests, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(characters) as characters, sum(cost_micros) as cost
       from usage_records where buyer_id = ? and occurred_at >= ? and occurred_at < ? group by key_id order by sum(cost_micros) desc, key_id`,
      [buyerId, sql.date(window.from), sql.date(window.to)],
    );
    return rows.map((row) => ({ ...summary(window, row), keyId: String(row.key_id), apiKey: { id: String(row.key_id) } }));
  }

  async usageDaily(principal: Principal, window: Window): Promise<DailyUsage[]> {
    const buyerId = requireBuyer(principal);
    const sql = sqlFor(this.em);
    const rows = await sql.all<Record<string, number | string>>(
      `select substr(occurred_hour, 1, 10) as day, count(*) as requests, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(cost_micros) as cost
       from usage_records where buyer_id = ? and occurred_at >= ? and occurred_at < ? group by substr(occurred_hour, 1, 10) order by day`,
      [buyerId, sql.date(window.from), sql.date(window.to)],
    );
    return rows.map((row) => ({
      day: String(row.day),
      requests: Number(row.requests),
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      cost: Money.of(Number(row.cost)),
    }));
  }

  /**
   * One request's record and its signed receipt: for its buyer (a buyer key reads only its own
   * requests), or, `as: 'seller'`, for the seller whose listing served it. Anyone else: NOT_FOUND.
   */
  async generation(
    principal: Principal,
    requestId: string,
    receipts: ReceiptService,
    as: 'buyer' | 'seller' = 'buyer',
  ): Promise<Generation> {
    let record: UsageRecord | null;
    if (as === 'seller') {
      record = await this.em.findOne(UsageRecord, { requestId, sellerId: requireSeller(principal) });
    } else {
      record = await this.em.findOne(UsageRecord, { requestId, buyerId: requireRequestOwner(principal) });
      if (record && principal.kind === 'buyer-key' && record.keyId !== principal.keyId) record = null;
    }
    if (!record) throw notFound('Generation');
    const signed = record;
    return {
      // Signed only when selected (most reads of a record do not ask for it).
      get receipt() {
        return receipts.sign(signed);
      },
      id: record.requestId,
      model: record.model,
      capability: record.capability,
      listingId: record.listingId ?? null,
      keyId: record.keyId,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      characters: record.characters,
      cost: Money.of(Number(record.costMicros)),
      latencyMs: record.latencyMs,
      timeToFirstTokenMs: record.ttftMs ?? null,
      status: record.status,
      createdAt: record.occurredAt,
      metering: {
        reportedInputTokens: record.reportedInputTokens ?? null,
        reportedOutputTokens: record.reportedOutputTokens ?? null,
        countedInputTokens: record.countedInputTokens ?? null,
        countedOutputTokens: record.countedOutputTokens ?? null,
        cachedInputTokens: record.cachedInputTokens ?? null,
        reasoningTokens: record.reasoningTokens ?? null,
        servedModel: record.servedModel ?? null,
        flags: record.meteringFlags ? record.meteringFlags.split(',') : [],
      },
    };
  }

  async earningsSummary(principal: Principal): Promise<EarningsSummary> {
    const sellerId = requireSeller(principal);
    const balance = await this.loaders.balanceByAccount.load(sellerId);
    const sql = sqlFor(this.em);
    const [row] = await sql.all<Record<string, number | string>>(
      'select count(*) as requests, coalesce(sum(seller_micros), 0) as lifetime from usage_records where seller_id = ?',
      [sellerId],
    );
    return {
      pending: Money.of(Number(balance?.earningsPendingMicros ?? 0)),
      available: Money.of(Number(balance?.earningsAvailableMicros ?? 0)),
      reserved: Money.of(Number(balance?.earningsReservedMicros ?? 0)),
      lifetime: Money.of(Number(row.lifetime)),
      requests: Number(row.requests),
    };
  }

  async earnings(principal: Principal, page: number, pageSize: number) {
    const sellerId = requireSeller(principal);
    checkPage(page, pageSize);
    const [rows, total] = await this.em.findAndCount(
      UsageRecord,
      { sellerId },
      { orderBy: { occurredAt: 'desc', requestId: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
    );
    const items = rows.map((row) => ({
      requestId: row.requestId,
      listingId: row.listingId ?? null,
      model: row.model,
      price: Money.of(Number(row.costMicros)),
      amount: Money.of(Number(row.sellerMicros)),
      reserve: Money.of(Number(row.reserveMicros)),
      state: row.reserveReleasedAt ? 'reserve_released' : row.settledAt ? 'available' : 'cooling',
      earnedAt: row.occurredAt,
      availableAt: row.availableAt,
      reserveReleaseAt: row.reserveReleaseAt,
    }));
    return { items, total, page, pageSize };
  }

  async earningsTimeseries(principal: Principal, interval: EarningsInterval, window: Window): Promise<EarningsBucket[]> {
    const sellerId = requireSeller(principal);
    if (interval === EarningsInterval.HOUR && window.to.getTime() - window.from.getTime() > 31 * DAY_MS)
      throw badInput('an hourly series spans at most 31 days', { field: 'from' });
    const width = interval === EarningsInterval.HOUR ? 13 : 10;
    const sql = sqlFor(this.em);
    const rows = await sql.all<Record<string, number | string>>(
      `select substr(occurred_hour, 1, ${width}) as bucket, count(*) as requests, sum(seller_micros) as amount
       from usage_records where seller_id = ? and occurred_at >= ? and occurred_at < ? group by substr(occurred_hour, 1, ${width}) order by bucket`,
      [sellerId, sql.date(window.from), sql.date(window.to)],
    );
    return rows.map((row) => ({ bucket: String(row.bucket), amount: Money.of(Number(row.amount)), requests: Number(row.requests) }));
  }

  async earningsMonthly(principal: Principal): Promise<MonthlyEarnings[]> {
    const sellerId = requireSeller(principal);
    const sql = sqlFor(this.em);
    const rows = await sql.all<Record<string, number | string>>(
      `select substr(occurred_hour, 1, 7) as month, count(*) as requests, sum(seller_micros) as amount, sum(fee_micros) as fees
       from usage_records where seller_id = ? group by substr(occurred_hour, 1, 7) order by month desc limit 24`,
      [sellerId],
    );
    return rows.map((row) => ({
      month: String(row.month),
      amount: Money.of(Number(row.amount)),
      fees: Money.of(Number(row.fees)),
      requests: Number(row.requests),
    }));
  }

  async reserve(principal: Principal, includeReleased: boolean, limit: number): Promise<ReserveEntry[]> {
    const sellerId = requireSeller(principal);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badInput('limit must be an integer from 1 to 500', { field: 'limit' });
    const sql = sqlFor(this.em);
    const rows = await sql.all<Record<string, unknown>>(
      `select request_id, reserve_micros, reserve_release_at, reserve_released_at from usage_records
       where seller_id = ? and reserve_micros > 0 ${includeReleased ? '' : 'and reserve_released_at is null'} order by reserve_release_at, request_id limit ?`,
      [sellerId, limit],
    );
    return rows.map((row) => ({
      requestId: String(row.request_id),
      amount: Money.of(Number(row.reserve_micros)),
      releaseAt: readDate(row.reserve_release_at),
      released: row.reserve_released_at != null,
    }));
  }

  private reserveHeld: Promise<number> | null = null;

  /**
   * Public (the network overview's `totalStakedLPT`): the reserve held for all sellers right now,
   * the sum of their earnings_reserved buckets, in micro-USD. An aggregate; no seller's own figure.
   * Read once per request.
   */
  networkReserveHeldMicros(): Promise<number> {
    this.reserveHeld ??= sqlFor(this.em)
      .all<{ micros: number | string | null }>(
        'select coalesce(sum(earnings_reserved_micros), 0) as micros from account_balances where account_id <> ?',
        [PLATFORM_ACCOUNT],
      )
      .then(([row]) => Number(row?.micros ?? 0));
    return this.reserveHeld;
  }

  /** A listing's earnings, for its seller only. */
  async listingEarnings(principal: Principal, listingId: string): Promise<Money | null> {
    const earned = await this.loaders.earningsByListing.load(listingId);
    if (earned.sellerId && !seesSellerMoneyOf(principal, earned.sellerId)) return null;
    return Money.of(earned.micros);
  }
}

function summary(window: Window, row: Record<string, number | string | null>): UsageSummary {
  return {
    from: window.from,
    to: window.to,
    requests: Number(row.requests ?? 0),
    inputTokens: Number(row.input_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    characters: Number(row.characters ?? 0),
    cost: Money.of(Number(row.cost ?? 0)),
  };
}

function checkPage(page: number, pageSize: number): void {
  if (!Number.isInteger(page) || page < 1) throw badInput('page must be an integer ≥ 1', { field: 'page' });
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    throw badInput('page size must be an integer from 1 to 100', { field: 'pageSize' });
}

function canSee(principal: Principal, accountId: string): boolean {
  return principal.kind === 'service' || accountOf(principal) === accountId;
}
