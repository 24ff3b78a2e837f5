// The OpenAPI side of the REST routes and the data plane: each route declares a fastify `schema`
// (summary, tag, operationId, parameters, body, credentials, responses) that @fastify/swagger turns
// into GET /openapi.json (gateway/openapi.ts). The schemas document; they never judge: every route
// keeps checking its own input and answering in its own envelope, so `documentationOnly` replaces
// fastify's ajv validation and fast-json-stringify serialisation in the scopes that carry them.
import type { FastifyInstance, FastifySchema } from 'fastify';

export type ApiTag = 'Dragonfly' | 'DGrid' | 'NaaP' | 'Data plane';

/** The bearer credentials (gateway/openapi.ts declares them as security schemes). */
export type Credential = 'dashboardSession' | 'managementKey' | 'buyerKey' | 'anthropicApiKey';

/** Each surface's error envelope, one shared component each (gateway/openapi.ts). */
export type ErrorEnvelope = 'DragonflyError' | 'DgridError' | 'NaapError' | 'DashboardError' | 'OpenAIError' | 'AnthropicError';

export type JsonSchema = Record<string, unknown>;

/**
 * Schemas that neither validate nor serialise: requests reach the handlers as parsed, answers are
 * JSON.stringify'd exactly as without a schema. Set on every scope whose routes carry schemas.
 */
export function documentationOnly(scope: FastifyInstance): void {
  scope.setValidatorCompiler(() => () => true);
  scope.setSerializerCompiler(() => serializeAsWithoutSchema);
}

/**
 * JSON.stringify, as fastify serialises a reply without a schema. The one other thing fastify hands
 * a response serialiser is an error its last-resort handler answers (every error handler having
 * failed): an object whose prototype is the error; without a schema fastify writes
 * {statusCode, code, error, message}, so that is written here too.
 */
export function serializeAsWithoutSchema(data: unknown): string {
  if (data instanceof Error) {
    const { statusCode, code, error, message } = data as Error & { statusCode?: number; code?: string; error?: string };
    return JSON.stringify({ statusCode, code, error, message });
  }
  return JSON.stringify(data);
}

export interface OperationSpec {
  operationId: string;
  summary: string;
  description?: string;
  /** Who may call it (any one of them); absent: the surface's default; `[]`: public. */
  security?: Credential[];
  /** The credential may also be left out (the route then acts anonymously). */
  optionalAuth?: boolean;
  /** Path parameters (each required). */
  params?: Record<string, JsonSchema>;
  /** Query-string parameters (optional unless listed in `requiredQuery`). */
  query?: Record<string, JsonSchema>;
  requiredQuery?: string[];
  /** The JSON body. */
  body?: JsonSchema;
  /** The success status (200 unless given) and its body. */
  status?: number;
  ok: JsonSchema;
  okDescription?: string;
  /** The success answer's media type when it is not JSON (the CSV export, HTML pages). */
  okMediaType?: string;
}

/** A response entry as @fastify/swagger reads it: a schema with a description, or `content` by media type. */
function response(description: string, schema: JsonSchema, mediaType?: string): JsonSchema {
  return mediaType ? { description, content: { [mediaType]: { schema } } } : { description, ...schema };
}

/**
 * One surface's operation builder: its tag, its error component and the credentials its routes
 * take unless an operation says otherwise.
 */
export function surfaceOperations(tag: ApiTag, errors: ErrorEnvelope, defaultSecurity: Credential[]) {
  return (spec: OperationSpec): FastifySchema => {
    const security = spec.security ?? defaultSecurity;
    const schema: Record<string, unknown> = {
      tags: [tag],
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      security: [...security.map((name) => ({ [name]: [] })), ...(spec.optionalAuth ? [{}] : [])],
      response: {
        [spec.status ?? 200]: response(spec.okDescription ?? 'Success', spec.ok, spec.okMediaType),
        default: { description: `Error, in the ${tag} surface's envelope`, $ref: `${errors}#` },
      },
    };
    if (spec.params) schema.params = object(spec.params, Object.keys(spec.params));
    if (spec.query) schema.querystring = object(spec.query, spec.requiredQuery ?? []);
    if (spec.body) schema.body = spec.body;
    return schema as FastifySchema;
  };
}

// ---- Schema shorthands ------------------------------------------------------------------------

/** An object; `additionalProperties` left open (answers may grow fields). */
export function object(properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', properties, ...(required.length ? { required } : {}), ...extra };
}

/** A request body object that refuses unknown fields, as the Dragonfly adapters do. */
export function strictBody(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return object(properties, required, { additionalProperties: false });
}

export const str = (description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
export const int = (description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'integer',
  ...(description ? { description } : {}),
  ...extra,
});
export const num = (description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'number',
  ...(description ? { description } : {}),
  ...extra,
});
export const bool = (description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'boolean',
  ...(description ? { description } : {}),
  ...extra,
});
/** The schema, or null (an enum lists null among its values too). */
export const nullable = (schema: JsonSchema): JsonSchema => ({
  ...schema,
  type: [schema.type as string, 'null'],
  ...(Array.isArray(schema.enum) ? { enum: [...schema.enum, null] } : {}),
});
export const array = (items: JsonSchema, description?: string): JsonSchema => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});
export const enumOf = (values: string[], description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  enum: values,
  ...(description ? { description } : {}),
  ...extra,
});
export const dateTime = (description?: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  ...(description ? { description } : {}),
});

/** Money as the Dragonfly convention writes it: `<name>` (USD number) and `<name>Micros` (exact integer). */
export function money(name: string, description = name, nullableAmount = false): Record<string, JsonSchema> {
  const usd = num(`${description}, USD (exact to the micro-dollar)`);
  const micros = int(`${description}, integer micro-USD (1 USD = 1,000,000); add these up, not the USD numbers`);
  return { [name]: nullableAmount ? nullable(usd) : usd, [`${name}Micros`]: nullableAmount ? nullable(micros) : micros };
}

/** A USD amount in a request body: a JSON number or a decimal string. */
export const usdInput = (description: string): JsonSchema => ({
  type: ['number', 'string'],
  description: `${description}: USD as a JSON number or a decimal string`,
});

export const idParam = (description = 'The id'): Record<string, JsonSchema> => ({ id: str(description) });

/** `?page&pageSize` of the Dragonfly and NaaP lists. */
export const pageQuery = (pageSizeName = 'pageSize'): Record<string, JsonSchema> => ({
  page: int('Page number, from 1', { default: 1, minimum: 1 }),
  [pageSizeName]: int('Results per page', { default: 20, minimum: 1, maximum: 100 }),
});

/** A page of results as the Dragonfly lists answer it. */
export function page(name: string, item: JsonSchema): JsonSchema {
  return object({ [name]: array(item), total: int('Results in all'), page: int(), pageSize: int() }, [name, 'total', 'page', 'pageSize']);
}

/** `from` / `to` of the money and usage windows. */
export const windowQuery: Record<string, JsonSchema> = {
  from: dateTime('Window start, RFC 3339 (e.g. 2026-06-01T00:00:00Z); default 30 days before `to`'),
  to: dateTime('Window end, RFC 3339; default now'),
};
