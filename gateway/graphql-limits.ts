// GraphQL edge limits: refuse an operation that is too deep, too wide or too expensive before
// anything executes. Applied by Apollo Server (HTTP: `parseOptions` + `validationRules`, a 400
// with `extensions.code: GRAPHQL_PARSE_FAILED | GRAPHQL_VALIDATION_FAILED`) and by the graphql-ws
// server (the same parse options and rules). Each refusal names its limit in
// `extensions.limit` (`maxDepth`, `maxAliases`, `maxRootFields`, `maxCost`), with `max` and `actual`.
//
// Settings (environment, read through config.env):
//   GRAPHQL_MAX_DEPTH (12)  GRAPHQL_MAX_ALIASES (30)  GRAPHQL_MAX_ROOT_FIELDS (20)
//   GRAPHQL_MAX_TOKENS (5000)  GRAPHQL_MAX_COST (25000)  GRAPHQL_LIST_COST_MULTIPLIER (10)
//   GRAPHQL_MAX_RESPONSE_BYTES (4 MiB: a bigger answer is replaced by a RESPONSE_TOO_LARGE error)
//
// Cost: every field costs 1; the selection under a field returning a list costs `n` times, where
// `n` is the most that list can hold (LIST_BOUNDS: an account's documented maxima, e.g.
// MAX_API_KEYS_PER_ACCOUNT for `Account.apiKeys`, or a page's `pageSize`), or its size argument
// (`limit`, `pageSize`…) when written as a literal (or left at its schema default). A size passed
// as a variable is not known at validation time and counts as the list's maximum. A guess of the
// typical size would let a nested query multiply far past the estimate, so every list of objects
// in the API has a bound (tested); only an unknown one falls back to GRAPHQL_LIST_COST_MULTIPLIER. Introspection fields
// (`__schema`, `__type`) count as one field of depth 1: they are deep by design and answered only
// where introspection is on (development; Apollo refuses them when NODE_ENV=production).
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { FastifyInstance } from 'fastify';
import { accountLimitsFromEnv, DEFAULT_ACCOUNT_LIMITS, type AccountLimits } from '../subgraphs/common/config';

export interface GraphQLLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxCost: number;
  listCostMultiplier: number;
  maxResponseBytes: number;
  /** Per list field (`Type.field`), the most items it can hold. */
  listBounds: ListBounds;
}

/**
 * How many items a list field can hold: `max`; or, when the field (`arg`) or the field returning
 * its page (`parentArg`) has a size argument, that argument's value (at most `max` is accepted).
 */
export interface ListBound {
  max: number;
  arg?: string;
  parentArg?: string;
}
export type ListBounds = Readonly<Record<string, ListBound>>;

/** Every list of objects in the API schema, bounded (a test keeps this complete). */
export function listBounds(accounts: AccountLimits): ListBounds {
  return {
    // An account's own objects: at most the documented per-account maxima (checked at create time).
    'Account.apiKeys': { max: accounts.apiKeys },
    'Account.listings': { max: accounts.listings },
    'Query.myListings': { max: accounts.listings },
    'Query.poolKeys': { max: accounts.poolKeys },
    'Query.routingProfiles': { max: accounts.routingProfiles },
    'Query.keyGroups': { max: accounts.keyGroups },
    'Query.projects': { max: accounts.projects },
    'Query.usageByKey': { max: accounts.apiKeys },
    'Query.listingContracts': { max: 10 }, // one contract per listing today
    'Query.priceReviews': { max: 500 }, // the service returns the newest 500
    // Pages (`…Page.items`) take their parent's `pageSize` (1 to 100): see listBoundFor.
    // Size arguments with their ranges.
    'Query.contractChecks': { max: 500, arg: 'limit' },
    'Query.listingProbeRuns': { max: 500, arg: 'limit' },
    'Query.earningsReserve': { max: 500, arg: 'limit' },
    'Query.jobFeed': { max: 200, arg: 'limit' },
    'Query.pipelines': { max: 200, arg: 'limit' },
    'SpendLogPage.items': { max: 200, parentArg: 'limit' },
    'Query.usageByModel': { max: 1000, arg: 'limit' },
    'Query.usageByTag': { max: 1000, arg: 'limit' },
    'Query.usageByUser': { max: 1000, arg: 'limit' },
    'ListingVerification.checks': { max: 11 }, // the registry caps a model's prompts at 4 + 4, plus 3 capability checks (services/registry.ts)
    'Model.endpoints': { max: 10 }, // the cheapest 10 routable listings (services/models.ts)
    'SpendLogEntry.metadata': { max: 16 }, // OpenAI's metadata: at most 16 keys (checked at the parse stage)
    // Windows of time.
    'Query.usageDaily': { max: 366 },
    'Query.earningsTimeseries': { max: 31 * 24 },
    'Query.earningsMonthly': { max: 24 },
    'KPI.hourlyUsage': { max: 168 },
    'KPI.hourlySessions': { max: 168 },
    'FeesInfo.dayData': { max: 365 },
    'FeesInfo.weeklyData': { max: 53 },
    // Catalogues and network-wide aggregates (by model, pipeline or provider).
    'Query.billingProviders': { max: 10 },
    'Query.poolProviders': { max: 20 },
    'Query.models': { max: 100 },
    'Query.pricing': { max: 100 },
    'Query.orchestrators': { max: 100 },
    'Query.pipelineCatalog': { max: 20 },
    'GPUCapacity.models': { max: 50 },
    'GPUCapacity.pipelineGPUs': { max: 20 },
    'GPUCapacityPipeline.models': { max: 50 },
    'OrchestratorRow.pipelineModels': { max: 20 },
    'PipelineUsage.modelMins': { max: 20 },
  };
}

const PAGE_BOUND: ListBound = { max: 100, parentArg: 'pageSize' };

/** The bound of `Type.field`: listed, or for any `…Page.items`, the page's `pageSize` (at most 100). */
export function listBoundFor(bounds: ListBounds, typeName: string, fieldName: string): ListBound | undefined {
  return bounds[`${typeName}.${fieldName}`] ?? (fieldName === 'items' && typeName.endsWith('Page') ? PAGE_BOUND : undefined);
}

export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 5000,
  maxCost: 25_000,
  listCostMultiplier: 10,
  maxResponseBytes: 4 * 1024 * 1024,
  listBounds: listBounds(DEFAULT_ACCOUNT_LIMITS),
};

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer`);
  return parsed;
}

export function graphqlLimitsFromEnv(env: Readonly<Record<string, string | undefined>>): GraphQLLimits {
  const d = DEFAULT_GRAPHQL_LIMITS;
  return {
    maxDepth: positiveInt(env.GRAPHQL_MAX_DEPTH, d.maxDepth, 'GRAPHQL_MAX_DEPTH'),
    maxAliases: positiveInt(env.GRAPHQL_MAX_ALIASES, d.maxAliases, 'GRAPHQL_MAX_ALIASES'),
    maxRootFields: positiveInt(env.GRAPHQL_MAX_ROOT_FIELDS, d.maxRootFields, 'GRAPHQL_MAX_ROOT_FIELDS'),
    maxTokens: positiveInt(env.GRAPHQL_MAX_TOKENS, d.maxTokens, 'GRAPHQL_MAX_TOKENS'),
    maxCost: positiveInt(env.GRAPHQL_MAX_COST, d.maxCost, 'GRAPHQL_MAX_COST'),
    listCostMultiplier: positiveInt(env.GRAPHQL_LIST_COST_MULTIPLIER, d.listCostMultiplier, 'GRAPHQL_LIST_COST_MULTIPLIER'),
    maxResponseBytes: positiveInt(env.GRAPHQL_MAX_RESPONSE_BYTES, d.maxResponseBytes, 'GRAPHQL_MAX_RESPONSE_BYTES'),
    listBounds: listBounds(accountLimitsFromEnv(env)),
  };
}

/** For `parse(source, options)`: the lexer stops after maxTokens tokens. */
export function limitParseOptions(limits: GraphQLLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
}

const LIST_SIZE_ARGUMENTS = ['limit', 'first', 'last'];
const COST_CEILING = Number.MAX_SAFE_INTEGER;

/**
 * Depth, aliases, root fields and cost of one operation, fragments expanded. Linear in the
 * document: each fragment is measured once (memoized), and fragment cycles (which the standard
 * NoFragmentCycles rule refuses anyway) count as empty.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  listCostMultiplier: number,
  bounds: ListBounds = DEFAULT_GRAPHQL_LIMITS.listBounds,
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const memo = new Map<string, { depth: number; aliases: number; cost: number }>();
  const inProgress = new Set<string>();

  const fieldDef = (parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined =>
    parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;

  /** The value of a size argument: a literal, its default, or (a variable) `unknown`; undefined when absent. */
  const sizeArgument = (
    field: FieldNode | undefined,
    def: GraphQLField<unknown, unknown> | undefined,
    name: string,
    unknown: number,
  ): number | undefined => {
    const arg = field?.arguments?.find((a) => a.name.value === name);
    if (arg?.value.kind === Kind.INT) return Math.max(1, Number(arg.value.value));
    if (arg) return unknown;
    const argDef = def?.args.find((a) => a.name === name);
    return typeof argDef?.defaultValue === 'number' ? Math.max(1, argDef.defaultValue) : undefined;
  };

  const listSize = (
    field: FieldNode,
    def: GraphQLField<unknown, unknown>,
    parentType: GraphQLNamedType | undefined,
    via: { node?: FieldNode; def?: GraphQLField<unknown, unknown> },
  ): number => {
    const bound = parentType ? listBoundFor(bounds, parentType.name, def.name) : undefined;
    if (bound) {
      const given = bound.arg
        ? sizeArgument(field, def, bound.arg, bound.max)
        : bound.parentArg
          ? sizeArgument(via.node, via.def, bound.parentArg, bound.max)
          : undefined;
      return given ?? bound.max;
    }
    for (const name of LIST_SIZE_ARGUMENTS) {
      const arg = field.arguments?.find((a) => a.name.value === name);
      if (arg?.value.kind === Kind.INT) return Math.max(1, Number(arg.value.value));
      if (arg) return listCostMultiplier; // a variable: unknown here
      const argDef = def.args.find((a) => a.name === name);
      if (typeof argDef?.defaultValue === 'number') return Math.max(1, argDef.defaultValue);
    }
    return listCostMultiplier;
  };

  // `via`: the field whose selection this is (a page's `items` take their size from it).
  const selectionSet = (
    set: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    via: { node?: FieldNode; def?: GraphQLField<unknown, unknown> } = {},
  ): { depth: number; aliases: number; cost: number; fields: number } => {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    let fields = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        fields++;
        if (selection.alias) aliases++;
        const def = fieldDef(parent, selection.name.value);
        if (!selection.selectionSet) {
          cost += 1;
          depth = Math.max(depth, 1);
          continue;
        }
        if (selection.name.value.startsWith('__')) {
          // Introspection (`__schema`, `__type`): deep by design (`ofType` chains; the standard
          // introspection query is 15 deep and ~50,000 by the list estimate), so it counts as one
          // field here. It is only answered where introspection is on (never in production).
          cost += 1;
          depth = Math.max(depth, 1);
          continue;
        }
        const child = selectionSet(selection.selectionSet, def ? getNamedType(def.type) : undefined, { node: selection, def });
        const multiplier = def && isListType(getNullableType(def.type)) ? listSize(selection, def, parent, via) : 1;
        cost += 1 + multiplier * child.cost;
        aliases += child.aliases;
        depth = Math.max(depth, 1 + child.depth);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        const child = selectionSet(selection.selectionSet, type ?? undefined, via);
        cost += child.cost;
        aliases += child.aliases;
        fields += child.fields;
        depth = Math.max(depth, child.depth);
      } else {
        const name = selection.name.value;
        let measured = memo.get(name);
        if (!measured) {
          const fragment = fragments.get(name);
          if (!fragment || inProgress.has(name)) continue;
          inProgress.add(name);
          const child = selectionSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined);
          inProgress.delete(name);
          measured = { depth: child.depth, aliases: child.aliases, cost: child.cost };
          memo.set(name, measured);
        }
        cost += measured.cost;
        aliases += measured.aliases;
        depth = Math.max(depth, measured.depth);
        if (parent === rootType) fields += rootFieldsOf(name);
      }
    }
    return { depth, aliases, cost: Math.min(cost, COST_CEILING), fields };
  };

  const rootType = schema.getRootType(operation.operation) ?? undefined;
  // Root fields reached through a fragment spread at the root (counted without recursion into cycles).
  const rootFieldsOf = (name: string, seen = new Set<string>()): number => {
    const fragment = fragments.get(name);
    if (!fragment || seen.has(name)) return 0;
    seen.add(name);
    let n = 0;
    for (const s of fragment.selectionSet.selections) {
      if (s.kind === Kind.FIELD) n++;
      else if (s.kind === Kind.FRAGMENT_SPREAD) n += rootFieldsOf(s.name.value, seen);
      else n += s.selectionSet.selections.length;
    }
    return n;
  };

  const measured = selectionSet(operation.selectionSet, rootType);
  return { depth: measured.depth, aliases: measured.aliases, rootFields: measured.fields, cost: measured.cost };
}

function refusal(limit: keyof GraphQLLimits, max: number, actual: number, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, max, actual } });
}

/** One validation rule enforcing depth, aliases, root fields and cost on every operation. */
export function limitValidationRule(limits: GraphQLLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const m = measureOperation(context.getSchema(), context.getDocument(), node, limits.listCostMultiplier, limits.listBounds);
      if (m.depth > limits.maxDepth)
        context.reportError(
          refusal('maxDepth', limits.maxDepth, m.depth, `Query depth ${m.depth} exceeds the maximum of ${limits.maxDepth}`),
        );
      if (m.aliases > limits.maxAliases)
        context.reportError(
          refusal('maxAliases', limits.maxAliases, m.aliases, `Query uses ${m.aliases} aliases; the maximum is ${limits.maxAliases}`),
        );
      if (m.rootFields > limits.maxRootFields)
        context.reportError(
          refusal(
            'maxRootFields',
            limits.maxRootFields,
            m.rootFields,
            `Operation selects ${m.rootFields} root fields; the maximum is ${limits.maxRootFields}`,
          ),
        );
      if (m.cost > limits.maxCost)
        context.reportError(
          refusal('maxCost', limits.maxCost, m.cost, `Estimated query cost ${m.cost} exceeds the maximum of ${limits.maxCost}`),
        );
      return false; // measured as a whole; no need to descend
    },
  });
}

/** Everything a GraphQL entry point needs: parse options and the extra validation rules. */
export function graphqlLimits(limits: GraphQLLimits) {
  return { limits, parseOptions: limitParseOptions(limits), validationRules: [limitValidationRule(limits)] };
}

/**
 * The last line behind the cost estimate: an answer on `path` bigger than `maxBytes` is replaced
 * by a GraphQL error (`RESPONSE_TOO_LARGE`), so one request cannot make the gateway ship megabytes.
 */
export function registerResponseSizeLimit(app: FastifyInstance, path: string, maxBytes: number): void {
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.routeOptions.url !== path || typeof payload !== 'string' || payload.length <= maxBytes / 3) return payload;
    if (Buffer.byteLength(payload) <= maxBytes) return payload;
    request.log.warn({ limit: 'maxResponseBytes', max: maxBytes }, 'GraphQL response too large');
    return JSON.stringify({
      data: null,
      errors: [
        {
          message: `The response is larger than ${maxBytes} bytes; select fewer fields or smaller pages`,
          extensions: { code: 'RESPONSE_TOO_LARGE', limit: 'maxResponseBytes', max: maxBytes },
        },
      ],
    });
  });
}

/**
 * graphql-js words many errors with a hint from the schema ("Cannot query field "emial" on type
 * "Account". Did you mean "email"?"; enum values in variables likewise): with introspection off,
 * those hints would hand the schema out one guess at a time. Production strips them.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}
