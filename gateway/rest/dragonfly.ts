// Dragonfly buyer/account routes: /api/keys (buyer keys), /api/keys/groups, /api/management-keys.
// A thin adapter: it accepts a dashboard JWT or a management key, maps Dragonfly's JSON onto the
// accounts operations and back. Scopes, ownership, limits, CIDRs, dates and names are all decided
// by the accounts subgraph; this file only translates shapes (numbers ↔ decimal strings, enum case,
// snake_case ↔ camelCase) and the error envelope.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  DragonflyCreateKeyDocument,
  DragonflyCreateKeyGroupDocument,
  DragonflyCreateManagementKeyDocument,
  DragonflyDeleteKeyGroupDocument,
  DragonflyDeleteManagementKeyDocument,
  DragonflyGetKeyDocument,
  DragonflyListKeyGroupsDocument,
  DragonflyListKeysDocument,
  DragonflyListManagementKeysDocument,
  DragonflyRevokeKeyDocument,
  DragonflyUpdateKeyDocument,
  DragonflyUpdateKeyGroupDocument,
  type CreateApiKeyInput,
  type CreateKeyGroupInput,
  type DragonflyGroupFieldsFragment,
  type DragonflyKeyFieldsFragment,
  type DragonflyManagementKeyFieldsFragment,
  type UpdateApiKeyInput,
  type UpdateKeyGroupInput,
} from '../../schema/generated/graphql';
import { microsToUsdNumber } from '../../subgraphs/common/money';
import type { GatewayApi } from '../gateway-api';
import { asObject, queryInt } from './common';
import { DragonflyFailure, dragonflyRoute, prepareDragonflyScope } from './dragonfly-route';
import { restErrorFrom } from './graphql-errors';
import * as oa from './openapi-schemas';

const badRequest = (message: string, details?: Record<string, unknown>) =>
  new DragonflyFailure({ status: 400, code: 'BAD_USER_INPUT', message, details });

// ---- Outgoing shapes ------------------------------------------------------------------------

const usd = (money: { micros: number } | null): number | null => (money ? microsToUsdNumber(money.micros) : null);

function toDragonflyKey(key: DragonflyKeyFieldsFragment) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    keyHint: key.preview,
    status: key.status.toLowerCase(),
    enabled: key.enabled,
    limit: usd(key.limit),
    cycle: key.cycle ? key.cycle.toLowerCase() : null,
    usageInCycle: usd(key.usageInCycle),
    usageInTotal: usd(key.usageInTotal),
    expiredAt: key.expiredAt,
    expired: key.expired,
    groupId: key.groupId,
    keyGroup: key.group?.name ?? null,
    routingProfileId: key.routingProfileId,
    ipAllow: key.ipAllow,
    ipDeny: key.ipDeny,
    allowedModels: key.allowedModels,
    rpmLimit: key.rpmLimit ?? null,
    tpmLimit: key.tpmLimit ?? null,
    maxParallelRequests: key.maxParallelRequests ?? null,
    projectId: key.project.id,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
  };
}

function toDragonflyGroup(group: DragonflyGroupFieldsFragment) {
  return {
    id: group.id,
    name: group.name,
    monthlyBudget: usd(group.monthlyBudget),
    rpmLimit: group.rpmLimit ?? null,
    tpmLimit: group.tpmLimit ?? null,
    maxParallelRequests: group.maxParallelRequests ?? null,
    createdAt: group.createdAt,
  };
}

function toDragonflyManagementKey(key: DragonflyManagementKeyFieldsFragment) {
  return {
    id: key.id,
    name: key.name,
    mgmt_scope: key.scope.toLowerCase(),
    enabled: key.enabled,
    keyPreview: key.keyPreview,
    createdAt: key.createdAt,
  };
}

// ---- Incoming shapes ------------------------------------------------------------------------

/** Dragonfly's lowercase enum spellings → GraphQL enum names. Anything else goes through as sent, for GraphQL to refuse. */
const CYCLE_NAMES: Record<string, string> = { daily: 'DAILY', weekly: 'WEEKLY', monthly: 'MONTHLY' };
const SCOPE_NAMES: Record<string, string> = { buyer: 'BUYER', seller: 'SELLER', full: 'FULL' };

function enumName(value: unknown, names: Record<string, string>): unknown {
  return typeof value === 'string' && Object.hasOwn(names, value) ? names[value] : value;
}

/** A JSON number of USD → the decimal string the GraphQL inputs take; anything else unchanged (the subgraph or GraphQL judges it). */
function usdInput(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
}

/** A body's accepted fields: Dragonfly name → [GraphQL input field, value translation]. */
type FieldMap = Record<string, [field: string, translate?: (value: unknown) => unknown]>;

/** Rate limits of a key or a group: integers as sent (the subgraph judges their range; GraphQL refuses non-integers). */
const RATE_LIMIT_FIELDS: FieldMap = { rpmLimit: ['rpmLimit'], tpmLimit: ['tpmLimit'], maxParallelRequests: ['maxParallelRequests'] };

/** What PATCH /api/keys/:id accepts. */
const KEY_SETTINGS: FieldMap = {
  name: ['name'],
  groupId: ['groupId'],
  limit: ['limit', usdInput],
  cycle: ['cycle', (value) => enumName(value, CYCLE_NAMES)],
  monthlyBudget: ['monthlyBudget', usdInput],
  ipAllow: ['ipAllow'],
  ipDeny: ['ipDeny'],
  routingProfileId: ['routingProfileId'],
  allowedModels: ['allowedModels'],
  expiredAt: ['expiredAt'],
  ...RATE_LIMIT_FIELDS,
};
/** On create, also the documented `key_group`: a group name, used or created by the domain. */
const KEY_CREATE_FIELDS: FieldMap = { ...KEY_SETTINGS, key_group: ['keyGroup'] };
const GROUP_FIELDS: FieldMap = { name: ['name'], monthlyBudget: ['monthlyBudget', usdInput], ...RATE_LIMIT_FIELDS };
const MANAGEMENT_KEY_FIELDS: FieldMap = { name: ['name'], mgmt_scope: ['scope', (value) => enumName(value, SCOPE_NAMES)] };

/** A JSON object body; a missing body reads as `{}` where every field is optional. */
function bodyObject(request: FastifyRequest, { optional = false } = {}): Record<string, unknown> {
  if (request.body === undefined && optional) return {};
  const body = asObject(request.body);
  if (!body) throw new DragonflyFailure({ status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
  return body;
}

/**
 * Renames the body's fields to the GraphQL input's, translating values; absent stays absent and
 * null stays null (clears). Unknown field names are refused rather than silently ignored.
 */
function toInput(body: Record<string, unknown>, fields: FieldMap, { requireSome = false } = {}): Record<string, unknown> {
  const unknown = Object.keys(body).filter((name) => !Object.hasOwn(fields, name));
  if (unknown.length > 0) {
    throw badRequest(
      `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.map((name) => name.slice(0, 60)).join(', ')}; allowed: ${Object.keys(fields).join(', ')}`,
      { unknownFields: unknown },
    );
  }
  if (requireSome && Object.keys(body).length === 0) throw badRequest(`Nothing to change; send any of: ${Object.keys(fields).join(', ')}`);
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const [field, translate] = fields[name];
    input[field] = translate && value !== null ? translate(value) : value;
  }
  return input;
}

/** `?page&pageSize`: integers or absent (defaults 1 and 20); the subgraph checks their range. */
function pageQuery(request: FastifyRequest): { page: number; pageSize: number } {
  const page = queryInt(request, 'page', 1);
  const pageSize = queryInt(request, 'pageSize', 20);
  if (page === null) throw badRequest('page must be an integer', { field: 'page' });
  if (pageSize === null) throw badRequest('pageSize must be an integer', { field: 'pageSize' });
  return { page, pageSize };
}

const idParam = (request: FastifyRequest) => (request.params as { id: string }).id;

// ---- Documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('Dragonfly', 'DragonflyError', ['dashboardSession', 'managementKey']);
const usdFigure = (description: string) => oa.nullable(oa.num(`${description}, USD`));
const rateLimitFields = {
  rpmLimit: oa.nullable(oa.int('Requests a minute', { minimum: 1 })),
  tpmLimit: oa.nullable(oa.int('Tokens a minute', { minimum: 1 })),
  maxParallelRequests: oa.nullable(oa.int('Requests in flight at once', { minimum: 1 })),
};
const keyShape = oa.object({
  id: oa.str(),
  name: oa.str(),
  prefix: oa.str(),
  keyHint: oa.str('Masked preview'),
  status: oa.enumOf(['active', 'disabled', 'revoked']),
  enabled: oa.bool(),
  limit: usdFigure('Usage limit'),
  cycle: oa.nullable(oa.enumOf(['daily', 'weekly', 'monthly'])),
  usageInCycle: usdFigure('Usage in the cycle'),
  usageInTotal: usdFigure('Usage in total'),
  expiredAt: oa.nullable(oa.dateTime()),
  expired: oa.bool(),
  groupId: oa.nullable(oa.str()),
  keyGroup: oa.nullable(oa.str('Group name')),
  routingProfileId: oa.nullable(oa.str()),
  ipAllow: oa.nullable(oa.array(oa.str('IP or CIDR'))),
  ipDeny: oa.nullable(oa.array(oa.str('IP or CIDR'))),
  allowedModels: oa.nullable(oa.array(oa.str())),
  ...rateLimitFields,
  projectId: oa.str(),
  createdAt: oa.dateTime(),
  lastUsedAt: oa.nullable(oa.dateTime()),
});
const keySettings = {
  name: oa.str('Key name'),
  groupId: oa.nullable(oa.str('Key group id')),
  limit: oa.nullable(oa.usdInput('Usage limit')),
  cycle: oa.nullable(oa.enumOf(['daily', 'weekly', 'monthly'], 'Reset cycle of the limit')),
  monthlyBudget: oa.nullable(oa.usdInput('Monthly budget')),
  ipAllow: oa.nullable(oa.array(oa.str(), 'IPs or CIDRs allowed (others refused)')),
  ipDeny: oa.nullable(oa.array(oa.str(), 'IPs or CIDRs refused')),
  routingProfileId: oa.nullable(oa.str('Routing profile bound to the key')),
  allowedModels: oa.nullable(oa.array(oa.str(), 'Models the key may call (null: any)')),
  expiredAt: oa.nullable(oa.dateTime('Expiry')),
  ...rateLimitFields,
};
const groupShape = oa.object({
  id: oa.str(),
  name: oa.str(),
  monthlyBudget: usdFigure('Monthly budget'),
  ...rateLimitFields,
  createdAt: oa.dateTime(),
});
const groupFields = { name: oa.str('Group name'), monthlyBudget: oa.nullable(oa.usdInput('Monthly budget')), ...rateLimitFields };
const managementKeyShape = oa.object({
  id: oa.str(),
  name: oa.str(),
  mgmt_scope: oa.enumOf(['buyer', 'seller', 'full']),
  enabled: oa.bool(),
  keyPreview: oa.str(),
  createdAt: oa.dateTime(),
});
const keyId = oa.idParam('The key id');

// ---- Routes -----------------------------------------------------------------------------------

type RouteContext = { request: FastifyRequest; run: Runner };
type Runner = <TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables) => Promise<TResult>;

export async function dragonflyRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  prepareDragonflyScope(app);
  const route = dragonflyRoute<RouteContext>(gateway, (request, principal) => ({
    request,
    run: async (document, variables) => {
      const result = await gateway.run(document, variables, principal, String(request.id));
      if (result.errors?.length || !result.data) throw new DragonflyFailure(restErrorFrom(result.errors ?? []));
      return result.data;
    },
  }));

  // Buyer keys. Static /api/keys/groups routes win over /api/keys/:id in fastify's router.
  app.get(
    '/api/keys',
    {
      schema: documented({
        operationId: 'dragonflyListKeys',
        summary: 'List buyer API keys',
        query: oa.pageQuery(),
        ok: oa.page('keys', keyShape),
      }),
    },
    route(200, async ({ request, run }) => {
      const data = await run(DragonflyListKeysDocument, pageQuery(request));
      const { items, total, page, pageSize } = data.apiKeys;
      return { keys: items.map(toDragonflyKey), total, page, pageSize };
    }),
  );

  app.post(
    '/api/keys',
    {
      schema: documented({
        operationId: 'dragonflyCreateKey',
        summary: 'Create a buyer API key',
        description: 'The raw key (`key`, sk-df-…) is returned only here. Every field is optional; unknown fields are refused.',
        body: oa.strictBody({ ...keySettings, key_group: oa.str('A key group by name: used, or created') }),
        status: 201,
        ok: oa.object({ ...(keyShape.properties as Record<string, oa.JsonSchema>), key: oa.str('The raw key, shown once') }),
      }),
    },
    route(201, async ({ request, run }) => {
      const input = toInput(bodyObject(request, { optional: true }), KEY_CREATE_FIELDS) as CreateApiKeyInput;
      try {
        const data = await run(DragonflyCreateKeyDocument, { input });
        return { ...toDragonflyKey(data.createApiKey.apiKey), key: data.createApiKey.rawKey };
      } catch (error) {
        // The domain names the field keyGroup; Dragonfly clients sent key_group.
        if (error instanceof DragonflyFailure && error.error.details?.field === 'keyGroup')
          error.error.details = { ...error.error.details, field: 'key_group' };
        throw error;
      }
    }),
  );

  app.get(
    '/api/keys/:id',
    {
      schema: documented({
        operationId: 'dragonflyGetKey',
        summary: 'Get a buyer API key',
        params: keyId,
        ok: keyShape,
      }),
    },
    route(200, async ({ request, run }) => toDragonflyKey((await run(DragonflyGetKeyDocument, { id: idParam(request) })).apiKey)),
  );

  app.patch(
    '/api/keys/:id',
    {
      schema: documented({
        operationId: 'dragonflyUpdateKey',
        summary: 'Update a buyer API key',
        description:
          'Send any of the fields: absent stays, null clears. Limits, budgets, IP rules, allowed models, routing profile, rate limits.',
        params: keyId,
        body: oa.strictBody(keySettings),
        ok: keyShape,
      }),
    },
    route(200, async ({ request, run }) => {
      const input = toInput(bodyObject(request), KEY_SETTINGS, { requireSome: true }) as UpdateApiKeyInput;
      return toDragonflyKey((await run(DragonflyUpdateKeyDocument, { id: idParam(request), input })).updateApiKey);
    }),
  );

  app.delete(
    '/api/keys/:id',
    {
      schema: documented({
        operationId: 'dragonflyRevokeKey',
        summary: 'Revoke a buyer API key',
        params: keyId,
        ok: keyShape,
      }),
    },
    route(200, async ({ request, run }) => toDragonflyKey((await run(DragonflyRevokeKeyDocument, { id: idParam(request) })).revokeApiKey)),
  );

  // Key groups.
  app.get(
    '/api/keys/groups',
    {
      schema: documented({
        operationId: 'dragonflyListKeyGroups',
        summary: 'List key groups',
        ok: oa.object({ groups: oa.array(groupShape) }, ['groups']),
      }),
    },
    route(200, async ({ run }) => ({ groups: (await run(DragonflyListKeyGroupsDocument, {})).keyGroups.map(toDragonflyGroup) })),
  );

  app.post(
    '/api/keys/groups',
    {
      schema: documented({
        operationId: 'dragonflyCreateKeyGroup',
        summary: 'Create a key group (monthly budget, rate limits)',
        body: oa.strictBody(groupFields, ['name']),
        status: 201,
        ok: groupShape,
      }),
    },
    route(201, async ({ request, run }) => {
      const input = toInput(bodyObject(request), GROUP_FIELDS) as CreateKeyGroupInput;
      return toDragonflyGroup((await run(DragonflyCreateKeyGroupDocument, { input })).createKeyGroup);
    }),
  );

  app.patch(
    '/api/keys/groups/:id',
    {
      schema: documented({
        operationId: 'dragonflyUpdateKeyGroup',
        summary: 'Update a key group',
        params: oa.idParam('The group id'),
        body: oa.strictBody(groupFields),
        ok: groupShape,
      }),
    },
    route(200, async ({ request, run }) => {
      const input = toInput(bodyObject(request), GROUP_FIELDS, { requireSome: true }) as UpdateKeyGroupInput;
      return toDragonflyGroup((await run(DragonflyUpdateKeyGroupDocument, { id: idParam(request), input })).updateKeyGroup);
    }),
  );

  app.delete(
    '/api/keys/groups/:id',
    {
      schema: documented({
        operationId: 'dragonflyDeleteKeyGroup',
        summary: 'Delete a key group',
        params: oa.idParam('The group id'),
        ok: groupShape,
      }),
    },
    route(200, async ({ request, run }) =>
      toDragonflyGroup((await run(DragonflyDeleteKeyGroupDocument, { id: idParam(request) })).deleteKeyGroup),
    ),
  );

  // Management keys (the subgraph accepts a dashboard session only).
  app.get(
    '/api/management-keys',
    {
      schema: documented({
        operationId: 'dragonflyListManagementKeys',
        summary: 'List management keys',
        security: ['dashboardSession'],
        query: oa.pageQuery(),
        ok: oa.page('managementKeys', managementKeyShape),
      }),
    },
    route(200, async ({ request, run }) => {
      const { items, total, page, pageSize } = (await run(DragonflyListManagementKeysDocument, pageQuery(request))).managementKeys;
      return { managementKeys: items.map(toDragonflyManagementKey), total, page, pageSize };
    }),
  );

  app.post(
    '/api/management-keys',
    {
      schema: documented({
        operationId: 'dragonflyCreateManagementKey',
        summary: 'Create a management key',
        description: 'The raw key (`key`, mk-…) is returned only here: store it in a secret manager.',
        security: ['dashboardSession'],
        body: oa.strictBody({ name: oa.str('Key name'), mgmt_scope: oa.enumOf(['buyer', 'seller', 'full'], 'What the key may manage') }, [
          'name',
          'mgmt_scope',
        ]),
        status: 201,
        ok: oa.object({ ...(managementKeyShape.properties as Record<string, oa.JsonSchema>), key: oa.str('The raw key, shown once') }),
      }),
    },
    route(201, async ({ request, run }) => {
      const body = bodyObject(request);
      // The documented request always names the scope; the domain's default (full) is not Dragonfly's contract.
      if (body.mgmt_scope == null) throw badRequest('mgmt_scope is required: "buyer", "seller" or "full"', { field: 'mgmt_scope' });
      const input = toInput(body, MANAGEMENT_KEY_FIELDS) as { name: string; scope: 'BUYER' | 'SELLER' | 'FULL' };
      const data = await run(DragonflyCreateManagementKeyDocument, { input });
      return { ...toDragonflyManagementKey(data.createManagementKey.managementKey), key: data.createManagementKey.rawKey };
    }),
  );

  app.delete(
    '/api/management-keys/:id',
    {
      schema: documented({
        operationId: 'dragonflyDeleteManagementKey',
        summary: 'Delete a management key',
        security: ['dashboardSession'],
        params: oa.idParam('The management key id'),
        ok: oa.object({ id: oa.str(), deleted: { const: true } }),
      }),
    },
    route(200, async ({ request, run }) => {
      const data = await run(DragonflyDeleteManagementKeyDocument, { id: idParam(request) });
      return { id: data.deleteManagementKey.id, deleted: true };
    }),
  );
}
