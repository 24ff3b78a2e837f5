// Usage ingestion: a batch of usage events applied in one transaction, exactly once per request
// id. The accounts the batch touches are locked first; then the events not yet recorded are the
// fresh ones, and only those move money (buyer debit, seller earning, platform fee) and counters.
//
// A buyer's balance never goes below zero: the fresh events of a buyer are charged in order, each
// at most what the buyer has left (promo credit first, then paid balance); what could not be
// collected is recorded on the usage record. The seller's split comes from what was charged, so no
// money is created. The promo-funded part of a request to the buyer's own listing earns its seller
// nothing: that share goes to the platform fee, so free credit cannot be turned into earnings.
// Any other seller's share of a promo-funded charge is kept on the record (seller_promo_micros):
// it can become promo credit, never a payout (payouts.ts).
import type { EntityManager } from '@mikro-orm/knex';
import type { IdGenerator, Clock } from '../../common/runtime';
import { badInput } from '../../common/errors';
import { utcDay } from '../../common/cycles';
import type { UsageEvent } from '../../common/events';
import { splitPrice, type BillingSettings } from '../settings';
import { chunks, placeholders, sqlFor, type Sql } from '../sql';
import { lockBalances, post, PLATFORM_ACCOUNT, type LockedBalance, type Posting } from './ledger';

export const MAX_USAGE_BATCH = 5000;
const MAX_COST_MICROS = 1_000_000 * 1_000_000;
const CAPABILITIES = new Set(['chat', 'embeddings', 'speech']);
const STATUSES = new Set(['completed', 'failed', 'cancelled']);

export interface ApplyUsageResult {
  applied: number;
  duplicates: number;
}

/** A fresh event and what it moves: `costMicros` is what the buyer is charged (capped). */
interface Charge {
  event: UsageEvent;
  costMicros: number;
  /** The part of `costMicros` paid from promo credit; the rest came from the paid balance. */
  promoMicros: number;
  uncollectedMicros: number;
  sellerMicros: number;
  /** The seller's share of the promo-funded part (part of sellerMicros): credit-only earnings. */
  sellerPromoMicros: number;
  feeMicros: number;
  reserveMicros: number;
}

const USAGE_COLUMNS = [
  'request_id',
  'key_id',
  'buyer_id',
  'group_id',
  'listing_id',
  'seller_id',
  'model',
  'capability',
  'input_tokens',
  'output_tokens',
  'characters',
  'cost_micros',
  'uncollected_micros',
  'promo_micros',
  'seller_micros',
  'fee_micros',
  'reserve_micros',
  'latency_ms',
  'ttft_ms',
  'status',
  'occurred_at',
  'occurred_hour',
  'available_at',
  'reserve_release_at',
  'reported_input_tokens',
  'reported_output_tokens',
  'counted_input_tokens',
  'counted_output_tokens',
  'cached_input_tokens',
  'reasoning_tokens',
  'served_model',
  'metering_flags',
  'seller_promo_micros',
  'end_user',
  'tags',
  'metadata',
];
const TAG_COLUMNS = ['request_id', 'tag', 'buyer_id', 'occurred_at'];

export class UsageService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: { ids: IdGenerator; clock: Clock; settings: BillingSettings },
  ) {}

  async apply(events: readonly UsageEvent[]): Promise<ApplyUsageResult> {
    if (events.length > MAX_USAGE_BATCH) throw badInput(`a batch holds at most ${MAX_USAGE_BATCH} events`, { field: 'events' });
    events.forEach(validate);
    // The same request twice in one batch counts once.
    const unique = [...new Map(events.map((e) => [e.requestId, e])).values()];
    if (unique.length === 0) return { applied: 0, duplicates: 0 };
    return this.em.transactional(async (em) => {
      const sql = sqlFor(em as EntityManager);
      const accounts = new Set<string>([PLATFORM_ACCOUNT]);
      for (const e of unique) {
        accounts.add(e.buyerId);
        if (e.sellerId) accounts.add(e.sellerId);
      }
      // Held to the end of the transaction: the balances read here are the ones debited, and a
      // concurrent batch with the same request (hence the same buyer) waits, so it sees this
      // batch's records when it looks for its fresh events.
      const balances = await lockBalances(sql, this.deps.clock.now(), accounts);
      const fresh = await this.freshEvents(sql, unique);
      const charges = this.charge(fresh, balances);
      await this.insertRecords(sql, charges);
      await this.applyMoney(sql, charges);
      await this.countUsage(sql, charges);
      return { applied: charges.length, duplicates: events.length - charges.length };
    });
  }

  /** The events without a usage record yet, in the batch's order. */
  private async freshEvents(sql: Sql, events: UsageEvent[]): Promise<UsageEvent[]> {
    const recorded = new Set<string>();
    for (const { condition, params } of sql.inList(
      'request_id',
      events.map((e) => e.requestId),
    )) {
      for (const row of await sql.all<{ request_id: string }>(`select request_id from usage_records where ${condition}`, params))
        recorded.add(row.request_id);
    }
    return events.filter((e) => !recorded.has(e.requestId));
  }

  /** Walks each buyer's fresh events in order against what the buyer has left (promo first). */
  private charge(events: UsageEvent[], balances: Map<string, LockedBalance>): Charge[] {
    const { settings } = this.deps;
    const left = new Map<string, { promo: number; balance: number }>();
    return events.map((event) => {
      let wallet = left.get(event.buyerId);
      if (!wallet) {
        const locked = balances.get(event.buyerId) ?? { balanceMicros: 0, promoMicros: 0 };
        wallet = { promo: Math.max(0, locked.promoMicros), balance: locked.balanceMicros };
        left.set(event.buyerId, wallet);
      }
      // A balance already below zero (recorded before this floor existed) is spent from promo only.
      const costMicros = Math.min(event.costMicros, Math.max(0, wallet.promo + wallet.balance));
      const promoMicros = Math.min(costMicros, wallet.promo);
      wallet.promo -= promoMicros;
      wallet.balance -= costMicros - promoMicros;
      const earnable = !event.sellerId ? 0 : event.sellerId === event.buyerId ? costMicros - promoMicros : costMicros;
      const { sellerMicros, reserveMicros } = splitPrice(earnable, settings);
      // The share the paid part alone would earn is withdrawable; the rest (the rounding included)
      // came from free credit. Self-dealing earns nothing from promo, so it has no promo share.
      const paidEarnable = !event.sellerId ? 0 : costMicros - promoMicros;
      const sellerPromoMicros = sellerMicros - Math.min(sellerMicros, splitPrice(paidEarnable, settings).sellerMicros);
      return {
        event,
        costMicros,
        promoMicros,
        uncollectedMicros: event.costMicros - costMicros,
        sellerMicros,
        sellerPromoMicros,
        feeMicros: costMicros - sellerMicros,
        reserveMicros,
      };
    });
  }

  private async insertRecords(sql: Sql, charges: Charge[]): Promise<void> {
    const { settings } = this.deps;
    const records = charges.map((c) => {
      const e = c.event;
      const occurredAt = new Date(e.occurredAt);
      const availableAt = new Date(occurredAt.getTime() + settings.earningsCooldownMs);
      return [
        e.requestId,
        e.keyId,
        e.buyerId,
        e.groupId ?? null,
        e.listingId ?? null,
        e.sellerId ?? null,
        e.model,
        e.capability,
        e.inputTokens,
        e.outputTokens,
        e.characters,
        c.costMicros,
        c.uncollectedMicros,
        c.promoMicros,
        c.sellerMicros,
        c.feeMicros,
        c.reserveMicros,
        Math.round(e.latencyMs),
        e.ttftMs ?? null,
        e.status,
        sql.date(occurredAt),
        occurredAt.toISOString().slice(0, 13),
        sql.date(availableAt),
        sql.date(new Date(availableAt.getTime() + settings.reserveHoldMs)),
        evidenceCount(e.reportedInputTokens),
        evidenceCount(e.reportedOutputTokens),
        evidenceCount(e.countedInputTokens),
        evidenceCount(e.countedOutputTokens),
        evidenceCount(e.cachedInputTokens),
        evidenceCount(e.reasoningTokens),
        evidenceText(e.servedModel),
        evidenceText(e.meteringFlags),
        c.sellerPromoMicros,
        attributionUser(e.endUser),
        attributionTags(e.tags).join(',') || null,
        attributionMetadata(e.metadata),
      ];
    });
    const inserted = (
      await sql.insertRows<{ request_id: string }>(
        'usage_records',
        USAGE_COLUMNS,
        records,
        'on conflict (request_id) do nothing returning request_id',
      )
    ).length;
    // Only a request id replayed with another buyer can get here (its batch did not wait on this
    // one's lock): roll back rather than move money twice; the data plane retries the batch.
    if (inserted !== charges.length) throw new Error('usage batch raced another batch with the same request ids; retry it');
    const tagRows = charges.flatMap(({ event: e }) =>
      attributionTags(e.tags).map((tag) => [e.requestId, tag, e.buyerId, sql.date(new Date(e.occurredAt))]),
    );
    await sql.insertRows('usage_tags', TAG_COLUMNS, tagRows, 'on conflict do nothing');
  }

  private async applyMoney(sql: Sql, charges: Charge[]): Promise<void> {
    type Sum = { micros: number; count: number };
    const add = (sums: Map<string, Sum>, accountId: string, micros: number) => {
      if (micros === 0) return;
      const sum = sums.get(accountId) ?? { micros: 0, count: 0 };
      sum.micros += micros;
      sum.count++;
      sums.set(accountId, sum);
    };
    const balanceDebits = new Map<string, Sum>();
    const promoDebits = new Map<string, Sum>();
    const earnings = new Map<string, Sum>();
    let fees = 0;
    let feeCount = 0;
    for (const c of charges) {
      if (c.costMicros === 0) continue;
      add(promoDebits, c.event.buyerId, c.promoMicros);
      add(balanceDebits, c.event.buyerId, c.costMicros - c.promoMicros);
      if (c.event.sellerId) add(earnings, c.event.sellerId, c.sellerMicros);
      fees += c.feeMicros;
      feeCount++;
    }
    const requests = (count: number) => `${count} request${count === 1 ? '' : 's'}`;
    const postings: Posting[] = [];
    for (const [accountId, { micros, count }] of promoDebits)
      postings.push({
        accountId,
        bucket: 'promo',
        type: 'usage_debit',
        amountMicros: -micros,
        requestCount: count,
        description: `Usage: ${requests(count)} (promo credit)`,
      });
    for (const [accountId, { micros, count }] of balanceDebits)
      postings.push({
        accountId,
        bucket: 'balance',
        type: 'usage_debit',
        amountMicros: -micros,
        requestCount: count,
        description: `Usage: ${requests(count)}`,
      });
    for (const [accountId, { micros, count }] of earnings)
      postings.push({
        accountId,
        bucket: 'earnings_pending',
        type: 'seller_earning',
        amountMicros: micros,
        requestCount: count,
        description: `Earnings: ${requests(count)} (cooling)`,
      });
    if (fees > 0)
      postings.push({
        accountId: PLATFORM_ACCOUNT,
        bucket: 'balance',
        type: 'platform_fee',
        amountMicros: fees,
        requestCount: feeCount,
        description: `Platform fees: ${requests(feeCount)}`,
      });
    await post(sql, this.deps.ids, this.deps.clock.now(), postings);
  }

  /** Counters of what was charged (the capped cost), like the usage records they summarize. */
  private async countUsage(sql: Sql, charges: Charge[]): Promise<void> {
    const perKey = new Map<string, { accountId: string; micros: number; count: number }>();
    const perKeyDay = new Map<string, { keyId: string; day: string; accountId: string; micros: number; count: number }>();
    const perGroupMonth = new Map<string, { groupId: string; month: string; micros: number }>();
    for (const { event: e, costMicros } of charges) {
      const day = utcDay(new Date(e.occurredAt));
      const key = perKey.get(e.keyId) ?? { accountId: e.buyerId, micros: 0, count: 0 };
      key.micros += costMicros;
      key.count++;
      perKey.set(e.keyId, key);
      const kd = perKeyDay.get(`${e.keyId}|${day}`) ?? { keyId: e.keyId, day, accountId: e.buyerId, micros: 0, count: 0 };
      kd.micros += costMicros;
      kd.count++;
      perKeyDay.set(`${e.keyId}|${day}`, kd);
      if (e.groupId) {
        const gm = perGroupMonth.get(`${e.groupId}|${day.slice(0, 7)}`) ?? { groupId: e.groupId, month: day.slice(0, 7), micros: 0 };
        gm.micros += costMicros;
        perGroupMonth.set(`${e.groupId}|${day.slice(0, 7)}`, gm);
      }
    }
    for (const rows of chunks([...perKey], 4)) {
      await sql.run(
        `insert into key_usage (key_id, account_id, total_micros, request_count) values ${placeholders(4, rows.length)}
         on conflict (key_id) do update set total_micros = key_usage.total_micros + excluded.total_micros, request_count = key_usage.request_count + excluded.request_count`,
        rows.flatMap(([keyId, v]) => [keyId, v.accountId, v.micros, v.count]),
      );
    }
    for (const rows of chunks([...perKeyDay.values()], 5)) {
      await sql.run(
        `insert into key_usage_daily (key_id, day, account_id, micros, requests) values ${placeholders(5, rows.length)}
         on conflict (key_id, day) do update set micros = key_usage_daily.micros + excluded.micros, requests = key_usage_daily.requests + excluded.requests`,
        rows.flatMap((v) => [v.keyId, v.day, v.accountId, v.micros, v.count]),
      );
    }
    for (const rows of chunks([...perGroupMonth.values()], 3)) {
      await sql.run(
        `insert into group_usage_monthly (group_id, month, micros) values ${placeholders(3, rows.length)}
         on conflict (group_id, month) do update set micros = group_usage_monthly.micros + excluded.micros`,
        rows.flatMap((v) => [v.groupId, v.month, v.micros]),
      );
    }
  }
}

/** Evidence never fails a batch (the money in it must still move): what does not fit is dropped. */
function evidenceCount(value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? Math.min(value as number, 2_000_000_000) : null;
}

function evidenceText(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : null;
}

// Attribution, like evidence, never fails a batch (the gateway checked it at the parse stage):
// what does not fit the rules is dropped rather than stored.
const TAG = /^[A-Za-z0-9_.:-]{1,64}$/;

function attributionUser(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 256) : null;
}

export function attributionTags(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((tag): tag is string => typeof tag === 'string' && TAG.test(tag)))].slice(0, 10);
}

function attributionMetadata(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  const pairs = value
    .filter(
      (p): p is { key: string; value: string } =>
        typeof p?.key === 'string' && typeof p?.value === 'string' && p.key.length > 0 && p.key.length <= 64 && p.value.length <= 512,
    )
    .slice(0, 16)
    .map(({ key, value: v }) => ({ key, value: v }));
  return pairs.length > 0 ? JSON.stringify(pairs) : null;
}

function validate(e: UsageEvent, index: number): void {
  const where = `events[${index}]`;
  const nonNegativeInt = (value: unknown, name: string, max = 2_000_000_000) => {
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max)
      throw badInput(`${where}.${name} must be a non-negative integer`, { field: name });
  };
  if (typeof e.requestId !== 'string' || e.requestId.length === 0 || e.requestId.length > 64)
    throw badInput(`${where}.requestId must be 1 to 64 characters`, { field: 'requestId' });
  if (!CAPABILITIES.has(e.capability)) throw badInput(`${where}.capability must be chat, embeddings or speech`, { field: 'capability' });
  if (!STATUSES.has(e.status)) throw badInput(`${where}.status must be completed, failed or cancelled`, { field: 'status' });
  nonNegativeInt(e.inputTokens, 'inputTokens');
  nonNegativeInt(e.outputTokens, 'outputTokens');
  nonNegativeInt(e.characters, 'characters');
  nonNegativeInt(e.costMicros, 'costMicros', MAX_COST_MICROS);
  nonNegativeInt(Math.round(e.latencyMs), 'latencyMs');
  if (e.status === 'failed' && e.costMicros !== 0) throw badInput(`${where}: a failed request is never charged`, { field: 'costMicros' });
  if (Number.isNaN(new Date(e.occurredAt).getTime()))
    throw badInput(`${where}.occurredAt must be an ISO timestamp`, { field: 'occurredAt' });
}
