// Dragonfly money routes over billing's GraphQL: buyer usage and billing (/api/usage,
// /api/billing) and seller earnings (/v1/market/earnings). A thin adapter: who may read which
// figure (buyer scope for buyer money, seller scope for earnings), windows, page ranges and top-up
// amounts are all decided by the billing subgraph; this file translates query strings and bodies
// into the operations' variables and the answers into Dragonfly's JSON.
//
// Money convention (every route): each amount is two fields, `<name>` — a JSON number of USD,
// exact to the micro-dollar (microsToUsdNumber) — and `<name>Micros` — the exact integer of
// micro-USD (1 USD = 1,000,000), e.g. {"balance": 0.1, "balanceMicros": 100000, "currency": "USD"}.
// Clients that add amounts up should use the Micros fields. Credits (1 credit = $0.01) are not
// shown: the domain publishes no credit figure, and balanceMicros / 10,000 gives them exactly.
//
// Windows (`from`, `to`): ISO date-times (RFC 3339, e.g. 2026-06-01T00:00:00Z); absent means the
// domain's default (the last 30 days, ending now). Usage responses report the window the domain
// used; the earnings timeseries reports the one the caller sent (null when defaulted), because
// billing's series does not return its window.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FormattedExecutionResult } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  MoneyBalanceDocument,
  MoneyEarningsDocument,
  MoneyEarningsMonthlyDocument,
  MoneyEarningsReserveDocument,
  MoneyEarningsSummaryDocument,
  MoneyEarningsTimeseriesDocument,
  MoneyTopUpDocument,
  MoneyTransactionsDocument,
  MoneyUsageByKeyDocument,
  MoneyUsageByKeyUnnamedDocument,
  MoneyUsageDailyDocument,
  MoneyUsageDocument,
  type EarningsInterval,
  type MoneyEarningsQuery,
  type MoneyTransactionsQuery,
  type MoneyUsageByKeyUnnamedQuery,
} from '../../schema/generated/graphql';
import type { GatewayApi } from '../gateway-api';
import { asObject, queryInt } from './common';
import {
  DragonflyFailure,
  dragonflyBadRequest,
  dragonflyFailureFrom,
  dragonflyMoney,
  dragonflyRoute,
  prepareDragonflyScope,
} from './dragonfly-route';
import * as oa from './openapi-schemas';

const badRequest = dragonflyBadRequest;
const failureFrom = dragonflyFailureFrom;

// ---- Outgoing shapes ------------------------------------------------------------------------

type Amount = { micros: number };

const money = dragonflyMoney;

/** The figures every usage row has (totals, per key, per day). */
function usageFigures(row: { requests: number; inputTokens: number; outputTokens: number; cost: Amount }) {
  return { requests: row.requests, inputTokens: row.inputTokens, outputTokens: row.outputTokens, ...money('cost', row.cost) };
}

function toTransaction(entry: MoneyTransactionsQuery['transactions']['items'][number]) {
  return {
    id: entry.id,
    type: entry.type,
    bucket: entry.bucket,
    ...money('amount', entry.amount),
    ...money('balanceAfter', entry.balanceAfter),
    requestCount: entry.requestCount,
    description: entry.description,
    createdAt: entry.createdAt,
  };
}

function toEarning(earning: MoneyEarningsQuery['earnings']['items'][number]) {
  return {
    requestId: earning.requestId,
    listingId: earning.listingId,
    model: earning.model,
    ...money('price', earning.price),
    ...money('amount', earning.amount),
    ...money('reserve', earning.reserve),
    state: earning.state,
    earnedAt: earning.earnedAt,
    availableAt: earning.availableAt,
    reserveReleaseAt: earning.reserveReleaseAt,
  };
}

// ---- Incoming shapes ------------------------------------------------------------------------

/** A query-string value: absent or empty → undefined; given twice → a 400. */
function queryText(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`, name);
  return value;
}

/** `?from&to`, passed as sent: the DateTimeISO scalar and the domain judge them. */
function windowQuery(request: FastifyRequest): { from?: string; to?: string } {
  return { from: queryText(request, 'from'), to: queryText(request, 'to') };
}

/** `?page&pageSize`: integers or absent (defaults 1 and 20); the subgraph checks their range. */
function pageQuery(request: FastifyRequest): { page: number; pageSize: number } {
  const page = queryInt(request, 'page', 1);
  const pageSize = queryInt(request, 'pageSize', 20);
  if (page === null) throw badRequest('page must be an integer', 'page');
  if (pageSize === null) throw badRequest('pageSize must be an integer', 'pageSize');
  return { page, pageSize };
}

function queryBoolean(request: FastifyRequest, name: string): boolean {
  const value = queryText(request, name);
  if (value === undefined) return false;
  if (value === 'true' || value === 'false') return value === 'true';
  throw badRequest(`${name} must be true or false`, name);
}

/** Dragonfly's lowercase intervals → the GraphQL enum; anything else goes through for GraphQL to refuse. */
const INTERVAL_NAMES: Record<string, EarningsInterval> = { hour: 'HOUR', day: 'DAY' };

/** The top-up body: `{amount}`, a JSON number or a decimal string of USD (the domain judges the value). */
function topUpAmount(request: FastifyRequest): string {
  const body = asObject(request.body);
  if (!body) throw new DragonflyFailure({ status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
  const unknown = Object.keys(body).filter((name) => name !== 'amount');
  if (unknown.length > 0)
    throw new DragonflyFailure({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: `Unknown field: ${unknown[0].slice(0, 60)}; allowed: amount`,
      details: { unknownFields: unknown },
    });
  const { amount } = body;
  if (amount === undefined || amount === null) throw badRequest('amount is required: USD as a JSON number or a decimal string', 'amount');
  if (typeof amount === 'number' && Number.isFinite(amount)) return String(amount);
  if (typeof amount === 'string') return amount;
  throw badRequest('amount must be USD as a JSON number or a decimal string', 'amount');
}

// ---- Documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('Dragonfly', 'DragonflyError', ['dashboardSession', 'managementKey']);
const usageFigureFields = { requests: oa.int(), inputTokens: oa.int(), outputTokens: oa.int(), ...oa.money('cost', 'Cost') };
const windowAnswer = { from: oa.dateTime('Window start the domain used'), to: oa.dateTime('Window end') };
const earningShape = oa.object({
  requestId: oa.str(),
  listingId: oa.str(),
  model: oa.str(),
  ...oa.money('price', 'Price charged'),
  ...oa.money('amount', 'Seller earning'),
  ...oa.money('reserve', 'Reserve share'),
  state: oa.str('pending, available, …'),
  earnedAt: oa.dateTime(),
  availableAt: oa.nullable(oa.dateTime()),
  reserveReleaseAt: oa.nullable(oa.dateTime()),
});
const transactionShape = oa.object({
  id: oa.str(),
  type: oa.str(),
  bucket: oa.str(),
  ...oa.money('amount', 'Amount'),
  ...oa.money('balanceAfter', 'Balance after'),
  requestCount: oa.nullable(oa.int()),
  description: oa.nullable(oa.str()),
  createdAt: oa.dateTime(),
});

// ---- Routes -----------------------------------------------------------------------------------

type Execute = <TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
) => Promise<FormattedExecutionResult<TResult>>;
type Runner = <TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables) => Promise<TResult>;
/** `run` answers the data or throws the error as a DragonflyFailure; `execute` answers the raw result. */
type RouteContext = { request: FastifyRequest; run: Runner; execute: Execute };

export async function dragonflyMoneyRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  prepareDragonflyScope(app);
  const route = dragonflyRoute<RouteContext>(gateway, (request, principal) => {
    const execute: Execute = (document, variables) => gateway.run(document, variables, principal, String(request.id));
    const run: Runner = async (document, variables) => {
      const result = await execute(document, variables);
      if (result.errors?.length || !result.data) throw failureFrom(result.errors ?? []);
      return result.data;
    };
    return { request, run, execute };
  });

  // ---- Buyer: usage (billing refuses seller-scoped management keys) ----

  app.get(
    '/api/usage',
    {
      schema: documented({
        operationId: 'dragonflyUsage',
        summary: 'Usage totals over a window',
        query: oa.windowQuery,
        ok: oa.object({
          ...windowAnswer,
          requests: oa.int(),
          inputTokens: oa.int(),
          outputTokens: oa.int(),
          characters: oa.int('Speech characters'),
          ...oa.money('cost', 'Cost'),
        }),
      }),
    },
    route(200, async ({ request, run }) => {
      const usage = (await run(MoneyUsageDocument, windowQuery(request))).usage;
      const { requests, inputTokens, outputTokens, characters } = usage;
      return { from: usage.from, to: usage.to, requests, inputTokens, outputTokens, characters, ...money('cost', usage.cost) };
    }),
  );

  app.get(
    '/api/usage/by-key',
    {
      schema: documented({
        operationId: 'dragonflyUsageByKey',
        summary: 'Usage per buyer key',
        query: oa.windowQuery,
        ok: oa.object({
          ...windowAnswer,
          keys: oa.array(oa.object({ keyId: oa.str(), keyName: oa.nullable(oa.str()), ...usageFigureFields })),
        }),
      }),
    },
    route(200, async ({ request, run, execute }) => {
      const window = windowQuery(request);
      // Key names come from accounts. KeyUsageSummary.apiKey is non-null, so a key accounts cannot
      // resolve nulls the whole answer (no errors, no data): then answer the figures without names.
      const named = await execute(MoneyUsageByKeyDocument, window);
      if (named.errors?.length) throw failureFrom(named.errors);
      const data: MoneyUsageByKeyUnnamedQuery = named.data ?? (await run(MoneyUsageByKeyUnnamedDocument, window));
      const names = new Map(named.data?.usageByKey.map((row) => [row.keyId, row.apiKey.name]));
      const keys = data.usageByKey.map((row) => ({ keyId: row.keyId, keyName: names.get(row.keyId) ?? null, ...usageFigures(row) }));
      return { from: data.window.from, to: data.window.to, keys };
    }),
  );

  app.get(
    '/api/usage/daily',
    {
      schema: documented({
        operationId: 'dragonflyUsageDaily',
        summary: 'Usage per day',
        query: oa.windowQuery,
        ok: oa.object({ ...windowAnswer, days: oa.array(oa.object({ day: oa.str('YYYY-MM-DD'), ...usageFigureFields })) }),
      }),
    },
    route(200, async ({ request, run }) => {
      const data = await run(MoneyUsageDailyDocument, windowQuery(request));
      return { from: data.window.from, to: data.window.to, days: data.usageDaily.map((day) => ({ day: day.day, ...usageFigures(day) })) };
    }),
  );

  // ---- Buyer: billing ----

  app.get(
    '/api/billing/balance',
    {
      schema: documented({
        operationId: 'dragonflyBalance',
        summary: 'Account balance',
        ok: oa.object({ ...oa.money('balance', 'Balance'), currency: { const: 'USD' } }, ['balance', 'balanceMicros', 'currency']),
      }),
    },
    route(200, async ({ run }) => {
      const { balance } = (await run(MoneyBalanceDocument, {})).me;
      // Billing shows the balance to the account itself only, and not to a seller-scope key (buyer
      // money: FORBIDDEN); null means this caller may not see it.
      if (!balance) throw new DragonflyFailure({ status: 403, code: 'FORBIDDEN', message: 'This credential cannot read the balance' });
      return { ...money('balance', balance), currency: 'USD' };
    }),
  );

  app.get(
    '/api/billing/transactions',
    {
      schema: documented({
        operationId: 'dragonflyTransactions',
        summary: 'Balance transactions (top-ups, charges, refunds)',
        query: oa.pageQuery(),
        ok: oa.page('transactions', transactionShape),
      }),
    },
    route(200, async ({ request, run }) => {
      const { items, total, page, pageSize } = (await run(MoneyTransactionsDocument, pageQuery(request))).transactions;
      return { transactions: items.map(toTransaction), total, page, pageSize };
    }),
  );

  app.post(
    '/api/billing/topups',
    {
      schema: documented({
        operationId: 'dragonflyTopUp',
        summary: 'Top up the balance',
        body: oa.strictBody({ amount: oa.usdInput('Amount to add') }, ['amount']),
        status: 201,
        ok: oa.object({ ...oa.money('amount', 'Amount added'), ...oa.money('balance', 'New balance'), currency: { const: 'USD' } }),
      }),
    },
    route(201, async ({ request, run }) => {
      const { topUp } = await run(MoneyTopUpDocument, { amount: topUpAmount(request) });
      return { ...money('amount', topUp.amount), ...money('balance', topUp.balance), currency: 'USD' };
    }),
  );

  // ---- Seller: earnings (billing refuses buyer-scoped management keys) ----

  app.get(
    '/v1/market/earnings',
    {
      schema: documented({
        operationId: 'dragonflyEarnings',
        summary: 'Seller earnings, per request',
        query: oa.pageQuery(),
        ok: oa.page('earnings', earningShape),
      }),
    },
    route(200, async ({ request, run }) => {
      const { items, total, page, pageSize } = (await run(MoneyEarningsDocument, pageQuery(request))).earnings;
      return { earnings: items.map(toEarning), total, page, pageSize };
    }),
  );

  app.get(
    '/v1/market/earnings/summary',
    {
      schema: documented({
        operationId: 'dragonflyEarningsSummary',
        summary: 'Seller earnings summary',
        ok: oa.object({
          ...oa.money('pending', 'Still cooling'),
          ...oa.money('available', 'Available'),
          ...oa.money('reserved', 'Held in reserve'),
          ...oa.money('lifetime', 'Earned in all'),
          ...oa.money('withdrawable', 'Payable now'),
          ...oa.money('paidOut', 'Paid out'),
          ...oa.money('converted', 'Converted into buyer credit'),
          requests: oa.int(),
        }),
      }),
    },
    route(200, async ({ run }) => {
      const summary = (await run(MoneyEarningsSummaryDocument, {})).earningsSummary;
      return {
        ...money('pending', summary.pending),
        ...money('available', summary.available),
        ...money('reserved', summary.reserved),
        ...money('lifetime', summary.lifetime),
        // What can leave as a payout now, what has, and what became buyer credit.
        ...money('withdrawable', summary.withdrawable),
        ...money('paidOut', summary.paidOut),
        ...money('converted', summary.converted),
        requests: summary.requests,
      };
    }),
  );

  app.get(
    '/v1/market/earnings/timeseries',
    {
      schema: documented({
        operationId: 'dragonflyEarningsTimeseries',
        summary: 'Seller earnings over time',
        query: { interval: oa.enumOf(['hour', 'day'], 'Bucket size', { default: 'day' }), ...oa.windowQuery },
        ok: oa.object({
          interval: oa.enumOf(['hour', 'day']),
          from: oa.nullable(oa.dateTime()),
          to: oa.nullable(oa.dateTime()),
          points: oa.array(oa.object({ bucket: oa.dateTime(), ...oa.money('amount', 'Earned'), requests: oa.int() })),
        }),
      }),
    },
    route(200, async ({ request, run }) => {
      const sent = queryText(request, 'interval') ?? 'day';
      const interval = (INTERVAL_NAMES[sent] ?? sent) as EarningsInterval;
      const window = windowQuery(request);
      const points = (await run(MoneyEarningsTimeseriesDocument, { interval, ...window })).earningsTimeseries;
      // The series has no window of its own: report the caller's, normalised (the scalar accepted it).
      const iso = (value: string | undefined) => (value === undefined ? null : new Date(value).toISOString());
      return {
        interval: interval.toLowerCase(),
        from: iso(window.from),
        to: iso(window.to),
        points: points.map((point) => ({ bucket: point.bucket, ...money('amount', point.amount), requests: point.requests })),
      };
    }),
  );

  app.get(
    '/v1/market/earnings/monthly',
    {
      schema: documented({
        operationId: 'dragonflyEarningsMonthly',
        summary: 'Seller earnings per month',
        ok: oa.object({
          months: oa.array(
            oa.object({
              month: oa.str('YYYY-MM'),
              ...oa.money('amount', 'Earned'),
              ...oa.money('fees', 'Platform fees'),
              requests: oa.int(),
            }),
          ),
        }),
      }),
    },
    route(200, async ({ run }) => {
      const months = (await run(MoneyEarningsMonthlyDocument, {})).earningsMonthly;
      return {
        months: months.map((month) => ({
          month: month.month,
          ...money('amount', month.amount),
          ...money('fees', month.fees),
          requests: month.requests,
        })),
      };
    }),
  );

  // Entries list each earning's reserve share, still-cooling ones included (held once cooled);
  // totalHeld is what the reserve holds now (the summary's `reserved`), not the entries' sum.
  app.get(
    '/v1/market/earnings/reserve',
    {
      schema: documented({
        operationId: 'dragonflyEarningsReserve',
        summary: 'Reserve entries of the seller earnings',
        query: {
          limit: oa.int('Entries at most', { default: 100, minimum: 1 }),
          includeReleased: oa.bool('Include released entries', { default: false }),
        },
        ok: oa.object({
          entries: oa.array(
            oa.object({ requestId: oa.str(), ...oa.money('amount', 'Reserve share'), releaseAt: oa.dateTime(), released: oa.bool() }),
          ),
          ...oa.money('totalHeld', 'Held now'),
        }),
      }),
    },
    route(200, async ({ request, run }) => {
      const limit = queryInt(request, 'limit', 100);
      if (limit === null) throw badRequest('limit must be an integer', 'limit');
      const data = await run(MoneyEarningsReserveDocument, { includeReleased: queryBoolean(request, 'includeReleased'), limit });
      const entries = data.earningsReserve.map((entry) => ({
        requestId: entry.requestId,
        ...money('amount', entry.amount),
        releaseAt: entry.releaseAt,
        released: entry.released,
      }));
      return { entries, ...money('totalHeld', data.earningsSummary.reserved) };
    }),
  );
}
