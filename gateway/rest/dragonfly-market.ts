// Dragonfly supply routes over market's GraphQL: the provider key pool (/v1/pool), listings,
// contracts, probes and the price-review queue (/v1/market), and buyers' routing profiles
// (/api/routing/profiles). A thin adapter: who may touch what (seller scope for supply, buyer
// scope for routing, another account's ids are NOT_FOUND), every input rule, the admission
// probes, the contract state machine and the price-review threshold all live in the market
// subgraph; this file translates JSON bodies into the operations' inputs and answers into
// Dragonfly's JSON (bare objects on success, `{error: {code, message, details?}}` on failure).
//
// Conventions (every route):
// - Money: each amount is `<name>` (a JSON number of USD, exact to the micro-dollar) and
//   `<name>Micros` (the exact integer of micro-USD), as in dragonfly-money.ts; e.g.
//   {"inputPricePerMTok": 0.15, "inputPricePerMTokMicros": 150000}. A price that is not set is
//   null in both. Prices in request bodies are USD as a JSON number or a decimal string.
// - Enum values are lowercase: capability chat | embeddings | speech; sort price | latency |
//   throughput; statuses and states (active, pending, degraded, suspended, …) and check kinds
//   (admission, scheduled, reverify, live) as the GraphQL enum names, lowercased.
// - Bodies: unknown fields are refused (400 naming them) rather than ignored; absent fields stay,
//   null clears (where the domain allows clearing).
//
// Routing profiles take OpenRouter-style names; the mapping to the GraphQL input is:
//   name → name                      sort (price|latency|throughput) → sort (PRICE|…)
//   order → providerOrder            allow → allowProviders (null = any provider)
//   deny → denyProviders             maxPrice.input → maxInputPricePerMTok
//   maxPrice.output → maxOutputPricePerMTok (maxPrice: null clears both ceilings)
//   allowFallbacks, fallbackModels, timeoutMs, maxRetries → the same names
//   allow_supply → allowSupply (null = everyone)   deny_supply → denySupply   supply_order → supplyOrder
//   (each entry a seller handle, a seller id or a listing id)
// Answers use the same REST names, and errors name the REST field (e.g. `maxPrice.input`).
//
// Listing metadata takes OpenRouter's snake_case names, in and out: context_length,
// max_output_tokens, supported_parameters, quantization, region and data_policy {retains_prompts,
// trains_on_prompts, zero_retention} (→ contextLength, maxOutputTokens, supportedParameters,
// quantization, region, dataPolicy {retainsPrompts, trainsOnPrompts, zeroRetention}); errors name them so.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  SupplyConfirmListingPriceDocument,
  SupplyContractChecksDocument,
  SupplyClaimSellerHandleDocument,
  SupplyCreateListingDocument,
  SupplyCreatePoolKeyDocument,
  SupplyCreateRoutingProfileDocument,
  SupplyDeleteListingDocument,
  SupplyDeletePoolKeyDocument,
  SupplyListingContractsDocument,
  SupplyListingDocument,
  SupplyListingProbeRunsDocument,
  SupplyListingsDocument,
  SupplyPoolKeysDocument,
  SupplyPriceReviewsDocument,
  SupplyProbeListingDocument,
  SupplyProvidersDocument,
  SupplyReverifyContractDocument,
  SupplyRoutingProfilesDocument,
  SupplySellerDocument,
  SupplySetListingPausedDocument,
  SupplyUnsuspendContractDocument,
  SupplyUpdateListingDocument,
  SupplyUpdateRoutingProfileDocument,
  type CreateListingInput,
  type CreatePoolKeyInput,
  type CreateRoutingProfileInput,
  type SupplyCheckFragment,
  type SupplyContractFragment,
  type SupplyListingFragment,
  type SupplyPoolKeyFragment,
  type SupplyPriceReviewFragment,
  type SupplyPricesFragment,
  type SupplyProbeRunFragment,
  type SupplyProviderFragment,
  type SupplyRoutingProfileFragment,
  type UpdateListingInput,
  type UpdateRoutingProfileInput,
} from '../../schema/generated/graphql';
import { microsToUsdNumber } from '../../subgraphs/common/money';
import type { GatewayApi } from '../gateway-api';
import { asObject, queryInt } from './common';
import { DragonflyFailure, dragonflyRoute, prepareDragonflyScope } from './dragonfly-route';
import * as oa from './openapi-schemas';
import { restErrorFrom } from './graphql-errors';

const badRequest = (message: string, details?: Record<string, unknown>) =>
  new DragonflyFailure({ status: 400, code: 'BAD_USER_INPUT', message, details });

/** GraphQL input field → the REST field a caller sent it as (where the names differ). */
type FieldNames = Record<string, string>;

/**
 * A GraphQL error as a Dragonfly error. A refused query-string variable (`$limit`) names the
 * parameter; `restNames` renames GraphQL input fields in `details.field` and the message.
 */
function failureFrom(errors: readonly GraphQLFormattedError[], restNames: FieldNames = {}): DragonflyFailure {
  const error = restErrorFrom(errors);
  const variable = /^Variable "\$(\w+)"/.exec(errors[0]?.message ?? '')?.[1];
  if (variable && error.details?.field === 'body' && variable !== 'input' && variable !== 'id') {
    return new DragonflyFailure({
      ...error,
      message: error.message.replace(/^body:/, `${variable}:`),
      details: { ...error.details, field: variable },
    });
  }
  const field = error.details?.field;
  if (typeof field !== 'string' || Object.keys(restNames).length === 0) return new DragonflyFailure(error);
  const rename = (text: string) => text.replace(/\b[a-zA-Z]+\b/g, (word) => restNames[word] ?? word);
  return new DragonflyFailure({ ...error, message: rename(error.message), details: { ...error.details, field: rename(field) } });
}

// ---- Outgoing shapes ------------------------------------------------------------------------

type Amount = { micros: number } | null;

/** One amount as the convention's two fields: `name` (USD number) and `nameMicros` (exact integer); both null when unset. */
function money<Name extends string>(name: Name, amount: Amount): Record<Name | `${Name}Micros`, number | null> {
  return { [name]: amount ? microsToUsdNumber(amount.micros) : null, [`${name}Micros`]: amount ? amount.micros : null } as Record<
    Name | `${Name}Micros`,
    number | null
  >;
}

const lower = <T extends string>(value: T) => value.toLowerCase();

function toProvider(provider: SupplyProviderFragment) {
  return {
    id: provider.id,
    name: provider.name,
    baseUrl: provider.baseUrl,
    capabilities: provider.capabilities.map(lower),
    requiresBaseUrl: provider.requiresBaseUrl,
    acceptsBaseUrl: provider.acceptsBaseUrl,
  };
}

function toPoolKey(key: SupplyPoolKeyFragment) {
  return {
    id: key.id,
    provider: key.provider,
    label: key.label,
    baseUrl: key.baseUrl,
    keyPreview: key.keyPreview,
    status: lower(key.status),
    validatedAt: key.validatedAt,
    createdAt: key.createdAt,
    deletedAt: key.deletedAt,
  };
}

function toContract(contract: SupplyContractFragment) {
  return {
    id: contract.id,
    listingId: contract.listing?.id ?? null,
    state: lower(contract.state),
    consecutiveFailures: contract.consecutiveFailures,
    latencyMs: contract.latencyMs,
    ttftMs: contract.ttftMs,
    tokensPerSecond: contract.tokensPerSecond,
    lastCheckAt: contract.lastCheckAt,
    lastCheckPassed: contract.lastCheckPassed,
    lastReason: contract.lastReason,
    admittedAt: contract.admittedAt,
    suspendedAt: contract.suspendedAt,
    createdAt: contract.createdAt,
    updatedAt: contract.updatedAt,
  };
}

/** A set of listing prices; in a review's `proposed`, null = this price does not change. */
function toPrices(prices: SupplyPricesFragment) {
  return {
    ...money('inputPricePerMTok', prices.inputPricePerMTok),
    ...money('outputPricePerMTok', prices.outputPricePerMTok),
    ...money('pricePerMChars', prices.pricePerMChars),
  };
}

function toReview(review: SupplyPriceReviewFragment) {
  return {
    id: review.id,
    listingId: review.listing?.id ?? null,
    model: review.listing?.model ?? null,
    status: lower(review.status),
    increasePercent: review.increasePercent,
    current: toPrices(review.current),
    proposed: toPrices(review.proposed),
    createdAt: review.createdAt,
    resolvedAt: review.resolvedAt,
  };
}

function toListing(listing: SupplyListingFragment) {
  return {
    id: listing.id,
    model: listing.model,
    upstreamModel: listing.upstreamModel,
    capability: lower(listing.capability),
    status: lower(listing.status),
    paused: listing.paused,
    poolKeyId: listing.poolKey?.id ?? null,
    provider: listing.poolKey?.provider ?? null,
    ...money('inputPricePerMTok', listing.inputPricePerMTok),
    ...money('outputPricePerMTok', listing.outputPricePerMTok),
    ...money('pricePerMChars', listing.pricePerMChars),
    ...money('cacheReadPricePerMTok', listing.cacheReadPricePerMTok),
    ...money('priceFloor', listing.priceFloor),
    caps: {
      rpm: listing.caps.rpm,
      tpm: listing.caps.tpm,
      maxConcurrency: listing.caps.maxConcurrency,
      dailyTokens: listing.caps.dailyTokens,
    },
    hardware: listing.hardware ? { gpuModel: listing.hardware.gpuModel, gpuCount: listing.hardware.gpuCount } : null,
    context_length: listing.contextLength,
    max_output_tokens: listing.maxOutputTokens,
    supported_parameters: listing.supportedParameters,
    quantization: listing.quantization,
    region: listing.region,
    data_policy: {
      retains_prompts: listing.dataPolicy.retainsPrompts,
      trains_on_prompts: listing.dataPolicy.trainsOnPrompts,
      zero_retention: listing.dataPolicy.zeroRetention,
    },
    contract: listing.contract ? toContract(listing.contract) : null,
    pendingPriceReview: listing.pendingPriceReview ? toReview(listing.pendingPriceReview) : null,
    // Why a canonical listing is (not) routable under its id: each check with what was seen.
    verification: {
      status: lower(listing.verification.status),
      checkedAt: listing.verification.checkedAt,
      canonicalModel: listing.verification.canonicalModel,
      checks: listing.verification.checks.map((check) => ({ name: check.name, passed: check.passed, detail: check.detail })),
    },
    createdAt: listing.createdAt,
    updatedAt: listing.updatedAt,
    deletedAt: listing.deletedAt,
  };
}

function toCheck(check: SupplyCheckFragment) {
  return {
    id: check.id,
    kind: lower(check.kind),
    passed: check.passed,
    reason: check.reason,
    latencyMs: check.latencyMs,
    ttftMs: check.ttftMs,
    tokensPerSecond: check.tokensPerSecond,
    stateBefore: lower(check.stateBefore),
    stateAfter: lower(check.stateAfter),
    checkedAt: check.checkedAt,
  };
}

function toProbeRun(run: SupplyProbeRunFragment) {
  return {
    id: run.id,
    listingId: run.listing?.id ?? null,
    kind: lower(run.kind),
    capability: lower(run.capability),
    upstreamModel: run.upstreamModel,
    passed: run.passed,
    reason: run.reason,
    httpStatus: run.httpStatus,
    latencyMs: run.latencyMs,
    ttftMs: run.ttftMs,
    tokensPerSecond: run.tokensPerSecond,
    contentChunks: run.contentChunks,
    streamSpreadMs: run.streamSpreadMs,
    completionTokens: run.completionTokens,
    usageReported: run.usageReported,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

function toRoutingProfile(profile: SupplyRoutingProfileFragment) {
  return {
    id: profile.id,
    name: profile.name,
    sort: lower(profile.sort),
    order: profile.providerOrder,
    allow: profile.allowProviders,
    deny: profile.denyProviders,
    allow_supply: profile.allowSupply,
    deny_supply: profile.denySupply,
    supply_order: profile.supplyOrder,
    maxPrice: { ...money('input', profile.maxInputPricePerMTok), ...money('output', profile.maxOutputPricePerMTok) },
    allowFallbacks: profile.allowFallbacks,
    fallbackModels: profile.fallbackModels,
    timeoutMs: profile.timeoutMs,
    maxRetries: profile.maxRetries,
    streamIdleTimeoutMs: profile.streamIdleTimeoutMs,
    createdAt: profile.createdAt,
    updatedAt: profile.updatedAt,
  };
}

// ---- Incoming shapes ------------------------------------------------------------------------

/** Dragonfly's lowercase spellings → GraphQL enum names. */
const CAPABILITY_NAMES: Record<string, string> = { chat: 'CHAT', embeddings: 'EMBEDDINGS', speech: 'SPEECH' };
const SORT_NAMES: Record<string, string> = { price: 'PRICE', latency: 'LATENCY', throughput: 'THROUGHPUT' };

/** A lowercase enum value → its GraphQL name; null stays null (the domain's default); anything else is a 400 listing the values. */
function enumInput(names: Record<string, string>, field: string) {
  return (value: unknown): unknown => {
    if (value === null) return null;
    if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value];
    throw badRequest(`${field} must be one of: ${Object.keys(names).join(', ')}`, { field });
  };
}

/** USD as a JSON number → the decimal string the GraphQL inputs take; anything else unchanged (the subgraph or GraphQL judges it). */
function usdInput(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
}

/**
 * `maxPrice: {input?, output?}` → the two ceilings; `maxPrice: null` clears both. Each given
 * ceiling is USD per million tokens (null clears it); an absent one stays as it is.
 */
function maxPriceInput(value: unknown): Record<string, unknown> {
  if (value === null) return { maxInputPricePerMTok: null, maxOutputPricePerMTok: null };
  const object = asObject(value);
  if (!object) throw badRequest('maxPrice must be an object {input, output} of USD per million tokens, or null', { field: 'maxPrice' });
  const unknown = Object.keys(object).filter((name) => name !== 'input' && name !== 'output');
  if (unknown.length > 0)
    throw badRequest(`Unknown field: maxPrice.${unknown[0].slice(0, 60)}; allowed: maxPrice.input, maxPrice.output`, {
      field: `maxPrice.${unknown[0].slice(0, 60)}`,
    });
  const input: Record<string, unknown> = {};
  if (object.input !== undefined) input.maxInputPricePerMTok = usdInput(object.input);
  if (object.output !== undefined) input.maxOutputPricePerMTok = usdInput(object.output);
  return input;
}

const DATA_POLICY_FIELDS: Record<string, string> = {
  retains_prompts: 'retainsPrompts',
  trains_on_prompts: 'trainsOnPrompts',
  zero_retention: 'zeroRetention',
};

/** `data_policy: {retains_prompts?, trains_on_prompts?, zero_retention?}` → dataPolicy; null resets all three to false. */
function dataPolicyInput(value: unknown): Record<string, unknown> {
  if (value === null) return { dataPolicy: null };
  const object = asObject(value);
  if (!object)
    throw badRequest('data_policy must be an object {retains_prompts, trains_on_prompts, zero_retention}, or null', {
      field: 'data_policy',
    });
  const unknown = Object.keys(object).filter((name) => !Object.hasOwn(DATA_POLICY_FIELDS, name));
  if (unknown.length > 0) {
    throw badRequest(
      `Unknown field: data_policy.${unknown[0].slice(0, 60)}; allowed: ${Object.keys(DATA_POLICY_FIELDS)
        .map((name) => `data_policy.${name}`)
        .join(', ')}`,
      { field: `data_policy.${unknown[0].slice(0, 60)}` },
    );
  }
  return { dataPolicy: Object.fromEntries(Object.entries(object).map(([name, flag]) => [DATA_POLICY_FIELDS[name], flag])) };
}

/**
 * A body's accepted fields: Dragonfly name → the GraphQL input field it sets (values pass as
 * sent), or a function turning the value into input fields.
 */
type FieldMap = Record<string, string | ((value: unknown) => Record<string, unknown>)>;
const translated = (field: string, translate: (value: unknown) => unknown) => (value: unknown) => ({
  [field]: value === null ? null : translate(value),
});

const POOL_KEY_FIELDS: FieldMap = { provider: 'provider', apiKey: 'apiKey', baseUrl: 'baseUrl', label: 'label' };

/** What a listing's settings take (create and PATCH). */
const LISTING_SETTINGS: FieldMap = {
  poolKeyId: 'poolKeyId',
  inputPricePerMTok: translated('inputPricePerMTok', usdInput),
  outputPricePerMTok: translated('outputPricePerMTok', usdInput),
  pricePerMChars: translated('pricePerMChars', usdInput),
  cacheReadPricePerMTok: translated('cacheReadPricePerMTok', usdInput),
  priceFloor: translated('priceFloor', usdInput),
  caps: 'caps',
  hardware: 'hardware',
  context_length: 'contextLength',
  max_output_tokens: 'maxOutputTokens',
  supported_parameters: 'supportedParameters',
  quantization: 'quantization',
  region: 'region',
  data_policy: dataPolicyInput,
};
/** The listing input fields whose REST names differ, for naming them in errors. */
const LISTING_REST_NAMES: FieldNames = {
  contextLength: 'context_length',
  maxOutputTokens: 'max_output_tokens',
  supportedParameters: 'supported_parameters',
  dataPolicy: 'data_policy',
  retainsPrompts: 'retains_prompts',
  trainsOnPrompts: 'trains_on_prompts',
  zeroRetention: 'zero_retention',
};
/** PATCH also takes `paused` (true | false), sent as its own mutation (setListingPaused) after the settings. */
const LISTING_PATCH_FIELDS: FieldMap = { ...LISTING_SETTINGS, paused: () => ({}) };
const LISTING_CREATE_FIELDS: FieldMap = {
  ...LISTING_SETTINGS,
  model: 'model',
  upstreamModel: 'upstreamModel',
  capability: translated('capability', enumInput(CAPABILITY_NAMES, 'capability')),
};

const ROUTING_PROFILE_FIELDS: FieldMap = {
  name: 'name',
  sort: translated('sort', enumInput(SORT_NAMES, 'sort')),
  order: 'providerOrder',
  allow: 'allowProviders',
  deny: 'denyProviders',
  allow_supply: 'allowSupply',
  deny_supply: 'denySupply',
  supply_order: 'supplyOrder',
  maxPrice: maxPriceInput,
  allowFallbacks: 'allowFallbacks',
  fallbackModels: 'fallbackModels',
  timeoutMs: 'timeoutMs',
  maxRetries: 'maxRetries',
  streamIdleTimeoutMs: 'streamIdleTimeoutMs',
};
/** The routing-profile input fields whose REST names differ, for naming them in errors. */
const ROUTING_PROFILE_REST_NAMES: FieldNames = {
  providerOrder: 'order',
  allowProviders: 'allow',
  denyProviders: 'deny',
  allowSupply: 'allow_supply',
  denySupply: 'deny_supply',
  supplyOrder: 'supply_order',
  maxInputPricePerMTok: 'maxPrice.input',
  maxOutputPricePerMTok: 'maxPrice.output',
};

/** A JSON object body, or a 400. */
function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = asObject(request.body);
  if (!body) throw new DragonflyFailure({ status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
  return body;
}

/**
 * Translates the body's fields into the GraphQL input; absent stays absent, null stays null.
 * Unknown names are refused rather than ignored; `required` fields must be present and not null
 * (named here, since GraphQL's own message would not name them); `requireSome`: at least one field.
 */
function toInput(
  body: Record<string, unknown>,
  fields: FieldMap,
  { required = [] as string[], requireSome = false } = {},
): Record<string, unknown> {
  const unknown = Object.keys(body).filter((name) => !Object.hasOwn(fields, name));
  if (unknown.length > 0) {
    throw badRequest(
      `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.map((name) => name.slice(0, 60)).join(', ')}; allowed: ${Object.keys(fields).join(', ')}`,
      { unknownFields: unknown.map((name) => name.slice(0, 60)) },
    );
  }
  const missing = required.find((name) => body[name] === undefined || body[name] === null);
  if (missing) throw badRequest(`${missing} is required`, { field: missing });
  if (requireSome && Object.keys(body).length === 0) throw badRequest(`Nothing to change; send any of: ${Object.keys(fields).join(', ')}`);
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const field = fields[name];
    Object.assign(input, typeof field === 'string' ? { [field]: value } : field(value));
  }
  return input;
}

const idParam = (request: FastifyRequest) => (request.params as { id: string }).id;

/** A query-string integer: absent → fallback; else an integer or a 400 naming it (the domain checks its range). */
function limitQuery(request: FastifyRequest, fallback: number): number {
  const limit = queryInt(request, 'limit', fallback);
  if (limit === null) throw badRequest('limit must be an integer', { field: 'limit' });
  return limit;
}

function queryBoolean(request: FastifyRequest, name: string): boolean {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined || value === '') return false;
  if (value === 'true' || value === 'false') return value === 'true';
  throw badRequest(`${name} must be true or false`, { field: name });
}

// ---- Documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('Dragonfly', 'DragonflyError', ['dashboardSession', 'managementKey']);
const priceFields = (names: string[]) =>
  Object.assign({}, ...names.map((name) => oa.money(name, name, true))) as Record<string, oa.JsonSchema>;
const PRICE_NAMES = ['inputPricePerMTok', 'outputPricePerMTok', 'pricePerMChars'];
const contractShape = oa.object({
  id: oa.str(),
  listingId: oa.nullable(oa.str()),
  state: oa.str('pending, active, degraded, suspended, …'),
  consecutiveFailures: oa.int(),
  latencyMs: oa.nullable(oa.int()),
  ttftMs: oa.nullable(oa.int()),
  tokensPerSecond: oa.nullable(oa.num()),
  lastCheckAt: oa.nullable(oa.dateTime()),
  lastCheckPassed: oa.nullable(oa.bool()),
  lastReason: oa.nullable(oa.str()),
  admittedAt: oa.nullable(oa.dateTime()),
  suspendedAt: oa.nullable(oa.dateTime()),
  createdAt: oa.dateTime(),
  updatedAt: oa.dateTime(),
});
const reviewShape = oa.object({
  id: oa.str(),
  listingId: oa.nullable(oa.str()),
  model: oa.nullable(oa.str()),
  status: oa.str('pending, confirmed, superseded, cancelled'),
  increasePercent: oa.num(),
  current: oa.object(priceFields(PRICE_NAMES)),
  proposed: oa.object(priceFields(PRICE_NAMES), [], { description: 'null: this price does not change' }),
  createdAt: oa.dateTime(),
  resolvedAt: oa.nullable(oa.dateTime()),
});
const capsShape = oa.object({
  rpm: oa.nullable(oa.int()),
  tpm: oa.nullable(oa.int()),
  maxConcurrency: oa.nullable(oa.int()),
  dailyTokens: oa.nullable(oa.int()),
});
const dataPolicyShape = oa.object({ retains_prompts: oa.bool(), trains_on_prompts: oa.bool(), zero_retention: oa.bool() });
const listingShape = oa.object({
  id: oa.str(),
  model: oa.str('Public model id (seller-handle/model)'),
  upstreamModel: oa.str(),
  capability: oa.enumOf(['chat', 'embeddings', 'speech']),
  status: oa.str('pending, active, …'),
  paused: oa.bool(),
  poolKeyId: oa.nullable(oa.str()),
  provider: oa.nullable(oa.str()),
  ...priceFields([...PRICE_NAMES, 'cacheReadPricePerMTok', 'priceFloor']),
  caps: capsShape,
  hardware: oa.nullable(oa.object({ gpuModel: oa.str(), gpuCount: oa.int() })),
  context_length: oa.nullable(oa.int()),
  max_output_tokens: oa.nullable(oa.int()),
  supported_parameters: oa.nullable(oa.array(oa.str())),
  quantization: oa.nullable(oa.str()),
  region: oa.nullable(oa.str()),
  data_policy: dataPolicyShape,
  contract: oa.nullable(contractShape),
  pendingPriceReview: oa.nullable(reviewShape),
  verification: oa.object({
    status: oa.str(),
    checkedAt: oa.nullable(oa.dateTime()),
    canonicalModel: oa.nullable(oa.str()),
    checks: oa.array(oa.object({ name: oa.str(), passed: oa.bool(), detail: oa.nullable(oa.str()) })),
  }),
  createdAt: oa.dateTime(),
  updatedAt: oa.dateTime(),
  deletedAt: oa.nullable(oa.dateTime()),
});
const listingSettings: Record<string, oa.JsonSchema> = {
  poolKeyId: oa.str('The pool key that serves it'),
  inputPricePerMTok: oa.nullable(oa.usdInput('Price a million input tokens')),
  outputPricePerMTok: oa.nullable(oa.usdInput('Price a million output tokens')),
  pricePerMChars: oa.nullable(oa.usdInput('Speech: price a million characters')),
  cacheReadPricePerMTok: oa.nullable(oa.usdInput('Price a million cached input tokens')),
  priceFloor: oa.nullable(oa.usdInput('Lowest price accepted')),
  caps: oa.object(
    { rpm: oa.nullable(oa.int()), tpm: oa.nullable(oa.int()), maxConcurrency: oa.nullable(oa.int()), dailyTokens: oa.nullable(oa.int()) },
    [],
    { description: 'Capacity caps' },
  ),
  hardware: oa.nullable(oa.object({ gpuModel: oa.str(), gpuCount: oa.int(undefined, { minimum: 1 }) })),
  context_length: oa.nullable(oa.int('Context window, tokens', { minimum: 1 })),
  max_output_tokens: oa.nullable(oa.int('Output cap, tokens', { minimum: 1 })),
  supported_parameters: oa.nullable(oa.array(oa.str(), 'Request parameters the upstream honours')),
  quantization: oa.nullable(oa.str()),
  region: oa.nullable(oa.str()),
  data_policy: oa.strictBody({ retains_prompts: oa.bool(), trains_on_prompts: oa.bool(), zero_retention: oa.bool() }),
};
const checkShape = oa.object({
  id: oa.str(),
  kind: oa.enumOf(['admission', 'scheduled', 'reverify', 'live']),
  passed: oa.bool(),
  reason: oa.nullable(oa.str()),
  latencyMs: oa.nullable(oa.int()),
  ttftMs: oa.nullable(oa.int()),
  tokensPerSecond: oa.nullable(oa.num()),
  stateBefore: oa.str(),
  stateAfter: oa.str(),
  checkedAt: oa.dateTime(),
});
const probeRunShape = oa.object({
  id: oa.str(),
  listingId: oa.nullable(oa.str()),
  kind: oa.str(),
  capability: oa.str(),
  upstreamModel: oa.str(),
  passed: oa.bool(),
  reason: oa.nullable(oa.str()),
  httpStatus: oa.nullable(oa.int()),
  latencyMs: oa.nullable(oa.int()),
  ttftMs: oa.nullable(oa.int()),
  tokensPerSecond: oa.nullable(oa.num()),
});
const poolKeyShape = oa.object({
  id: oa.str(),
  provider: oa.str(),
  label: oa.nullable(oa.str()),
  baseUrl: oa.nullable(oa.str()),
  keyPreview: oa.str(),
  status: oa.str(),
  validatedAt: oa.nullable(oa.dateTime()),
  createdAt: oa.dateTime(),
  deletedAt: oa.nullable(oa.dateTime()),
});
const sellerShape = oa.object({ id: oa.str(), handle: oa.nullable(oa.str("Namespace of the seller's model ids")) });
const supplyList = { type: ['array', 'null'], items: oa.str(), description: 'Seller handles, seller ids or listing ids' };
const routingProfileFields: Record<string, oa.JsonSchema> = {
  name: oa.str('Profile name'),
  sort: oa.nullable(oa.enumOf(['price', 'latency', 'throughput'], 'How candidates are ordered')),
  order: oa.nullable(oa.array(oa.str(), 'Providers to try first, in order')),
  allow: oa.nullable(oa.array(oa.str(), 'Only these providers (null: any)')),
  deny: oa.nullable(oa.array(oa.str(), 'Never these providers')),
  allow_supply: supplyList,
  deny_supply: supplyList,
  supply_order: supplyList,
  maxPrice: oa.nullable(
    oa.strictBody({
      input: oa.nullable(oa.usdInput('Ceiling a million input tokens')),
      output: oa.nullable(oa.usdInput('Ceiling a million output tokens')),
    }),
  ),
  allowFallbacks: oa.bool('Fall back to other supply or models'),
  fallbackModels: oa.array(oa.str(), 'Models tried when the model has no eligible supply'),
  timeoutMs: oa.nullable(oa.int('Time limit of an attempt, ms', { minimum: 1 })),
  maxRetries: oa.nullable(oa.int('Retries on other supply', { minimum: 0 })),
  streamIdleTimeoutMs: oa.nullable(oa.int('Time a stream may go silent, ms', { minimum: 1 })),
};
const routingProfileShape = oa.object({
  id: oa.str(),
  ...routingProfileFields,
  maxPrice: oa.object({ ...oa.money('input', 'Input ceiling', true), ...oa.money('output', 'Output ceiling', true) }),
  createdAt: oa.dateTime(),
  updatedAt: oa.dateTime(),
});
const listingId = oa.idParam('The listing id');
const contractId = oa.idParam('The contract id');

// ---- Routes -----------------------------------------------------------------------------------

type Runner = <TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  restNames?: FieldNames,
) => Promise<TResult>;
type RouteContext = { request: FastifyRequest; run: Runner };

export async function dragonflyMarketRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  prepareDragonflyScope(app);
  const route = dragonflyRoute<RouteContext>(gateway, (request, principal) => ({
    request,
    run: async (document, variables, restNames) => {
      const result = await gateway.run(document, variables, principal, String(request.id));
      if (result.errors?.length || !result.data) throw failureFrom(result.errors ?? [], restNames);
      return result.data;
    },
  }));

  // ---- Provider key pool ----

  app.get(
    '/v1/pool/providers',
    {
      schema: documented({
        operationId: 'dragonflyPoolProviders',
        summary: 'Upstream providers a pool key may be for',
        ok: oa.object({
          providers: oa.array(
            oa.object({
              id: oa.str(),
              name: oa.str(),
              baseUrl: oa.nullable(oa.str()),
              capabilities: oa.array(oa.str()),
              requiresBaseUrl: oa.bool(),
              acceptsBaseUrl: oa.bool(),
            }),
          ),
        }),
      }),
    },
    route(200, async ({ run }) => ({ providers: (await run(SupplyProvidersDocument, {})).poolProviders.map(toProvider) })),
  );

  app.get(
    '/v1/pool/keys',
    {
      schema: documented({
        operationId: 'dragonflyListPoolKeys',
        summary: "The seller's provider keys",
        ok: oa.object({ keys: oa.array(poolKeyShape) }),
      }),
    },
    route(200, async ({ run }) => ({ keys: (await run(SupplyPoolKeysDocument, {})).poolKeys.map(toPoolKey) })),
  );

  // The raw key goes to the provider once (validation) and is never answered back: only its preview.
  app.post(
    '/v1/pool/keys',
    {
      schema: documented({
        operationId: 'dragonflyCreatePoolKey',
        summary: 'Submit a provider key',
        description: 'The key is validated with the provider once and never answered back (only its preview).',
        body: oa.strictBody(
          {
            provider: oa.str('Provider id (GET /v1/pool/providers)'),
            apiKey: oa.str('The provider-issued key'),
            baseUrl: oa.str('Base URL, where the provider takes one'),
            label: oa.str(),
          },
          ['provider', 'apiKey'],
        ),
        status: 201,
        ok: poolKeyShape,
      }),
    },
    route(201, async ({ request, run }) => {
      const input = toInput(bodyObject(request), POOL_KEY_FIELDS, { required: ['provider', 'apiKey'] }) as unknown as CreatePoolKeyInput;
      return toPoolKey((await run(SupplyCreatePoolKeyDocument, { input })).createPoolKey);
    }),
  );

  app.delete(
    '/v1/pool/keys/:id',
    {
      schema: documented({
        operationId: 'dragonflyDeletePoolKey',
        summary: 'Delete a provider key',
        params: oa.idParam('The pool key id'),
        ok: poolKeyShape,
      }),
    },
    route(200, async ({ request, run }) => toPoolKey((await run(SupplyDeletePoolKeyDocument, { id: idParam(request) })).deletePoolKey)),
  );

  // ---- Seller handle: the namespace of the seller's own model ids ----

  app.get(
    '/v1/market/seller',
    {
      schema: documented({
        operationId: 'dragonflySeller',
        summary: 'The seller profile (handle)',
        ok: sellerShape,
      }),
    },
    route(200, async ({ run }) => (await run(SupplySellerDocument, {})).mySeller),
  );

  app.post(
    '/v1/market/seller/handle',
    {
      schema: documented({
        operationId: 'dragonflyClaimSellerHandle',
        summary: 'Claim the seller handle',
        body: oa.strictBody({ handle: oa.str("The namespace of the seller's model ids") }, ['handle']),
        ok: sellerShape,
      }),
    },
    route(200, async ({ request, run }) => {
      const { handle } = toInput(bodyObject(request), { handle: 'handle' }, { required: ['handle'] });
      if (typeof handle !== 'string') throw badRequest('handle must be a string', { field: 'handle' });
      return (await run(SupplyClaimSellerHandleDocument, { handle })).claimSellerHandle;
    }),
  );

  // ---- Listings ----

  app.get(
    '/v1/market/listings',
    {
      schema: documented({
        operationId: 'dragonflyListListings',
        summary: "The seller's listings",
        ok: oa.object({ listings: oa.array(listingShape) }),
      }),
    },
    route(200, async ({ run }) => ({ listings: (await run(SupplyListingsDocument, {})).myListings.map(toListing) })),
  );

  app.post(
    '/v1/market/listings',
    {
      schema: documented({
        operationId: 'dragonflyCreateListing',
        summary: 'Create a listing',
        description: 'The listing is admitted after its probes pass. Unknown fields are refused.',
        body: oa.strictBody(
          {
            model: oa.str('Model id'),
            upstreamModel: oa.str("The provider's model name"),
            capability: oa.enumOf(['chat', 'embeddings', 'speech'], undefined, { default: 'chat' }),
            ...listingSettings,
          },
          ['model'],
        ),
        status: 201,
        ok: listingShape,
      }),
    },
    route(201, async ({ request, run }) => {
      const input = toInput(bodyObject(request), LISTING_CREATE_FIELDS, { required: ['model'] }) as unknown as CreateListingInput;
      return toListing((await run(SupplyCreateListingDocument, { input }, LISTING_REST_NAMES)).createListing);
    }),
  );

  app.get(
    '/v1/market/listings/:id',
    {
      schema: documented({
        operationId: 'dragonflyGetListing',
        summary: 'Get a listing',
        params: listingId,
        ok: listingShape,
      }),
    },
    route(200, async ({ request, run }) => toListing((await run(SupplyListingDocument, { id: idParam(request) })).listing)),
  );

  // Settings first, then `paused`, so that a refused setting pauses nothing.
  app.patch(
    '/v1/market/listings/:id',
    {
      schema: documented({
        operationId: 'dragonflyUpdateListing',
        summary: 'Update a listing (caps, price floors, prices, metadata, paused)',
        description: 'A price increase above the review threshold waits for POST …/confirm-price.',
        params: listingId,
        body: oa.strictBody({ ...listingSettings, paused: oa.bool('Pause or resume') }),
        ok: listingShape,
      }),
    },
    route(200, async ({ request, run }) => {
      const id = idParam(request);
      const body = bodyObject(request);
      const input = toInput(body, LISTING_PATCH_FIELDS, { requireSome: true }) as UpdateListingInput;
      const { paused } = body;
      if (paused !== undefined && typeof paused !== 'boolean') throw badRequest('paused must be true or false', { field: 'paused' });
      let listing =
        Object.keys(input).length > 0 ? (await run(SupplyUpdateListingDocument, { id, input }, LISTING_REST_NAMES)).updateListing : null;
      if (typeof paused === 'boolean') listing = (await run(SupplySetListingPausedDocument, { id, paused })).setListingPaused;
      return toListing(listing!);
    }),
  );

  app.delete(
    '/v1/market/listings/:id',
    {
      schema: documented({
        operationId: 'dragonflyDeleteListing',
        summary: 'Delete a listing',
        params: listingId,
        ok: listingShape,
      }),
    },
    route(200, async ({ request, run }) => toListing((await run(SupplyDeleteListingDocument, { id: idParam(request) })).deleteListing)),
  );

  app.post(
    '/v1/market/listings/:id/confirm-price',
    {
      schema: documented({
        operationId: 'dragonflyConfirmListingPrice',
        summary: 'Confirm a reviewed price change',
        params: listingId,
        ok: listingShape,
      }),
    },
    route(200, async ({ request, run }) =>
      toListing((await run(SupplyConfirmListingPriceDocument, { id: idParam(request) })).confirmListingPrice),
    ),
  );

  // ?includeResolved=true adds confirmed, superseded and cancelled reviews.
  app.get(
    '/v1/market/reviews',
    {
      schema: documented({
        operationId: 'dragonflyPriceReviews',
        summary: 'Price-review queue',
        query: { includeResolved: oa.bool('Also confirmed, superseded and cancelled reviews', { default: false }) },
        ok: oa.object({ reviews: oa.array(reviewShape) }),
      }),
    },
    route(200, async ({ request, run }) => {
      const data = await run(SupplyPriceReviewsDocument, { includeResolved: queryBoolean(request, 'includeResolved') });
      return { reviews: data.priceReviews.map(toReview) };
    }),
  );

  // ---- Admission and contracts ----

  app.get(
    '/v1/market/listings/:id/contracts',
    {
      schema: documented({
        operationId: 'dragonflyListingContracts',
        summary: 'Contracts of a listing',
        params: listingId,
        ok: oa.object({ contracts: oa.array(contractShape) }),
      }),
    },
    route(200, async ({ request, run }) => ({
      contracts: (await run(SupplyListingContractsDocument, { listingId: idParam(request) })).listingContracts.map(toContract),
    })),
  );

  app.get(
    '/v1/market/contracts/:id/checks',
    {
      schema: documented({
        operationId: 'dragonflyContractChecks',
        summary: 'Checks of a contract',
        params: contractId,
        query: { limit: oa.int('Checks at most', { default: 50, minimum: 1 }) },
        ok: oa.object({ checks: oa.array(checkShape) }),
      }),
    },
    route(200, async ({ request, run }) => ({
      checks: (
        await run(SupplyContractChecksDocument, { contractId: idParam(request), limit: limitQuery(request, 50) })
      ).contractChecks.map(toCheck),
    })),
  );

  // The check just recorded, with the contract as it is after it.
  app.post(
    '/v1/market/contracts/:id/reverify',
    {
      schema: documented({
        operationId: 'dragonflyReverifyContract',
        summary: 'Re-verify a degraded contract',
        params: contractId,
        ok: oa.object({ ...(checkShape.properties as Record<string, oa.JsonSchema>), contract: oa.nullable(contractShape) }),
      }),
    },
    route(200, async ({ request, run }) => {
      const check = (await run(SupplyReverifyContractDocument, { id: idParam(request) })).reverifyContract;
      return { ...toCheck(check), contract: check.contract ? toContract(check.contract) : null };
    }),
  );

  app.post(
    '/v1/market/contracts/:id/unsuspend',
    {
      schema: documented({
        operationId: 'dragonflyUnsuspendContract',
        summary: 'Unsuspend a recovered contract',
        params: contractId,
        ok: contractShape,
      }),
    },
    route(200, async ({ request, run }) =>
      toContract((await run(SupplyUnsuspendContractDocument, { id: idParam(request) })).unsuspendContract),
    ),
  );

  app.post(
    '/v1/market/listings/:id/probe',
    {
      schema: documented({
        operationId: 'dragonflyProbeListing',
        summary: 'Probe a listing (admission)',
        params: listingId,
        ok: probeRunShape,
      }),
    },
    route(200, async ({ request, run }) => toProbeRun((await run(SupplyProbeListingDocument, { id: idParam(request) })).probeListing)),
  );

  app.get(
    '/v1/market/listings/:id/probe-runs',
    {
      schema: documented({
        operationId: 'dragonflyListingProbeRuns',
        summary: 'Probe runs of a listing',
        params: listingId,
        query: { limit: oa.int('Runs at most', { default: 20, minimum: 1 }) },
        ok: oa.object({ probeRuns: oa.array(probeRunShape) }),
      }),
    },
    route(200, async ({ request, run }) => ({
      probeRuns: (
        await run(SupplyListingProbeRunsDocument, { listingId: idParam(request), limit: limitQuery(request, 20) })
      ).listingProbeRuns.map(toProbeRun),
    })),
  );

  // ---- Routing profiles (buyer side) ----

  app.get(
    '/api/routing/profiles',
    {
      schema: documented({
        operationId: 'dragonflyListRoutingProfiles',
        summary: 'List routing profiles',
        ok: oa.object({ profiles: oa.array(routingProfileShape) }),
      }),
    },
    route(200, async ({ run }) => ({ profiles: (await run(SupplyRoutingProfilesDocument, {})).routingProfiles.map(toRoutingProfile) })),
  );

  app.post(
    '/api/routing/profiles',
    {
      schema: documented({
        operationId: 'dragonflyCreateRoutingProfile',
        summary: 'Create a routing profile',
        description:
          'Latency, throughput and price preferences, provider and supply allow/deny lists, price ceilings, fallbacks. Bind it to a key with PATCH /api/keys/{id} (routingProfileId).',
        body: oa.strictBody(routingProfileFields, ['name']),
        status: 201,
        ok: routingProfileShape,
      }),
    },
    route(201, async ({ request, run }) => {
      const input = toInput(bodyObject(request), ROUTING_PROFILE_FIELDS, { required: ['name'] }) as unknown as CreateRoutingProfileInput;
      return toRoutingProfile((await run(SupplyCreateRoutingProfileDocument, { input }, ROUTING_PROFILE_REST_NAMES)).createRoutingProfile);
    }),
  );

  app.patch(
    '/api/routing/profiles/:id',
    {
      schema: documented({
        operationId: 'dragonflyUpdateRoutingProfile',
        summary: 'Update a routing profile',
        params: oa.idParam('The routing profile id'),
        body: oa.strictBody(routingProfileFields),
        ok: routingProfileShape,
      }),
    },
    route(200, async ({ request, run }) => {
      const input = toInput(bodyObject(request), ROUTING_PROFILE_FIELDS, { requireSome: true }) as UpdateRoutingProfileInput;
      return toRoutingProfile(
        (await run(SupplyUpdateRoutingProfileDocument, { id: idParam(request), input }, ROUTING_PROFILE_REST_NAMES)).updateRoutingProfile,
      );
    }),
  );
}
