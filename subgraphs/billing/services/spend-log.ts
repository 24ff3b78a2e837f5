// The buyer's spend log and its usage breakdowns: every request of the caller's account, newest
// first, cursor-paged (keyset on occurred_at, request_id: a page costs the same however deep) and
// filtered; and usage in a window grouped by model, tag or end user. Buyer money: the dashboard
// user or a buyer/full management key, exactly as `usage`.
import type { EntityManager } from '@mikro-orm/knex';
import type { Principal } from '../../common/principal';
import { Money } from '../../common/graphql-types';
import { badInput } from '../../common/errors';
import { UsageRecord } from '../entities/UsageRecord';
import { readDate, sqlFor } from '../sql';
import { requireBuyer } from './access';
import type { Window } from './billing';
import type { ReceiptService } from './receipts';
import type { SpendLogEntry, SpendLogPage, UsageBreakdownRow } from '../types/money-views';

export const MAX_SPEND_LOG_PAGE = 200;
export const DEFAULT_SPEND_LOG_PAGE = 50;
export const MAX_BREAKDOWN_ROWS = 1000;
const STATUSES = new Set(['completed', 'failed', 'cancelled']);
const TAG = /^[A-Za-z0-9_.:-]{1,64}$/;
/** `<occurred_at ms>:<request id>`, base64url: opaque to clients, checked strictly when it comes back. */
const CURSOR = /^(\d{1,15}):([\x21-\x7e]{1,64})$/;

export interface SpendLogFilter {
  keyId?: string | null;
  model?: string | null;
  listingId?: string | null;
  status?: string | null;
  tag?: string | null;
  user?: string | null;
}

export type BreakdownBy = 'model' | 'tag' | 'user';

export class SpendLogService {
  constructor(
    private readonly em: EntityManager,
    private readonly receipts: ReceiptService,
  ) {}

  async page(principal: Principal, window: Window, filter: SpendLogFilter, limit: number, after: string | null): Promise<SpendLogPage> {
    const buyerId = requireBuyer(principal);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SPEND_LOG_PAGE)
      throw badInput(`limit must be an integer from 1 to ${MAX_SPEND_LOG_PAGE}`, { field: 'limit' });
    const sql = sqlFor(this.em);
    const where = ['r.buyer_id = ?', 'r.occurred_at >= ?', 'r.occurred_at < ?'];
    const params: unknown[] = [buyerId, sql.date(window.from), sql.date(window.to)];
    const equal = (column: string, value: string | null | undefined, field: string, max: number) => {
      if (value === undefined || value === null) return;
      if (value.length === 0 || value.length > max) throw badInput(`${field} is 1 to ${max} characters`, { field });
      where.push(`r.${column} = ?`);
      params.push(value);
    };
    equal('key_id', filter.keyId, 'keyId', 64);
    equal('model', filter.model, 'model', 200);
    equal('listing_id', filter.listingId, 'listingId', 64);
    equal('end_user', filter.user, 'user', 256);
    if (filter.status !== undefined && filter.status !== null) {
      if (!STATUSES.has(filter.status)) throw badInput('status must be completed, failed or cancelled', { field: 'status' });
      where.push('r.status = ?');
      params.push(filter.status);
    }
    if (filter.tag !== undefined && filter.tag !== null) {
      if (!TAG.test(filter.tag)) throw badInput('tag is 1 to 64 characters of A-Z a-z 0-9 _ . : -', { field: 'tag' });
      where.push('exists (select 1 from usage_tags t where t.request_id = r.request_id and t.buyer_id = ? and t.tag = ?)');
      params.push(buyerId, filter.tag);
    }
    if (after !== null && after !== undefined) {
      const { at, requestId } = decodeCursor(after);
      where.push('(r.occurred_at < ? or (r.occurred_at = ? and r.request_id < ?))');
      params.push(sql.date(at), sql.date(at), requestId);
    }
    // One row past the page says whether another page exists.
    const rows = await sql.all<Record<string, unknown>>(
      `select r.* from usage_records r where ${where.join(' and ')} order by r.occurred_at desc, r.request_id desc limit ?`,
      [...params, limit + 1],
    );
    const records = rows.slice(0, limit).map((row) => this.em.map(UsageRecord, row));
    const last = records[records.length - 1];
    return {
      from: window.from,
      to: window.to,
      items: records.map((record) => this.entry(record)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.occurredAt, last.requestId) : null,
    };
  }

  private entry(record: UsageRecord): SpendLogEntry {
    const receipts = this.receipts;
    return {
      // Signed only when selected: a page of 200 does not sign 200 receipts for a table view.
      get receipt() {
        return receipts.sign(record);
      },
      id: record.requestId,
      createdAt: record.occurredAt,
      keyId: record.keyId,
      model: record.model,
      listingId: record.listingId ?? null,
      capability: record.capability,
      status: record.status,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      characters: record.characters,
      cost: Money.of(Number(record.costMicros)),
      latencyMs: record.latencyMs,
      tags: record.tags ? record.tags.split(',') : [],
      user: record.endUser ?? null,
      metadata: record.metadata ? (JSON.parse(record.metadata) as { key: string; value: string }[]) : [],
    };
  }

  /**
   * Usage in a window grouped by model, tag or end user, biggest spend first. A request with several
   * tags counts under each (the tag rows do not add up to the total); requests without an end user
   * form one row with `key: null`; requests without tags appear in no tag row.
   */
  async breakdown(principal: Principal, window: Window, by: BreakdownBy, limit: number): Promise<UsageBreakdownRow[]> {
    const buyerId = requireBuyer(principal);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BREAKDOWN_ROWS)
      throw badInput(`limit must be an integer from 1 to ${MAX_BREAKDOWN_ROWS}`, { field: 'limit' });
    const sql = sqlFor(this.em);
    const figures =
      'count(*) as requests, sum(r.input_tokens) as input_tokens, sum(r.output_tokens) as output_tokens, sum(r.characters) as characters, sum(r.cost_micros) as cost';
    const range = [buyerId, sql.date(window.from), sql.date(window.to)];
    const query =
      by === 'tag'
        ? `select t.tag as grp, ${figures} from usage_tags t join usage_records r on r.request_id = t.request_id
           where t.buyer_id = ? and t.occurred_at >= ? and t.occurred_at < ? group by t.tag order by sum(r.cost_micros) desc, t.tag limit ?`
        : `select r.${by === 'model' ? 'model' : 'end_user'} as grp, ${figures} from usage_records r
           where r.buyer_id = ? and r.occurred_at >= ? and r.occurred_at < ? group by r.${by === 'model' ? 'model' : 'end_user'} order by sum(r.cost_micros) desc, grp limit ?`;
    const rows = await sql.all<Record<string, number | string | null>>(query, [...range, limit]);
    return rows.map((row) => ({
      key: row.grp === null ? null : String(row.grp),
      requests: Number(row.requests ?? 0),
      inputTokens: Number(row.input_tokens ?? 0),
      outputTokens: Number(row.output_tokens ?? 0),
      characters: Number(row.characters ?? 0),
      cost: Money.of(Number(row.cost ?? 0)),
    }));
  }
}

export function encodeCursor(at: Date, requestId: string): string {
  return Buffer.from(`${at.getTime()}:${requestId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { at: Date; requestId: string } {
  const refused = () => badInput('after is not a cursor this log returned', { field: 'after' });
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 120 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refused();
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw refused();
  const at = readDate(Number(match[1]));
  if (Number.isNaN(at.getTime())) throw refused();
  return { at, requestId: match[2] };
}
