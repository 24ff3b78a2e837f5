// GraphQL edge limits: refuse an operation that is too deep, too wide or too expensive before
// anything executes. Applied by Apollo Server (HTTP: `parseOptions` + `validationRules`, a 400
// with `extensions.code: GRAPHQL_PARSE_FAILED | GRAPHQL_VALIDATION_FAILED`) and by the graphql-ws
// server (the same parse options and rules). Each refusal names its limit in
// `extensions.limit` (`maxDepth`, `maxAliases`, `maxRootFields`, `maxCost`), with `max` and `actual`.
//
// Settings (environment, read through config.env):
//   GRAPHQL_MAX_DEPTH (12)  GRAPHQL_MAX_ALIASES (30)  GRAPHQL_MAX_ROOT_FIELDS (20)
//   GRAPHQL_MAX_TOKENS (5000)  GRAPHQL_MAX_COST (10000)  GRAPHQL_LIST_COST_MULTIPLIER (10)
//
// Cost: every field costs 1; the selection under a field returning a list costs `n` times, where
// `n` is the field's `limit`/`first`/`last` argument when written as a literal (or its schema
// default), else GRAPHQL_LIST_COST_MULTIPLIER. Variables are not known at validation time, so a
// list size passed as a variable counts as the default multiplier. Introspection fields
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

export interface GraphQLLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxCost: number;
  listCostMultiplier: number;
}

export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimits = { maxDepth: 12, maxAliases: 30, maxRootFields: 20, maxTokens: 5000, maxCost: 10_000, listCostMultiplier: 10 };

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
export function measureOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, listCostMultiplier: number): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const memo = new Map<string, { depth: number; aliases: number; cost: number }>();
  const inProgress = new Set<string>();

  const fieldDef = (parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined =>
    parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;

  const listSize = (field: FieldNode, def: GraphQLField<unknown, unknown>): number => {
    for (const name of LIST_SIZE_ARGUMENTS) {
      const arg = field.arguments?.find((a) => a.name.value === name);
      if (arg?.value.kind === Kind.INT) return Math.max(1, Number(arg.value.value));
      if (arg) return listCostMultiplier; // a variable: unknown here
      const argDef = def.args.find((a) => a.name === name);
      if (typeof argDef?.defaultValue === 'number') return Math.max(1, argDef.defaultValue);
    }
    return listCostMultiplier;
  };

  const selectionSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): { depth: number; aliases: number; cost: number; fields: number } => {
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
        const child = selectionSet(selection.selectionSet, def ? getNamedType(def.type) : undefined);
        const multiplier = def && isListType(getNullableType(def.type)) ? listSize(selection, def) : 1;
        cost += 1 + multiplier * child.cost;
        aliases += child.aliases;
        depth = Math.max(depth, 1 + child.depth);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        const child = selectionSet(selection.selectionSet, type ?? undefined);
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
      const m = measureOperation(context.getSchema(), context.getDocument(), node, limits.listCostMultiplier);
      if (m.depth > limits.maxDepth) context.reportError(refusal('maxDepth', limits.maxDepth, m.depth, `Query depth ${m.depth} exceeds the maximum of ${limits.maxDepth}`));
      if (m.aliases > limits.maxAliases) context.reportError(refusal('maxAliases', limits.maxAliases, m.aliases, `Query uses ${m.aliases} aliases; the maximum is ${limits.maxAliases}`));
      if (m.rootFields > limits.maxRootFields) context.reportError(refusal('maxRootFields', limits.maxRootFields, m.rootFields, `Operation selects ${m.rootFields} root fields; the maximum is ${limits.maxRootFields}`));
      if (m.cost > limits.maxCost) context.reportError(refusal('maxCost', limits.maxCost, m.cost, `Estimated query cost ${m.cost} exceeds the maximum of ${limits.maxCost}`));
      return false; // measured as a whole; no need to descend
    },
  });
}

/** Everything a GraphQL entry point needs: parse options and the extra validation rules. */
export function graphqlLimits(limits: GraphQLLimits) {
  return { limits, parseOptions: limitParseOptions(limits), validationRules: [limitValidationRule(limits)] };
}
