// DGrid's key-management API: /v1/management-keys (dashboard JWT only) manages management keys;
// /api/v1/model-router/keys (a management key only) manages buyer keys. A thin adapter: it checks
// which credential kind each surface accepts, translates JSON shapes (JSON number → decimal USD
// string, lowercase enums → GraphQL enum names, micros → JSON numbers) and DGrid's envelope
// `{code, message, data}`. Every rule (names, limits, dates, scopes, ownership, the management-key
// quota) is the accounts subgraph's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  DgridCreateKeyDocument,
  DgridCreateManagementKeyDocument,
  DgridDeleteManagementKeyDocument,
  DgridGetKeyDocument,
  DgridListKeysDocument,
  DgridListManagementKeysDocument,
  DgridRenameManagementKeyDocument,
  DgridRevokeKeyDocument,
  DgridSetKeyEnabledDocument,
  DgridSetManagementKeyEnabledDocument,
  DgridUpdateKeyDocument,
  type DgridKeyFieldsFragment,
  type DgridManagementKeyFieldsFragment,
  type KeyCycle,
  type ManagementScope,
  type UpdateApiKeyInput,
} from '../../schema/generated/graphql';
import { isDomainError } from '../../subgraphs/common/errors';
import { microsToUsdNumber } from '../../subgraphs/common/money';
import type { Principal } from '../../subgraphs/common/principal';
import type { GatewayApi } from '../gateway-api';
import { credentialKind } from '../auth';
import { BUYER_KEY_PREFIX, KEY_BODY_LENGTH, MANAGEMENT_KEY_PREFIX } from '../../subgraphs/accounts/keys';
import { asObject, managementRateLimit, queryInt } from './common';
import { restErrorFrom, restErrorFromFastify } from './graphql-errors';
import {
  array,
  bool,
  dateTime,
  enumOf,
  idParam,
  int,
  nullable,
  num,
  object,
  str,
  surfaceOperations,
  type JsonSchema,
} from './openapi-schemas';
import { errorBody } from './envelopes';

const SURFACE = 'dgrid';
const MANAGEMENT_KEYS = '/v1/management-keys';
const MODEL_ROUTER_KEYS = '/api/v1/model-router/keys';

/** An error in DGrid's vocabulary: a 5-digit code whose first three digits are the HTTP status. */
export class DgridError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DgridError';
  }

  get status(): number {
    return Math.floor(this.code / 100);
  }
}

const INTERNAL = () => new DgridError(50001, 'Internal server error');

const DGRID_CODE_BY_GRAPHQL_CODE: Record<string, number> = {
  BAD_USER_INPUT: 40001,
  UNAUTHENTICATED: 40102,
  FORBIDDEN: 40301,
  QUOTA_EXCEEDED: 40301, // DGrid has no quota code; the 11th management key is "not permitted"
  NOT_FOUND: 40401,
  CONFLICT: 40001, // DGrid has no 409
  RATE_LIMITED: 42901,
};

/** GraphQL errors → DGrid's code; anything unexpected is a 50001 with a generic message. */
export function dgridErrorFrom(errors: readonly GraphQLFormattedError[]): DgridError {
  const { code, message, details } = restErrorFrom(errors);
  const dgridCode = DGRID_CODE_BY_GRAPHQL_CODE[code];
  if (!dgridCode) return INTERNAL();
  const retryAfter = typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : undefined;
  return new DgridError(dgridCode, message, retryAfter);
}

/** Fastify's own refusals (body parsing) → DGrid codes. 41301 and 41501 are additions to DGrid's table. */
function dgridErrorFromFastify(error: Error & { statusCode?: number; code?: string }): DgridError {
  const { status, message } = restErrorFromFastify(error);
  if (status === 413) return new DgridError(41301, 'payload too large');
  if (status === 415) return new DgridError(41501, message);
  if (status >= 400 && status < 500) return new DgridError(40001, message);
  return INTERNAL();
}

function sendOk(reply: FastifyReply, data: unknown) {
  return reply.code(200).send({ code: 200, message: 'ok', data });
}

function sendError(reply: FastifyReply, error: DgridError) {
  // A 429 always says when to come back; the management window is a minute.
  if (error.code === 42901) reply.header('retry-after', String(error.retryAfterSeconds ?? 60));
  return reply.code(error.status).send(errorBody.dgrid(error.code, error.message));
}

// --- credentials ---

type AcceptedKind = 'jwt' | 'management-key';

const WRONG_KIND_MESSAGE: Record<AcceptedKind, string> = {
  jwt: 'This endpoint only accepts a dashboard session (JWT); management keys and buyer keys are refused',
  'management-key': 'This endpoint only accepts a Management API Key (Authorization: Bearer mk-…)',
};
const MISSING_MESSAGE: Record<AcceptedKind, string> = {
  jwt: 'Missing JWT in the Authorization header',
  'management-key': 'Missing Management API Key in the Authorization header',
};

/** The caller's principal if its credential is the one kind this surface takes, then its rate limit. */
async function authorize(gateway: GatewayApi, request: FastifyRequest, accepts: AcceptedKind): Promise<Principal> {
  const header = request.headers.authorization;
  const kind = credentialKind(header);
  if (kind === 'none') throw new DgridError(40101, MISSING_MESSAGE[accepts]);
  // Wrong key type, decided by shape before any look-up; `unknown` shapes fall through to a 40102.
  if (kind !== accepts && kind !== 'unknown') throw new DgridError(40301, WRONG_KIND_MESSAGE[accepts]);
  let principal: Principal;
  try {
    principal = await gateway.authenticator.fromAuthorization(header);
  } catch (error) {
    if (isDomainError(error)) throw new DgridError(error.code === 'FORBIDDEN' ? 40301 : 40102, error.message);
    throw error;
  }
  const rate = await managementRateLimit(gateway, principal, SURFACE);
  if (!rate.allowed) throw new DgridError(42901, 'Rate limit exceeded', rate.retryAfterSeconds);
  return principal;
}

/** Runs an operation as the caller; GraphQL errors become DGrid errors. */
async function run<TResult, TVariables>(
  gateway: GatewayApi,
  request: FastifyRequest,
  principal: Principal,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const result = await gateway.run(document, variables, principal, String(request.id));
  if (result.errors?.length || !result.data) throw dgridErrorFrom(result.errors ?? []);
  return result.data;
}

// --- request shapes (types only; values are the subgraph's to judge) ---

function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = asObject(request.body);
  if (!body) throw new DgridError(40001, 'Request body must be a JSON object');
  return body;
}

/** A documented field: absent → undefined, null → null (clears on update), else of its JSON type. */
function stringField(body: Record<string, unknown>, name: string): string | null | undefined {
  const value = body[name];
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw new DgridError(40001, `${name} must be a string`);
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = stringField(body, name);
  if (value === undefined || value === null) throw new DgridError(40001, `${name} is required`);
  return value;
}

/** A USD amount sent as a JSON number → the decimal string GraphQL takes (range and decimals: the subgraph's). */
function usdField(body: Record<string, unknown>, name: string): string | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new DgridError(40001, `${name} must be a JSON number (USD)`);
}

/** DGrid writes enum values in lowercase; GraphQL takes their names. Membership is checked by GraphQL. */
function enumField<T extends string>(body: Record<string, unknown>, name: string): T | null | undefined {
  const value = stringField(body, name);
  return typeof value === 'string' ? (value.toUpperCase() as T) : value;
}

/** Only the fields that are present, so that absent ones stay unchanged on update. */
function present<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** `page` (default 1) and `size` (default 20); ranges are the subgraph's (size at most 100). */
function pageQuery(request: FastifyRequest): { page: number; pageSize: number } {
  const page = queryInt(request, 'page', 1);
  const pageSize = queryInt(request, 'size', 20);
  if (page === null) throw new DgridError(40001, 'page must be an integer');
  if (pageSize === null) throw new DgridError(40001, 'size must be an integer');
  return { page, pageSize };
}

// --- response shapes ---

/**
 * DGrid's masked form: the key's prefix and first character, asterisks, the last characters, as
 * long as the key itself (`mk-x************…xxxx`). Built from the stored preview (`mk-A1b2…x9Qz`),
 * which holds no more of the key than that.
 */
export function dgridMask(preview: string, prefix: string): string {
  const cut = preview.indexOf('…');
  if (!preview.startsWith(prefix) || cut < prefix.length + 1) return '*'.repeat(prefix.length + KEY_BODY_LENGTH);
  const head = preview.slice(0, prefix.length + 1);
  const tail = preview.slice(cut + 1);
  return head + '*'.repeat(Math.max(0, prefix.length + KEY_BODY_LENGTH - head.length - tail.length)) + tail;
}

/** A management key as DGrid lists it (never the raw key). */
export function toDgridManagementKey(key: DgridManagementKeyFieldsFragment) {
  return {
    id: key.id,
    name: key.name,
    keyPreview: dgridMask(key.keyPreview, MANAGEMENT_KEY_PREFIX),
    createdAt: key.createdAt,
    status: key.status,
    enabled: key.enabled,
    scope: key.scope.toLowerCase(),
  };
}

const usdNumber = (money: { micros: number } | null) => (money ? microsToUsdNumber(money.micros) : null);

/** A buyer key as DGrid shows it: `key` is the masked preview, money in USD numbers. */
export function toDgridKey(key: DgridKeyFieldsFragment) {
  return {
    id: key.id,
    name: key.name,
    key: dgridMask(key.preview, BUYER_KEY_PREFIX),
    limit: usdNumber(key.limit),
    usageInCycle: usdNumber(key.usageInCycle),
    usageInTotal: usdNumber(key.usageInTotal),
    enabled: key.enabled,
    cycle: key.cycle ? key.cycle.toLowerCase() : null,
    expiredAt: key.expiredAt,
    groupId: key.groupId,
    groupName: key.group?.name ?? '',
  };
}

// --- documentation (GET /openapi.json) ---

const documented = surfaceOperations('DGrid', 'DgridError', ['dashboardSession']);
/** DGrid's success envelope around `data`. */
const envelope = (data: JsonSchema): JsonSchema =>
  object({ code: { const: 200 }, message: { const: 'ok' }, data }, ['code', 'message', 'data']);
const dgridPage = {
  page: int('Page number', { default: 1, minimum: 1 }),
  size: int('Page size', { default: 20, minimum: 1, maximum: 100 }),
};
const keyId = idParam('The key id (UUID)');
const managementKeyShape = object({
  id: str(),
  name: str(),
  keyPreview: str('Masked key (`mk-x****…xxxx`)'),
  createdAt: dateTime(),
  status: enumOf(['Enabled', 'Disabled'], undefined, { examples: ['Enabled'] }),
  enabled: bool(),
  scope: enumOf(['buyer', 'seller', 'full']),
});
const modelKeyShape = object({
  id: str(),
  name: str(),
  key: str('Masked key value'),
  limit: nullable(num('Usage limit, USD')),
  usageInCycle: nullable(num('Usage in the current cycle, USD')),
  usageInTotal: nullable(num('Cumulative usage, USD')),
  enabled: bool(),
  cycle: nullable(enumOf(['daily', 'weekly', 'monthly'], 'Reset cycle of the limit')),
  expiredAt: nullable(dateTime()),
  groupId: nullable(str()),
  groupName: str(),
});
const deleted = envelope(object({ id: str(), deleted: { const: true } }));
const keyFields = {
  name: str('Key name'),
  limit: nullable(num('Usage limit, USD')),
  cycle: nullable(enumOf(['daily', 'weekly', 'monthly'], 'Reset cycle for the limit')),
  groupId: nullable(str('Group id')),
};
const onManagementKey = { security: ['managementKey' as const] };

// --- routes ---

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export async function dgridRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  // Only JSON bodies on this surface: a text/plain body is a 41501 like any other type.
  app.removeContentTypeParser('text/plain');
  // DGrid's own examples send `Content-Type: application/json` on every call, bodiless POST
  // enablement/disablement and DELETE included: an empty JSON body is no body, not a 400.
  const parseJson = app.getDefaultJsonParser('error', 'error'); // fastify's defaults
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    return parseJson(request, body as string, done);
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof DgridError) return sendError(reply, error);
    const mapped = dgridErrorFromFastify(error);
    if (mapped.code === 50001)
      process.stderr.write(
        `dgrid: internal error on ${request.method} ${request.routeOptions.url ?? '?'}: ${error.stack ?? error.message}\n`,
      );
    return sendError(reply, mapped);
  });

  /** A route of one surface: authorize, then answer `data` in the envelope. */
  const route =
    <R extends FastifyRequest>(accepts: AcceptedKind, handler: (request: R, principal: Principal) => Promise<unknown>) =>
    async (request: R, reply: FastifyReply) =>
      sendOk(reply, await handler(request, await authorize(gateway, request, accepts)));

  // /v1/management-keys: management keys, from a dashboard session only.
  const session = <R extends FastifyRequest>(handler: (request: R, principal: Principal) => Promise<unknown>) => route<R>('jwt', handler);

  app.post(
    MANAGEMENT_KEYS,
    {
      schema: documented({
        operationId: 'dgridCreateManagementKey',
        summary: 'Create a management key',
        description: 'Returns the full key once; at most 10 management keys per account.',
        body: object({ name: str('Key name'), scope: enumOf(['buyer', 'seller', 'full'], 'Scope (default full)') }, ['name']),
        ok: envelope(
          object({ ...(managementKeyShape.properties as Record<string, JsonSchema>), key: str('The full key, shown only once') }),
        ),
      }),
    },
    session(async (request, principal) => {
      const body = bodyObject(request);
      const input = { name: requiredString(body, 'name'), ...present({ scope: enumField<ManagementScope>(body, 'scope') }) };
      const { createManagementKey } = await run(gateway, request, principal, DgridCreateManagementKeyDocument, { input });
      const { id, name, ...rest } = toDgridManagementKey(createManagementKey.managementKey);
      return { id, name, key: createManagementKey.rawKey, ...rest }; // the raw key: here, once
    }),
  );

  app.get(
    MANAGEMENT_KEYS,
    {
      schema: documented({
        operationId: 'dgridListManagementKeys',
        summary: 'List management keys',
        query: dgridPage,
        ok: envelope(object({ total: int(), page: int(), items: array(managementKeyShape) })),
      }),
    },
    session(async (request, principal) => {
      const { managementKeys } = await run(gateway, request, principal, DgridListManagementKeysDocument, pageQuery(request));
      return { total: managementKeys.total, page: managementKeys.page, items: managementKeys.items.map(toDgridManagementKey) };
    }),
  );

  // Only the name can change; other fields in the body are ignored.
  app.put(
    `${MANAGEMENT_KEYS}/:id`,
    {
      schema: documented({
        operationId: 'dgridRenameManagementKey',
        summary: 'Update a management key (name only)',
        params: keyId,
        body: object({ name: str('New name') }, ['name']),
        ok: envelope(managementKeyShape),
      }),
    },
    session(async (request: IdRequest, principal) => {
      const name = requiredString(bodyObject(request), 'name');
      const { renameManagementKey } = await run(gateway, request, principal, DgridRenameManagementKeyDocument, {
        id: request.params.id,
        name,
      });
      return toDgridManagementKey(renameManagementKey);
    }),
  );

  app.delete(
    `${MANAGEMENT_KEYS}/:id`,
    {
      schema: documented({
        operationId: 'dgridDeleteManagementKey',
        summary: 'Delete a management key (soft delete)',
        params: keyId,
        ok: deleted,
      }),
    },
    session(async (request: IdRequest, principal) => {
      const { deleteManagementKey } = await run(gateway, request, principal, DgridDeleteManagementKeyDocument, { id: request.params.id });
      return { id: deleteManagementKey.id, deleted: true };
    }),
  );

  for (const [action, enabled] of [
    ['enablement', true],
    ['disablement', false],
  ] as const) {
    app.post(
      `${MANAGEMENT_KEYS}/:id/${action}`,
      {
        schema: documented({
          operationId: enabled ? 'dgridEnableManagementKey' : 'dgridDisableManagementKey',
          summary: enabled ? 'Enable a management key' : 'Disable a management key',
          description: 'Takes effect immediately.',
          params: keyId,
          ok: envelope(managementKeyShape),
        }),
      },
      session(async (request: IdRequest, principal) => {
        const { setManagementKeyEnabled } = await run(gateway, request, principal, DgridSetManagementKeyEnabledDocument, {
          id: request.params.id,
          enabled,
        });
        return toDgridManagementKey(setManagementKeyEnabled);
      }),
    );
  }

  // /api/v1/model-router/keys: buyer keys, with a management key only (its scope: the subgraph's).
  const managed = <R extends FastifyRequest>(handler: (request: R, principal: Principal) => Promise<unknown>) =>
    route<R>('management-key', handler);

  app.get(
    MODEL_ROUTER_KEYS,
    {
      schema: documented({
        ...onManagementKey,
        operationId: 'dgridListKeys',
        summary: 'List model API keys',
        description: 'Pagination by page and size (not limit/offset); keys are masked.',
        query: dgridPage,
        ok: envelope(object({ total: int(), page: int(), items: array(modelKeyShape) })),
      }),
    },
    managed(async (request, principal) => {
      const { apiKeys } = await run(gateway, request, principal, DgridListKeysDocument, pageQuery(request));
      return { total: apiKeys.total, page: apiKeys.page, items: apiKeys.items.map(toDgridKey) };
    }),
  );

  app.post(
    MODEL_ROUTER_KEYS,
    {
      schema: documented({
        ...onManagementKey,
        operationId: 'dgridCreateKey',
        summary: 'Create a model API key',
        description: 'The full key is returned only once.',
        body: object(
          { ...keyFields, name: str('Key name'), expiredAt: nullable(dateTime('Expiry, ISO 8601 UTC (e.g. 2026-12-31T23:59:59Z)')) },
          ['name'],
        ),
        ok: envelope(object({ id: str(), key: str('The full key, shown only once') }, ['id', 'key'])),
      }),
    },
    managed(async (request, principal) => {
      const body = bodyObject(request);
      const input = {
        name: requiredString(body, 'name'), // optional in GraphQL (it names the key "default"); DGrid requires it
        ...present({
          limit: usdField(body, 'limit'),
          cycle: enumField<KeyCycle>(body, 'cycle'),
          expiredAt: stringField(body, 'expiredAt'),
          groupId: stringField(body, 'groupId'),
        }),
      };
      const { createApiKey } = await run(gateway, request, principal, DgridCreateKeyDocument, { input });
      return { id: createApiKey.apiKey.id, key: createApiKey.rawKey }; // the raw key: here, once
    }),
  );

  app.get(
    `${MODEL_ROUTER_KEYS}/:id`,
    {
      schema: documented({
        ...onManagementKey,
        operationId: 'dgridGetKey',
        summary: 'Get a model API key',
        params: keyId,
        ok: envelope(modelKeyShape),
      }),
    },
    managed(async (request: IdRequest, principal) => {
      const { apiKey } = await run(gateway, request, principal, DgridGetKeyDocument, { id: request.params.id });
      return toDgridKey(apiKey);
    }),
  );

  // DGrid updates name, limit, cycle and groupId: absent = unchanged, null = cleared; other fields are ignored.
  app.put(
    `${MODEL_ROUTER_KEYS}/:id`,
    {
      schema: documented({
        ...onManagementKey,
        operationId: 'dgridUpdateKey',
        summary: 'Update a model API key',
        description: 'name, limit, cycle and groupId: absent stays unchanged, null clears. PUT, not PATCH.',
        params: keyId,
        body: object(keyFields),
        ok: envelope(modelKeyShape),
      }),
    },
    managed(async (request: IdRequest, principal) => {
      const body = bodyObject(request);
      const input: UpdateApiKeyInput = present({
        name: stringField(body, 'name'),
        limit: usdField(body, 'limit'),
        cycle: enumField<KeyCycle>(body, 'cycle'),
        groupId: stringField(body, 'groupId'),
      });
      const { updateApiKey } = await run(gateway, request, principal, DgridUpdateKeyDocument, { id: request.params.id, input });
      return toDgridKey(updateApiKey);
    }),
  );

  for (const [action, enabled] of [
    ['enablement', true],
    ['disablement', false],
  ] as const) {
    app.post(
      `${MODEL_ROUTER_KEYS}/:id/${action}`,
      {
        schema: documented({
          ...onManagementKey,
          operationId: enabled ? 'dgridEnableKey' : 'dgridDisableKey',
          summary: enabled ? 'Enable a model API key' : 'Disable a model API key',
          params: keyId,
          ok: envelope(modelKeyShape),
        }),
      },
      managed(async (request: IdRequest, principal) => {
        const { setApiKeyEnabled } = await run(gateway, request, principal, DgridSetKeyEnabledDocument, { id: request.params.id, enabled });
        return toDgridKey(setApiKeyEnabled);
      }),
    );
  }

  app.delete(
    `${MODEL_ROUTER_KEYS}/:id`,
    {
      schema: documented({
        ...onManagementKey,
        operationId: 'dgridDeleteKey',
        summary: 'Delete a model API key (soft delete)',
        params: keyId,
        ok: deleted,
      }),
    },
    managed(async (request: IdRequest, principal) => {
      const { revokeApiKey } = await run(gateway, request, principal, DgridRevokeKeyDocument, { id: request.params.id });
      return { id: revokeApiKey.id, deleted: true };
    }),
  );
}
