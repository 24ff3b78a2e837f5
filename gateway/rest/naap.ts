// NaaP developer API: /api/v1/billing-providers (public) and /api/v1/developer/{keys,projects}
// (dashboard session only). A thin adapter: names, lengths, ownership, the default project, the
// sealing of the provider-issued key all live in the accounts subgraph; this file translates
// shapes and writes NaaP's envelope {success, data?, error?, meta?}.
import type { FastifyReply, FastifyRequest, FastifyInstance } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import {
  NaapBillingProvidersDocument,
  NaapCreateKeyDocument,
  NaapCreateProjectDocument,
  NaapGetKeyDocument,
  NaapListKeysDocument,
  NaapListProjectsDocument,
  NaapRevokeKeyDocument,
  MoneyDeveloperUsageDocument,
  type NaapKeyFragment,
  type NaapProjectFragment,
} from '../../schema/generated/graphql';
import { isDomainError } from '../../subgraphs/common/errors';
import { microsToUsd } from '../../subgraphs/common/money';
import { ANONYMOUS, type Principal } from '../../subgraphs/common/principal';
import type { GatewayApi } from '../gateway-api';
import { asObject, managementRateLimit, queryInt } from './common';
import { restErrorFrom, restErrorFromFastify } from './graphql-errors';
import * as oa from './openapi-schemas';
import { errorBody } from './envelopes';

const SURFACE = 'naap';
const KEY_WARNING = 'Store this key securely. It will not be shown again.';

// ---- envelope -------------------------------------------------------------------------------

interface NaapError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** NaaP's error vocabulary, by HTTP status; other 4xx statuses (413, 415) keep their status as BAD_REQUEST. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

function naapError(status: number, message: string, details?: Record<string, unknown>): NaapError {
  return {
    status,
    code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
    message,
    ...(details ? { details } : {}),
  };
}

function validationError(fields: Record<string, string>): NaapError {
  return { status: 400, code: 'VALIDATION_ERROR', message: Object.values(fields)[0], details: { fields } };
}

/**
 * A GraphQL error in NaaP's terms. A bad input naming one of the route's body fields (`bodyFields`
 * maps the domain's field name to NaaP's) is a VALIDATION_ERROR with `details.fields`; any other
 * bad input (query string, path) is a BAD_REQUEST.
 */
function fromGraphQL(errors: readonly GraphQLFormattedError[], bodyFields: Record<string, string> = {}): NaapError {
  const error = restErrorFrom(errors);
  const field = error.details?.field;
  if (error.status === 400 && typeof field === 'string' && bodyFields[field])
    return validationError({ [bodyFields[field]]: error.message });
  return naapError(error.status, error.message);
}

function sendError(reply: FastifyReply, error: NaapError) {
  return reply.code(error.status).send(errorBody.naap(error.code, error.message, error.details));
}

// ---- credentials ----------------------------------------------------------------------------

/**
 * The developer routes take a dashboard session only. An invalid credential is a 401; a valid one
 * of another kind (management key, buyer key) is a 403. Then the per-credential rate limit.
 */
async function sessionPrincipal(gateway: GatewayApi, request: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
  let principal: Principal;
  try {
    principal = await gateway.authenticator.fromAuthorization(request.headers.authorization);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    sendError(
      reply,
      error.code === 'FORBIDDEN'
        ? naapError(403, 'The developer API takes a dashboard session, not a buyer key')
        : naapError(401, error.message),
    );
    return null;
  }
  if (principal.kind === 'anonymous') {
    sendError(reply, naapError(401, 'Authentication required'));
    return null;
  }
  if (principal.kind !== 'user') {
    sendError(reply, naapError(403, 'The developer API takes a dashboard session, not a management key'));
    return null;
  }
  const rate = await managementRateLimit(gateway, principal, SURFACE);
  if (!rate.allowed) {
    reply.header('Retry-After', String(rate.retryAfterSeconds));
    sendError(reply, naapError(429, 'Too many requests; retry later'));
    return null;
  }
  return principal;
}

// ---- shapes ---------------------------------------------------------------------------------

/** ACTIVE | DISABLED | REVOKED | EXPIRED. DISABLED (a key disabled through Dragonfly or DGrid) is our addition. */
function keyStatus(key: NaapKeyFragment): string {
  if (key.status === 'REVOKED') return 'REVOKED';
  if (key.expired) return 'EXPIRED';
  return key.status;
}

function toNaapKey(key: NaapKeyFragment) {
  return {
    id: key.id,
    keyPrefix: key.prefix,
    label: key.name,
    status: keyStatus(key),
    expiresAt: key.expiredAt,
    project: { id: key.project.id, name: key.project.name, isDefault: key.project.isDefault },
    billingProvider: key.billingProvider
      ? { id: key.billingProvider.id, slug: key.billingProvider.slug, displayName: key.billingProvider.displayName }
      : null,
    createdAt: key.createdAt,
  };
}

function toNaapProject(project: NaapProjectFragment) {
  return {
    id: project.id,
    name: project.name,
    isDefault: project.isDefault,
    createdAt: project.createdAt,
    _count: { apiKeys: project.apiKeyCount },
  };
}

/**
 * The body's string fields: each present one must be a string (a type check, not a rule: lengths
 * and values are the domain's), and each of `required` must be present.
 */
function stringFields<Name extends string>(
  body: Record<string, unknown>,
  names: readonly Name[],
  required: readonly Name[],
): { values: Partial<Record<Name, string>> } | { error: NaapError } {
  const values: Partial<Record<Name, string>> = {};
  const fields: Record<string, string> = {};
  for (const name of names) {
    const value = body[name];
    if (value === undefined || value === null) {
      if (required.includes(name)) fields[name] = `${name} is required`;
    } else if (typeof value !== 'string') fields[name] = `${name} must be a string`;
    else values[name] = value;
  }
  return Object.keys(fields).length ? { error: validationError(fields) } : { values };
}

// ---- documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('NaaP', 'NaapError', ['dashboardSession']);
const naapOk = (data: oa.JsonSchema, extra: Record<string, oa.JsonSchema> = {}): oa.JsonSchema =>
  oa.object({ success: { const: true }, data, ...extra }, ['success', 'data']);
const naapKeyShape = oa.object({
  id: oa.str(),
  keyPrefix: oa.str('First characters of the key'),
  label: oa.nullable(oa.str()),
  status: oa.enumOf(['ACTIVE', 'DISABLED', 'REVOKED', 'EXPIRED']),
  expiresAt: oa.nullable(oa.dateTime()),
  project: oa.object({ id: oa.str(), name: oa.str(), isDefault: oa.bool() }),
  billingProvider: oa.nullable(oa.object({ id: oa.str(), slug: oa.str(), displayName: oa.str() })),
  createdAt: oa.dateTime(),
});
const naapProjectShape = oa.object({
  id: oa.str(),
  name: oa.str(),
  isDefault: oa.bool(),
  createdAt: oa.dateTime(),
  _count: oa.object({ apiKeys: oa.int() }),
});

// ---- routes ---------------------------------------------------------------------------------

export async function naapRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  // The developer API speaks JSON only: a text/plain body is a 415, not a string to reject later.
  app.removeContentTypeParser('text/plain');
  // Malformed JSON, wrong content type, oversize bodies and anything unexpected, in NaaP's envelope.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const rest = restErrorFromFastify(error);
    return sendError(reply, rest.status === 500 ? naapError(500, 'Internal server error') : naapError(rest.status, rest.message));
  });

  // Public catalog: any Authorization header is ignored.
  app.get(
    '/api/v1/billing-providers',
    {
      schema: documented({
        operationId: 'naapBillingProviders',
        summary: 'List billing providers (public catalog)',
        security: [],
        ok: naapOk(
          oa.object({
            providers: oa.array(
              oa.object({
                id: oa.str(),
                slug: oa.str('URL-safe identifier'),
                displayName: oa.str(),
                description: oa.nullable(oa.str()),
                icon: oa.nullable(oa.str()),
                authType: oa.enumOf(['oauth', 'api_key', 'none']),
              }),
            ),
          }),
        ),
      }),
    },
    async (request, reply) => {
      const result = await gateway.run(NaapBillingProvidersDocument, {}, ANONYMOUS, String(request.id));
      if (result.errors?.length || !result.data) return sendError(reply, fromGraphQL(result.errors ?? []));
      return reply.send({ success: true, data: { providers: result.data.billingProviders } });
    },
  );

  app.get(
    '/api/v1/developer/keys',
    {
      schema: documented({
        operationId: 'naapListKeys',
        summary: 'List developer API keys',
        query: oa.pageQuery(),
        ok: naapOk(oa.object({ keys: oa.array(naapKeyShape) }), {
          meta: oa.object({ page: oa.int(), pageSize: oa.int(), total: oa.int(), totalPages: oa.int(), timestamp: oa.dateTime() }),
        }),
      }),
    },
    async (request, reply) => {
      const principal = await sessionPrincipal(gateway, request, reply);
      if (!principal) return reply;
      const page = queryInt(request, 'page', 1);
      const pageSize = queryInt(request, 'pageSize', 20);
      if (page === null || pageSize === null) return sendError(reply, naapError(400, 'page and pageSize must be integers'));
      const result = await gateway.run(NaapListKeysDocument, { page, pageSize }, principal, String(request.id));
      if (result.errors?.length || !result.data) return sendError(reply, fromGraphQL(result.errors ?? []));
      const list = result.data.apiKeys;
      return reply.send({
        success: true,
        data: { keys: list.items.map(toNaapKey) },
        meta: {
          page: list.page,
          pageSize: list.pageSize,
          total: list.total,
          totalPages: Math.ceil(list.total / list.pageSize),
          timestamp: new Date().toISOString(),
        },
      });
    },
  );

  app.post(
    '/api/v1/developer/keys',
    {
      schema: documented({
        operationId: 'naapCreateKey',
        summary: 'Create a developer API key linked to a billing provider',
        description: 'The raw key is returned only once. Without projectId or projectName the key goes to the default project.',
        body: oa.object(
          {
            billingProviderId: oa.str('Billing provider id'),
            rawApiKey: oa.str('The provider-issued API key (from the provider login)'),
            projectId: oa.str('Existing project'),
            projectName: oa.str('A new project with this name'),
            label: oa.str('Human-readable label'),
          },
          ['billingProviderId', 'rawApiKey'],
        ),
        status: 201,
        ok: naapOk(oa.object({ key: naapKeyShape, rawApiKey: oa.str('Shown once'), warning: oa.str() })),
      }),
    },
    async (request, reply) => {
      const principal = await sessionPrincipal(gateway, request, reply);
      if (!principal) return reply;
      const body = asObject(request.body);
      if (!body) return sendError(reply, naapError(400, 'Body must be a JSON object'));
      const parsed = stringFields(body, ['billingProviderId', 'rawApiKey', 'projectId', 'projectName', 'label'] as const, [
        'billingProviderId',
        'rawApiKey',
      ]);
      if ('error' in parsed) return sendError(reply, parsed.error);
      const { billingProviderId, rawApiKey, projectId, projectName, label } = parsed.values;
      const input = { billingProviderId, providerApiKey: rawApiKey, projectId, projectName, name: label };
      const result = await gateway.run(NaapCreateKeyDocument, { input }, principal, String(request.id));
      if (result.errors?.length || !result.data) {
        return sendError(
          reply,
          fromGraphQL(result.errors ?? [], {
            billingProviderId: 'billingProviderId',
            providerApiKey: 'rawApiKey',
            rawApiKey: 'rawApiKey',
            projectId: 'projectId',
            projectName: 'projectName',
            name: 'label',
          }),
        );
      }
      const created = result.data.createApiKey;
      return reply
        .code(201)
        .send({ success: true, data: { key: toNaapKey(created.apiKey), rawApiKey: created.rawKey, warning: KEY_WARNING } });
    },
  );

  app.get(
    '/api/v1/developer/keys/:id',
    {
      schema: documented({
        operationId: 'naapGetKey',
        summary: 'Get a developer API key',
        params: oa.idParam('The key id'),
        ok: naapOk(oa.object({ key: naapKeyShape })),
      }),
    },
    async (request, reply) => {
      const principal = await sessionPrincipal(gateway, request, reply);
      if (!principal) return reply;
      const { id } = request.params as { id: string };
      const result = await gateway.run(NaapGetKeyDocument, { id }, principal, String(request.id));
      if (result.errors?.length || !result.data) return sendError(reply, fromGraphQL(result.errors ?? []));
      return reply.send({ success: true, data: { key: toNaapKey(result.data.apiKey) } });
    },
  );

  // A soft revoke; revoking again is a 404 (the domain does not find revoked keys to revoke).
  app.delete(
    '/api/v1/developer/keys/:id',
    {
      schema: documented({
        operationId: 'naapRevokeKey',
        summary: 'Revoke a developer API key',
        params: oa.idParam('The key id'),
        ok: naapOk(oa.object({ message: oa.str(), key: naapKeyShape })),
      }),
    },
    async (request, reply) => {
      const principal = await sessionPrincipal(gateway, request, reply);
      if (!principal) return reply;
      const { id } = request.params as { id: string };
      const result = await gateway.run(NaapRevokeKeyDocument, { id }, principal, String(request.id));
      if (result.errors?.length || !result.data) return sendError(reply, fromGraphQL(result.errors ?? []));
      return reply.send({ success: true, data: { message: 'API key revoked', key: toNaapKey(result.data.revokeApiKey) } });
    },
  );

  app.get(
    '/api/v1/developer/projects',
    {
      schema: documented({
        operationId: 'naapListProjects',
        summary: 'List projects',
        description: 'Each user has a default project, created automatically.',
        ok: naapOk(oa.object({ projects: oa.array(naapProjectShape) })),
      }),
    },
    async (request, reply) => {
      const principal = await sessionPrincipal(gateway, request, reply);
      if (!principal) return reply;
      const result = await gateway.run(NaapListProjectsDocument, {}, principal, String(request.id));
      if (result.errors?.length || !result.data) return sendError(reply, fromGraphQL(result.errors ?? []));
      return reply.send({ success: true, data: { projects: result.data.projects.map(toNaapProject) } });
    },
  );

  app.post(
    '/api/v1/developer/projects',
    {
      schema: documented({
        operationId: 'naapCreateProject',
        summary: 'Create a project',
        body: oa.object({ name: oa.str('Project name') }, ['name']),
        status: 201,
        ok: naapOk(oa.object({ project: naapProjectShape })),
      }),
    },
    async (request, reply) => {
      const principal = await sessionPrincipal(gateway, request, reply);
      if (!principal) return reply;
      const body = asObject(request.body);
      if (!body) return sendError(reply, naapError(400, 'Body must be a JSON object'));
      const parsed = stringFields(body, ['name'] as const, ['name']);
      if ('error' in parsed) return sendError(reply, parsed.error);
      const result = await gateway.run(NaapCreateProjectDocument, { input: { name: parsed.values.name! } }, principal, String(request.id));
      if (result.errors?.length || !result.data) return sendError(reply, fromGraphQL(result.errors ?? [], { name: 'name' }));
      return reply.code(201).send({ success: true, data: { project: toNaapProject(result.data.createProject) } });
    },
  );

  /**
   * Usage statistics for the caller's keys. totalKeys counts revoked keys too (as the key list
   * shows them); activeKeys those the key list shows as ACTIVE (not disabled, revoked or expired);
   * both counted over the key list, 100 a page, since accounts has no count of them. Requests and
   * cost cover the last 366 days, the longest window billing answers (older usage is not counted);
   * totalCost is USD with 4 decimals, truncated from the exact micros.
   */
  app.get(
    '/api/v1/developer/usage',
    {
      schema: documented({
        operationId: 'naapUsage',
        summary: "Usage statistics of the user's keys",
        ok: naapOk(
          oa.object({
            totalKeys: oa.int(),
            activeKeys: oa.int(),
            totalRequests: oa.int('Last 366 days'),
            totalCost: oa.str('USD, 4 decimals'),
          }),
        ),
      }),
    },
    async (request, reply) => {
      const principal = await sessionPrincipal(gateway, request, reply);
      if (!principal) return reply;
      const to = new Date();
      const from = new Date(to.getTime() - 366 * 86_400_000);
      const result = await gateway.run(
        MoneyDeveloperUsageDocument,
        { from: from.toISOString(), to: to.toISOString() },
        principal,
        String(request.id),
      );
      if (result.errors?.length || !result.data) return sendError(reply, fromGraphQL(result.errors ?? []));
      const { apiKeyCounts, usage } = result.data;
      return reply.send({
        success: true,
        data: {
          totalKeys: apiKeyCounts.total,
          activeKeys: apiKeyCounts.active,
          totalRequests: usage.requests,
          totalCost: microsToUsd(usage.cost.micros, 4),
        },
      });
    },
  );
}
