// Usage ingestion: a batch of usage events applied in one transaction, exactly once per request
// id. Inserting the usage records with `on conflict do nothing returning` tells which events are
// new; only those move money (buyer debit, seller earning, platform fee) and counters.
import type { EntityManager } from '@mikro-orm/knex';
import type { IdGenerator, Clock } from '../../common/runtime';
import { badInput } from '../../common/errors';
import { utcDay } from '../../common/cycles';
import type { UsageEvent } from '../../common/events';
import { splitPrice, type BillingSettings } from '../settings';
import { chunks, placeholders, sqlFor, type Sql } from '../sql';
import { post, PLATFORM_ACCOUNT, type Posting } from './ledger';

export const MAX_USAGE_BATCH = 5000;
const MAX_COST_MICROS = 1_000_000 * 1_000_000;
const CAPABILITIES = new Set(['chat', 'embeddings', 'speech']);
const STATUSES = new Set(['completed', 'failed']);

export interface ApplyUsageResult {
  applied: number;
  duplicates: number;
}

const USAGE_COLUMNS = [
  'request_id', 'key_id', 'buyer_id', 'group_id', 'listing_id', 'seller_id', 'model', 'capability',
  'input_tokens', 'output_tokens', 'characters', 'cost_micros', 'seller_micros', 'fee_micros', 'reserve_micros',
  'latency_ms', 'ttft_ms', 'status', 'occurred_at', 'occurred_hour', 'available_at', 'reserve_release_at',
];

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
      const fresh = await this.insertRecords(sql, unique);
      await this.applyMoney(sql, fresh);
      await this.countUsage(sql, fresh);
      return { applied: fresh.length, duplicates: events.length - fresh.length };
    });
  }

  private async insertRecords(sql: Sql, events: UsageEvent[]): Promise<UsageEvent[]> {
    const { settings } = this.deps;
    const inserted = new Set<string>();
    for (const rows of chunks(events, USAGE_COLUMNS.length)) {
      const params = rows.flatMap((e) => {
        const occurredAt = new Date(e.occurredAt);
        const split = splitPrice(e.costMicros, settings);
        const availableAt = new Date(occurredAt.getTime() + settings.earningsCooldownMs);
        return [
          e.requestId, e.keyId, e.buyerId, e.groupId ?? null, e.listingId ?? null, e.sellerId ?? null, e.model, e.capability,
          e.inputTokens, e.outputTokens, e.characters, e.costMicros, e.sellerId ? split.sellerMicros : 0, e.sellerId ? split.feeMicros : e.costMicros,
          e.sellerId ? split.reserveMicros : 0, Math.round(e.latencyMs), e.ttftMs ?? null, e.status,
          sql.date(occurredAt), occurredAt.toISOString().slice(0, 13), sql.date(availableAt), sql.date(new Date(availableAt.getTime() + settings.reserveHoldMs)),
        ];
      });
      const returned = await sql.all<{ request_id: string }>(
        `insert into usage_records (${USAGE_COLUMNS.join(', ')}) values ${placeholders(USAGE_COLUMNS.length, rows.length)} on conflict (request_id) do nothing returning request_id`,
        params,
      );
      for (const row of returned) inserted.add(row.request_id);
    }
    return events.filter((e) => inserted.has(e.requestId));
  }

  private async applyMoney(sql: Sql, events: UsageEvent[]): Promise<void> {
    const { settings } = this.deps;
    const debits = new Map<string, { micros: number; count: number }>();
    const earnings = new Map<string, { micros: number; count: number }>();
    let fees = 0;
    let feeCount = 0;
    for (const e of events) {
      if (e.costMicros === 0) continue;
      const debit = debits.get(e.buyerId) ?? { micros: 0, count: 0 };
      debit.micros += e.costMicros;
      debit.count++;
      debits.set(e.buyerId, debit);
      const split = e.sellerId ? splitPrice(e.costMicros, settings) : { sellerMicros: 0, feeMicros: e.costMicros };
      if (e.sellerId && split.sellerMicros > 0) {
        const earning = earnings.get(e.sellerId) ?? { micros: 0, count: 0 };
        earning.micros += split.sellerMicros;
        earning.count++;
        earnings.set(e.sellerId, earning);
      }
      fees += split.feeMicros;
      feeCount++;
    }
    const postings: Posting[] = [];
    for (const [accountId, { micros, count }] of debits) postings.push({ accountId, bucket: 'balance', type: 'usage_debit', amountMicros: -micros, requestCount: count, description: `Usage: ${count} request${count === 1 ? '' : 's'}` });
    for (const [accountId, { micros, count }] of earnings) postings.push({ accountId, bucket: 'earnings_pending', type: 'seller_earning', amountMicros: micros, requestCount: count, description: `Earnings: ${count} request${count === 1 ? '' : 's'} (cooling)` });
    if (fees > 0) postings.push({ accountId: PLATFORM_ACCOUNT, bucket: 'balance', type: 'platform_fee', amountMicros: fees, requestCount: feeCount, description: `Platform fees: ${feeCount} request${feeCount === 1 ? '' : 's'}` });
    await post(sql, this.deps.ids, this.deps.clock.now(), postings);
  }

  private async countUsage(sql: Sql, events: UsageEvent[]): Promise<void> {
    const perKey = new Map<string, { accountId: string; micros: number; count: number }>();
    const perKeyDay = new Map<string, { keyId: string; day: string; accountId: string; micros: number; count: number }>();
    const perGroupMonth = new Map<string, { groupId: string; month: string; micros: number }>();
    for (const e of events) {
      const day = utcDay(new Date(e.occurredAt));
      const key = perKey.get(e.keyId) ?? { accountId: e.buyerId, micros: 0, count: 0 };
      key.micros += e.costMicros;
      key.count++;
      perKey.set(e.keyId, key);
      const kd = perKeyDay.get(`${e.keyId}|${day}`) ?? { keyId: e.keyId, day, accountId: e.buyerId, micros: 0, count: 0 };
      kd.micros += e.costMicros;
      kd.count++;
      perKeyDay.set(`${e.keyId}|${day}`, kd);
      if (e.groupId) {
        const gm = perGroupMonth.get(`${e.groupId}|${day.slice(0, 7)}`) ?? { groupId: e.groupId, month: day.slice(0, 7), micros: 0 };
        gm.micros += e.costMicros;
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

function validate(e: UsageEvent, index: number): void {
  const where = `events[${index}]`;
  const nonNegativeInt = (value: unknown, name: string, max = 2_000_000_000) => {
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max) throw badInput(`${where}.${name} must be a non-negative integer`, { field: name });
  };
  if (typeof e.requestId !== 'string' || e.requestId.length === 0 || e.requestId.length > 64) throw badInput(`${where}.requestId must be 1 to 64 characters`, { field: 'requestId' });
  if (!CAPABILITIES.has(e.capability)) throw badInput(`${where}.capability must be chat, embeddings or speech`, { field: 'capability' });
  if (!STATUSES.has(e.status)) throw badInput(`${where}.status must be completed or failed`, { field: 'status' });
  nonNegativeInt(e.inputTokens, 'inputTokens');
  nonNegativeInt(e.outputTokens, 'outputTokens');
  nonNegativeInt(e.characters, 'characters');
  nonNegativeInt(e.costMicros, 'costMicros', MAX_COST_MICROS);
  nonNegativeInt(Math.round(e.latencyMs), 'latencyMs');
  if (e.status === 'failed' && e.costMicros !== 0) throw badInput(`${where}: a failed request is never charged`, { field: 'costMicros' });
  if (Number.isNaN(new Date(e.occurredAt).getTime())) throw badInput(`${where}.occurredAt must be an ISO timestamp`, { field: 'occurredAt' });
}
