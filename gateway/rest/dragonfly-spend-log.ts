// Dragonfly's spend log and usage breakdowns over billing's GraphQL: the account's requests
// (/api/usage/requests, JSON pages with a cursor; /api/usage/requests.csv, the same rows as CSV),
// one request with its signed receipt (/api/usage/requests/:id), and usage per model, tag and end
// user (/api/usage/by-model, /by-tag, /by-user). A thin adapter: who may read (buyer money, as
// /api/usage), windows, filters, page sizes and cursors are billing's to judge; this file maps
// query strings to the operations' variables and the answers to Dragonfly's JSON (amounts as
// `cost` USD number + exact `costMicros`) or CSV.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  SpendLogRequestDocument,
  SpendLogRequestsDocument,
  SpendLogUsageByModelDocument,
  SpendLogUsageByTagDocument,
  SpendLogUsageByUserDocument,
  type SpendLogRequestsQuery,
  type SpendLogRequestsQueryVariables,
} from '../../schema/generated/graphql';
import type { GatewayApi } from '../gateway-api';
import { queryInt } from './common';
import {
  DragonflyFailure,
  dragonflyBadRequest,
  dragonflyFailureFrom,
  dragonflyMoney,
  dragonflyRoute,
  prepareDragonflyScope,
} from './dragonfly-route';
import * as oa from './openapi-schemas';

/** The most rows one CSV export holds; beyond it the answer says so in headers and gives the cursor to go on from. */
export const MAX_CSV_ROWS = 10_000;
/** Rows fetched per page while an export is built (billing's page limit). */
const CSV_PAGE = 200;
const LOG_PARAMETERS = ['from', 'to', 'keyId', 'model', 'listingId', 'status', 'tag', 'user', 'limit', 'after'] as const;
const WINDOW_PARAMETERS = ['from', 'to', 'limit'] as const;

type Runner = <TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables) => Promise<TResult>;
type RouteContext = { request: FastifyRequest; reply: FastifyReply; run: Runner };
type LogRow = SpendLogRequestsQuery['spendLog']['items'][number];

/** The query string, each parameter at most once and none the route does not know (a typo must not silently widen a filter). */
function queryOf(request: FastifyRequest, allowed: readonly string[]): Record<string, string | undefined> {
  const query = request.query as Record<string, unknown>;
  const unknown = Object.keys(query).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new DragonflyFailure({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: `Unknown parameter: ${unknown[0].slice(0, 60)}; allowed: ${allowed.join(', ')}`,
      details: { field: unknown[0].slice(0, 60) },
    });
  }
  const values: Record<string, string | undefined> = {};
  for (const name of allowed) {
    const value = query[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') throw dragonflyBadRequest(`${name} must be given once`, name);
    values[name] = value;
  }
  return values;
}

function limitOf(request: FastifyRequest, fallback: number): number {
  const limit = queryInt(request, 'limit', fallback);
  if (limit === null) throw dragonflyBadRequest('limit must be an integer', 'limit');
  return limit;
}

function logVariables(request: FastifyRequest, limit: number): SpendLogRequestsQueryVariables {
  const q = queryOf(request, LOG_PARAMETERS);
  return {
    from: q.from,
    to: q.to,
    keyId: q.keyId,
    model: q.model,
    listingId: q.listingId,
    status: q.status,
    tag: q.tag,
    user: q.user,
    after: q.after,
    limit,
  };
}

const receiptUrl = (id: string) => `/api/usage/requests/${encodeURIComponent(id)}`;

function toRequest(row: LogRow) {
  return {
    id: row.id,
    createdAt: row.createdAt,
    keyId: row.keyId,
    model: row.model,
    listingId: row.listingId,
    capability: row.capability,
    status: row.status,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    characters: row.characters,
    ...dragonflyMoney('cost', row.cost),
    latencyMs: row.latencyMs,
    tags: row.tags,
    user: row.user,
    metadata: Object.fromEntries(row.metadata.map(({ key, value }) => [key, value])),
    receiptUrl: receiptUrl(row.id),
  };
}

// ---- CSV --------------------------------------------------------------------------------------

const CSV_HEADER = [
  'request_id',
  'created_at',
  'key_id',
  'model',
  'listing_id',
  'capability',
  'status',
  'input_tokens',
  'output_tokens',
  'characters',
  'cost_micros',
  'cost_usd',
  'latency_ms',
  'tags',
  'user',
  'metadata',
  'receipt_url',
];

/**
 * One CSV cell (RFC 4180): quoted when it holds a quote, comma or line break; a cell a spreadsheet
 * would run as a formula (starting with = + - @, tab or CR) is prefixed with a quote first, since
 * model names, end users and metadata are the buyer's (or their users') text.
 */
export function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(row: LogRow): string {
  const cells = [
    row.id,
    row.createdAt,
    row.keyId,
    row.model,
    row.listingId,
    row.capability,
    row.status,
    row.inputTokens,
    row.outputTokens,
    row.characters,
    row.cost.micros,
    row.cost.usd,
    row.latencyMs,
    row.tags.join(' '),
    row.user,
    row.metadata.length > 0 ? JSON.stringify(Object.fromEntries(row.metadata.map(({ key, value }) => [key, value]))) : null,
    receiptUrl(row.id),
  ];
  return cells.map(csvCell).join(',');
}

// ---- Routes -----------------------------------------------------------------------------------

// ---- Documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('Dragonfly', 'DragonflyError', ['dashboardSession', 'managementKey']);
const logFilters: Record<string, oa.JsonSchema> = {
  ...oa.windowQuery,
  keyId: oa.str('Only this buyer key'),
  model: oa.str('Only this model'),
  listingId: oa.str('Only this listing'),
  status: oa.str('Only this status (e.g. ok, error)'),
  tag: oa.str('Only requests with this tag'),
  user: oa.str('Only this end user'),
  after: oa.str('Cursor: nextCursor of the previous page'),
};
const costFields = {
  inputTokens: oa.int(),
  outputTokens: oa.int(),
  characters: oa.int(),
  ...oa.money('cost', 'Cost'),
  latencyMs: oa.nullable(oa.int()),
};
const requestShape = oa.object({
  id: oa.str('The request id (x-request-id)'),
  createdAt: oa.dateTime(),
  keyId: oa.str(),
  model: oa.str(),
  listingId: oa.nullable(oa.str()),
  capability: oa.str(),
  status: oa.str(),
  ...costFields,
  tags: oa.array(oa.str()),
  user: oa.nullable(oa.str()),
  metadata: oa.object({}, [], { additionalProperties: oa.str() }),
  receiptUrl: oa.str(),
});
const breakdown = (name: string, key: string) =>
  oa.object({
    from: oa.dateTime(),
    to: oa.dateTime(),
    [name]: oa.array(
      oa.object({
        [key]: oa.nullable(oa.str()),
        requests: oa.int(),
        inputTokens: oa.int(),
        outputTokens: oa.int(),
        characters: oa.int(),
        ...oa.money('cost', 'Cost'),
      }),
    ),
  });
const windowLimit = { ...oa.windowQuery, limit: oa.int('Rows at most', { default: 100, minimum: 1 }) };

export async function dragonflySpendLogRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  prepareDragonflyScope(app);
  const route = dragonflyRoute<RouteContext>(gateway, (request, principal, reply) => {
    const run: Runner = async (document, variables) => {
      const result = await gateway.run(document, variables, principal, String(request.id));
      if (result.errors?.length || !result.data) throw dragonflyFailureFrom(result.errors ?? []);
      return result.data;
    };
    return { request, reply, run };
  });

  app.get(
    '/api/usage/requests',
    {
      schema: documented({
        operationId: 'dragonflySpendLog',
        summary: "Spend log: the account's requests, newest first",
        description: 'Unknown query parameters are refused. Pages with a cursor (`nextCursor` → `after`).',
        query: { ...logFilters, limit: oa.int('Rows a page', { default: 50, minimum: 1, maximum: 200 }) },
        ok: oa.object({ from: oa.dateTime(), to: oa.dateTime(), requests: oa.array(requestShape), nextCursor: oa.nullable(oa.str()) }),
      }),
    },
    route(200, async ({ request, run }) => {
      const page = (await run(SpendLogRequestsDocument, logVariables(request, limitOf(request, 50)))).spendLog;
      return { from: page.from, to: page.to, requests: page.items.map(toRequest), nextCursor: page.nextCursor };
    }),
  );

  // Up to MAX_CSV_ROWS (or `limit`) rows, built page by page before anything is sent, so a refusal
  // is still the JSON envelope. A cut export says so: x-df-export-truncated and the cursor to go on.
  app.get(
    '/api/usage/requests.csv',
    {
      schema: documented({
        operationId: 'dragonflySpendLogCsv',
        summary: 'Spend log as CSV',
        description:
          'The same rows and filters as /api/usage/requests. A truncated export says so in x-df-export-truncated and x-df-next-cursor.',
        query: { ...logFilters, limit: oa.int('Rows in the export', { default: 10000, minimum: 1, maximum: 10000 }) },
        ok: oa.str('CSV (RFC 4180) with a header row'),
        okMediaType: 'text/csv',
      }),
    },
    route(200, async ({ request, reply, run }) => {
      const cap = limitOf(request, MAX_CSV_ROWS);
      if (cap < 1 || cap > MAX_CSV_ROWS) throw dragonflyBadRequest(`limit is the export's row count, 1 to ${MAX_CSV_ROWS}`, 'limit');
      const variables = logVariables(request, Math.min(CSV_PAGE, cap));
      const lines = [CSV_HEADER.join(',')];
      let after = variables.after ?? null;
      let rows = 0;
      for (;;) {
        const page = (await run(SpendLogRequestsDocument, { ...variables, after, limit: Math.min(CSV_PAGE, cap - rows) })).spendLog;
        for (const row of page.items) lines.push(csvLine(row));
        rows += page.items.length;
        after = page.nextCursor;
        if (!after || rows >= cap) break;
      }
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', 'attachment; filename="spend-log.csv"');
      reply.header('x-df-export-rows', String(rows));
      if (after) {
        reply.header('x-df-export-truncated', 'true');
        reply.header('x-df-next-cursor', after);
      }
      return `${lines.join('\r\n')}\r\n`;
    }),
  );

  app.get(
    '/api/usage/requests/:id',
    {
      schema: documented({
        operationId: 'dragonflySpendLogRequest',
        summary: 'One request, with its signed receipt',
        params: oa.idParam('The request id (x-request-id)'),
        ok: oa.object({
          id: oa.str(),
          createdAt: oa.dateTime(),
          keyId: oa.str(),
          model: oa.str(),
          listingId: oa.nullable(oa.str()),
          capability: oa.str(),
          status: oa.str(),
          ...costFields,
          timeToFirstTokenMs: oa.nullable(oa.int()),
          receipt: oa.str('Signed receipt: a compact JWS (EdDSA), verifiable with /.well-known/jwks.json'),
        }),
      }),
    },
    route(200, async ({ request, run }) => {
      queryOf(request, []);
      const { id } = request.params as { id: string };
      const g = (await run(SpendLogRequestDocument, { id })).generation;
      return {
        id: g.id,
        createdAt: g.createdAt,
        keyId: g.keyId,
        model: g.model,
        listingId: g.listingId,
        capability: g.capability,
        status: g.status,
        inputTokens: g.inputTokens,
        outputTokens: g.outputTokens,
        characters: g.characters,
        ...dragonflyMoney('cost', g.cost),
        latencyMs: g.latencyMs,
        timeToFirstTokenMs: g.timeToFirstTokenMs,
        // A compact JWS (EdDSA) of the record, verifiable offline with /.well-known/jwks.json.
        receipt: g.receipt,
      };
    }),
  );

  const figures = (row: { requests: number; inputTokens: number; outputTokens: number; characters: number; cost: { micros: number } }) => ({
    requests: row.requests,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    characters: row.characters,
    ...dragonflyMoney('cost', row.cost),
  });
  const windowVariables = (request: FastifyRequest) => {
    const q = queryOf(request, WINDOW_PARAMETERS);
    return { from: q.from, to: q.to, limit: limitOf(request, 100) };
  };

  app.get(
    '/api/usage/by-model',
    {
      schema: documented({
        operationId: 'dragonflyUsageByModel',
        summary: 'Usage per model',
        query: windowLimit,
        ok: breakdown('models', 'model'),
      }),
    },
    route(200, async ({ request, run }) => {
      const data = await run(SpendLogUsageByModelDocument, windowVariables(request));
      return {
        from: data.window.from,
        to: data.window.to,
        models: data.usageByModel.map((row) => ({ model: row.model, ...figures(row) })),
      };
    }),
  );

  app.get(
    '/api/usage/by-tag',
    {
      schema: documented({
        operationId: 'dragonflyUsageByTag',
        summary: 'Usage per request tag',
        query: windowLimit,
        ok: breakdown('tags', 'tag'),
      }),
    },
    route(200, async ({ request, run }) => {
      const data = await run(SpendLogUsageByTagDocument, windowVariables(request));
      return { from: data.window.from, to: data.window.to, tags: data.usageByTag.map((row) => ({ tag: row.tag, ...figures(row) })) };
    }),
  );

  app.get(
    '/api/usage/by-user',
    {
      schema: documented({
        operationId: 'dragonflyUsageByUser',
        summary: 'Usage per end user',
        query: windowLimit,
        ok: breakdown('users', 'user'),
      }),
    },
    route(200, async ({ request, run }) => {
      const data = await run(SpendLogUsageByUserDocument, windowVariables(request));
      return { from: data.window.from, to: data.window.to, users: data.usageByUser.map((row) => ({ user: row.user, ...figures(row) })) };
    }),
  );
}
