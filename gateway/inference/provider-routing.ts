// Which listings one request may go to, and in what order: the part of the route stage that reads
// the request itself. The market's routing table is per (model, profile) and cached; this narrows
// it per request and orders it:
//   1. filters: what the request needs (tools, json_schema, images, its prompt plus max_tokens
//      within the listing's context) and, with OpenRouter's `provider` object, the buyer's choice of
//      sellers, data policy, quantization and prices;
//   2. order: `sort` (or a `:floor` / `:nitro` model suffix) or `order` when the buyer asks, else a
//      weighted draw by 1/price² × reputation over the ACTIVE listings within 1.5× of the cheapest
//      (the rest after, in the table's order), so near-equal sellers share traffic and a dearer one
//      still gets some;
//   3. stickiness: a conversation goes back to the listing that served it (its prompt cache is warm).
// All of it is in-memory work on the few candidates of one model: no I/O.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { usdToMicros } from '../../subgraphs/common/money';
import { QUANTIZATIONS } from '../../subgraphs/common/supply';
import { badRequest, InferenceError } from './openai-errors';
import type { ReputationSource } from './reputation';
import type { InferenceRequest } from './request';
import { PROVIDER_SORTS, type ProviderPreferences, type ProviderSort } from './provider-preferences';

export { PROVIDER_SORTS, type ProviderPreferences, type ProviderSort };
import type { Candidate, RoutingTable } from './routing';

/** Model suffixes as OpenRouter has them: `:floor` sorts by price, `:nitro` by throughput. */
export const MODEL_VARIANTS: Record<string, ProviderSort> = { floor: 'price', nitro: 'throughput' };
const MAX_ENTRIES = 50;
const MAX_ENTRY_CHARS = 64;
/** The balanced pool: ACTIVE listings at most this many times the cheapest one's price. */
export const BALANCE_PRICE_RATIO = 1.5;
/** A conversation returns to its listing for this long after its last request (prompt caches expire). */
export const STICKY_TTL_MS = 10 * 60_000;
export const STICKY_MAX_CONVERSATIONS = 50_000;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `vendor/model:floor` → the model and the sort it asks for; an unknown suffix is the caller's 400. */
export function parseModelVariant(model: string): { model: string; sort: ProviderSort | null } {
  const colon = model.lastIndexOf(':');
  if (colon === -1) return { model, sort: null };
  const suffix = model.slice(colon + 1);
  const sort = MODEL_VARIANTS[suffix];
  if (!sort || colon === 0)
    throw badRequest(
      `\`model\`: unknown variant \`:${suffix.slice(0, 32)}\`; use ${Object.keys(MODEL_VARIANTS)
        .map((v) => `:${v}`)
        .join(' or ')}`,
      'model',
      'invalid_model_variant',
    );
  return { model: model.slice(0, colon), sort };
}

function entries(value: unknown, field: string): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length > MAX_ENTRIES)
    throw badRequest(`\`provider.${field}\` must be an array of at most ${MAX_ENTRIES} strings`, `provider.${field}`);
  return value.map((entry, i) => {
    if (typeof entry !== 'string' || entry.trim().length === 0 || entry.length > MAX_ENTRY_CHARS) {
      throw badRequest(
        `\`provider.${field}[${i}]\` must be a seller handle, seller id, listing id or provider id (1 to ${MAX_ENTRY_CHARS} characters)`,
        `provider.${field}`,
      );
    }
    return entry.trim().toLowerCase();
  });
}

function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw badRequest(`\`provider.${field}\` must be a boolean`, `provider.${field}`);
  return value;
}

function price(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' && typeof value !== 'string')
    throw badRequest(`\`provider.max_price.${field}\` must be a USD amount per million tokens`, `provider.max_price.${field}`);
  let micros: number;
  try {
    micros = usdToMicros(value);
  } catch {
    throw badRequest(
      `\`provider.max_price.${field}\` must be a USD amount per million tokens with at most 6 decimals`,
      `provider.max_price.${field}`,
    );
  }
  if (micros < 0) throw badRequest(`\`provider.max_price.${field}\` must not be negative`, `provider.max_price.${field}`);
  return micros;
}

const KNOWN_FIELDS = new Set([
  'order',
  'only',
  'ignore',
  'allow_fallbacks',
  'require_parameters',
  'data_collection',
  'zdr',
  'quantizations',
  'sort',
  'max_price',
]);
const MAX_PRICE_FIELDS = new Set(['prompt', 'completion', 'request', 'image', 'audio']);

/** OpenRouter's `provider` object, checked field by field (null: none given). */
export function parseProviderPreferences(value: unknown): ProviderPreferences | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw badRequest('`provider` must be an object of routing preferences', 'provider');
  for (const field of Object.keys(value)) {
    if (!KNOWN_FIELDS.has(field))
      throw badRequest(
        `\`provider.${field.slice(0, 64)}\` is not a supported routing preference; use ${[...KNOWN_FIELDS].join(', ')}`,
        `provider.${field.slice(0, 64)}`,
      );
  }
  const dataCollection = value.data_collection ?? 'allow';
  if (dataCollection !== 'allow' && dataCollection !== 'deny')
    throw badRequest('`provider.data_collection` must be "allow" or "deny"', 'provider.data_collection');
  const quantizations = entries(value.quantizations, 'quantizations');
  for (const q of quantizations ?? []) {
    if (!(QUANTIZATIONS as readonly string[]).includes(q))
      throw badRequest(`\`provider.quantizations\`: unknown \`${q}\`; use ${QUANTIZATIONS.join(', ')}`, 'provider.quantizations');
  }
  // OpenRouter also takes sort as { by, partition }; only `by` changes anything here.
  const sortValue = isObject(value.sort) ? value.sort.by : value.sort;
  if (sortValue !== undefined && sortValue !== null && !(PROVIDER_SORTS as readonly unknown[]).includes(sortValue)) {
    throw badRequest(`\`provider.sort\` must be one of ${PROVIDER_SORTS.join(', ')}`, 'provider.sort');
  }
  const maxPrice = value.max_price;
  if (maxPrice !== undefined && maxPrice !== null) {
    if (!isObject(maxPrice))
      throw badRequest('`provider.max_price` must be an object ({ prompt, completion } in USD per million tokens)', 'provider.max_price');
    for (const field of Object.keys(maxPrice)) {
      if (!MAX_PRICE_FIELDS.has(field))
        throw badRequest(
          `\`provider.max_price.${field.slice(0, 64)}\` is not a price; use prompt, completion, request, image or audio`,
          'provider.max_price',
        );
    }
    // No listing charges per request, image or audio: those ceilings are checked and always met.
    for (const field of ['request', 'image', 'audio']) price(maxPrice[field], field);
  }
  return {
    order: entries(value.order, 'order'),
    only: entries(value.only, 'only'),
    ignore: entries(value.ignore, 'ignore'),
    allowFallbacks: flag(value.allow_fallbacks, 'allow_fallbacks', true),
    requireParameters: flag(value.require_parameters, 'require_parameters', false),
    dataCollection,
    zdr: flag(value.zdr, 'zdr', false),
    quantizations,
    sort: (sortValue as ProviderSort | undefined) ?? null,
    maxPromptMicrosPerMTok: isObject(maxPrice) ? price(maxPrice.prompt, 'prompt') : null,
    maxCompletionMicrosPerMTok: isObject(maxPrice) ? price(maxPrice.completion, 'completion') : null,
  };
}

/** Parameters a chat body uses, in the listing metadata's terms; the first three are never sent to a listing without them. */
export function usedParameters(body: Record<string, unknown>): Set<string> {
  const used = new Set<string>();
  if (Array.isArray(body.tools) && body.tools.length > 0) used.add('tools');
  if (body.tool_choice !== undefined && body.tool_choice !== null && body.tool_choice !== 'none') used.add('tool_choice');
  const format = isObject(body.response_format) ? body.response_format.type : undefined;
  if (format === 'json_schema') used.add('json_schema');
  if (format === 'json_object') used.add('json_object');
  if (
    Array.isArray(body.messages) &&
    body.messages.some(
      (m) =>
        isObject(m) &&
        Array.isArray(m.content) &&
        m.content.some((p) => isObject(p) && (p.type === 'image_url' || p.type === 'input_image')),
    )
  )
    used.add('vision');
  if (body.logprobs === true || (body.top_logprobs !== undefined && body.top_logprobs !== null)) used.add('logprobs');
  if (body.reasoning_effort !== undefined || body.reasoning !== undefined) used.add('reasoning');
  if (body.stop !== undefined && body.stop !== null) used.add('stop');
  if (body.seed !== undefined && body.seed !== null) used.add('seed');
  return used;
}

/** Parameters no listing gets without declaring them, whatever `require_parameters` says: a listing that ignores them answers wrongly. */
export const REQUIRED_PARAMETERS = ['tools', 'json_schema', 'vision'] as const;

/** How a candidate is named in `order`, `only` and `ignore`, and in routing profiles. */
function names(candidate: Candidate): string[] {
  const list = [candidate.listingId, candidate.sellerId, candidate.provider];
  if (candidate.sellerHandle) list.push(candidate.sellerHandle);
  return list.map((n) => n.toLowerCase());
}

const matchesAny = (candidate: Candidate, set: readonly string[]) => names(candidate).some((n) => set.includes(n));

/** Market's comparison price (the rule lives there, once). */
const blendedPriceOf = (candidate: Candidate): number => candidate.blendedPriceMicros;

export class StickyRoutes {
  private readonly routes: LRUCache<string, string>;

  constructor(ttlMs = STICKY_TTL_MS, max = STICKY_MAX_CONVERSATIONS, now: () => number = Date.now) {
    // ttlResolution 0: the clock is read on every lookup (an injected clock is never cached stale).
    this.routes = new LRUCache({ max, ttl: ttlMs, ttlResolution: 0, perf: { now } });
  }

  listingOf(conversation: string): string | undefined {
    return this.routes.get(conversation);
  }

  remember(conversation: string, listingId: string): void {
    this.routes.set(conversation, listingId);
  }
}

/**
 * The conversation a request belongs to: the `x-df-session` header, else the end user, else the
 * key and a digest of the conversation's opening (its system prompt and first user message), which
 * every later turn repeats.
 */
export function conversationOf(
  request: Pick<InferenceRequest, 'session' | 'attribution' | 'snapshot' | 'body' | 'capability'>,
): string | null {
  if (request.capability !== 'chat') return null;
  const key = request.snapshot.keyId;
  if (request.session) return `${key}\ns:${request.session}`;
  if (request.attribution.user) return `${key}\nu:${request.attribution.user}`;
  const messages = request.body.messages as unknown[];
  const firstUser = messages.findIndex((m) => isObject(m) && m.role === 'user');
  if (firstUser === -1) return null;
  const digest = createHash('sha256')
    .update(JSON.stringify(messages.slice(0, firstUser + 1)))
    .digest('base64url')
    .slice(0, 22);
  return `${key}\nm:${digest}`;
}

export interface SelectionDeps {
  reputation?: ReputationSource;
  sticky?: StickyRoutes;
  /** Uniform in [0, 1): injectable so a test's distribution is fixed by its seed. */
  random?: () => number;
}

/** Why candidates were left out, for the error when none is left. */
interface Exclusions {
  parameter: string | null;
  context: number | null;
  maxOutput: number | null;
  preferences: boolean;
}

/**
 * Narrows and orders the request's tables into `request.candidates`; sets `request.maxTokensByListing`
 * when the gateway chose the output cap (each listing gets what fits its context).
 */
export function selectSupply(request: InferenceRequest, tables: RoutingTable[], deps: SelectionDeps): Candidate[] {
  const prefs = request.providerPreferences;
  const sort = prefs?.sort ?? request.variantSort;
  const random = deps.random ?? Math.random;
  const used = request.capability === 'chat' ? usedParameters(request.body) : new Set<string>();
  const required = prefs?.requireParameters ? [...used] : REQUIRED_PARAMETERS.filter((p) => used.has(p));
  const why: Exclusions = { parameter: null, context: null, maxOutput: null, preferences: false };
  const caps = request.defaultedMaxTokens ? new Map<string, number>() : null;

  const fits = (c: Candidate): boolean => {
    const declared = c.supportedParameters ?? [];
    const missing = required.find((p) => !declared.includes(p));
    if (missing) {
      why.parameter ??= missing;
      return false;
    }
    if (request.capability !== 'chat' || request.maxTokens === null) return true;
    const room = c.contextLength ? c.contextLength - request.countedPrompt : Infinity;
    if (caps) {
      // The gateway's default cap: as much as the listing's context and output limit allow.
      const cap = Math.min(request.maxTokens, room, c.maxOutputTokens ?? Infinity);
      if (cap < 1) {
        why.context = Math.max(why.context ?? 0, c.contextLength ?? 0);
        return false;
      }
      caps.set(c.listingId, cap);
      return true;
    }
    if (request.maxTokens > room) {
      why.context = Math.max(why.context ?? 0, c.contextLength ?? 0);
      return false;
    }
    if (c.maxOutputTokens && request.maxTokens > c.maxOutputTokens) {
      why.maxOutput = Math.max(why.maxOutput ?? 0, c.maxOutputTokens);
      return false;
    }
    return true;
  };
  const preferred = (c: Candidate): boolean => {
    if (!prefs) return true;
    const ok =
      (!prefs.only || matchesAny(c, prefs.only)) &&
      (!prefs.ignore || !matchesAny(c, prefs.ignore)) &&
      (prefs.dataCollection === 'allow' || (!c.dataPolicy?.retainsPrompts && !c.dataPolicy?.trainsOnPrompts && c.dataPolicy != null)) &&
      (!prefs.zdr || c.dataPolicy?.zeroRetention === true) &&
      (!prefs.quantizations || prefs.quantizations.includes(c.quantization ?? 'unknown')) &&
      (prefs.maxPromptMicrosPerMTok === null || c.inputPriceMicrosPerMTok <= prefs.maxPromptMicrosPerMTok) &&
      (prefs.maxCompletionMicrosPerMTok === null || c.outputPriceMicrosPerMTok <= prefs.maxCompletionMicrosPerMTok);
    if (!ok) why.preferences = true;
    return ok;
  };

  const conversation = sort === null && !prefs?.order ? conversationOf(request) : null;
  const stuckTo = conversation ? deps.sticky?.listingOf(conversation) : undefined;
  const ordered: Candidate[] = [];
  const usable = prefs?.allowFallbacks === false ? tables.slice(0, 1) : tables;
  usable.forEach((table, index) => {
    const kept = table.candidates.filter((c) => preferred(c) && fits(c));
    let order: Candidate[];
    if (sort) order = sortedBy(kept, sort, deps.reputation);
    else if (prefs?.order) order = orderedFirst(kept, prefs.order);
    else if (table.loadBalanced === false) order = kept;
    else order = balanced(kept, (c) => deps.reputation?.weightOf(c.listingId) ?? 1, random);
    if (index === 0 && stuckTo) {
      // Only within the balanced pool: a conversation that once fell back to a dearer or degraded
      // listing goes back to the cheap ones.
      const at = order.findIndex((c) => c.listingId === stuckTo);
      if (at > 0 && inPool(order[at], kept)) order = [order[at], ...order.slice(0, at), ...order.slice(at + 1)];
    }
    ordered.push(...order);
  });
  let candidates = ordered;
  if (prefs?.allowFallbacks === false) candidates = prefs.order ? ordered.filter((c) => matchesAny(c, prefs.order!)) : ordered.slice(0, 1);
  if (candidates.length === 0 && tables.some((t) => t.candidates.length > 0)) throw noFit(request, why);
  request.conversation = conversation;
  if (caps) {
    request.maxTokensByListing = caps;
    // The reservation covers the largest cap any candidate may get.
    request.maxTokens = Math.max(1, ...candidates.map((c) => caps.get(c.listingId) ?? 0));
  }
  return candidates;
}

function noFit(request: InferenceRequest, why: Exclusions): InferenceError {
  if (why.parameter) {
    return new InferenceError(
      404,
      `No provider of \`${request.model}\` supports \`${why.parameter}\`; remove it from the request or choose another model`,
      'invalid_request_error',
      'no_endpoints',
      why.parameter,
    );
  }
  if (why.context !== null && !why.preferences) {
    const asked = request.defaultedMaxTokens ? request.countedPrompt : request.countedPrompt + (request.maxTokens ?? 0);
    return new InferenceError(
      400,
      `This model's maximum context length is ${why.context} tokens. However, you requested ${asked} tokens (${request.countedPrompt} in the messages, ${request.defaultedMaxTokens ? 0 : request.maxTokens} in the completion). Please reduce the length of the messages or completion.`,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    );
  }
  if (why.maxOutput !== null && !why.preferences) {
    return new InferenceError(
      400,
      `\`max_tokens\` is ${request.maxTokens}; the providers of \`${request.model}\` generate at most ${why.maxOutput} tokens`,
      'invalid_request_error',
      'max_tokens_too_large',
      'max_tokens',
    );
  }
  return new InferenceError(
    404,
    `No provider of \`${request.model}\` matches the request's provider preferences`,
    'invalid_request_error',
    'no_endpoints',
    'provider',
  );
}

/** `sort`: price ascending; throughput (live tokens/s, else the probes') descending; latency (live TTFT, else the probes') ascending. Unknown figures last. */
function sortedBy(candidates: Candidate[], sort: ProviderSort, reputation: ReputationSource | undefined): Candidate[] {
  const figure = (c: Candidate): number | null => {
    if (sort === 'price') return blendedPriceOf(c);
    const live = reputation?.reputationOf(c.listingId);
    if (sort === 'throughput') {
      const tps = live?.tokensPerSecond ?? c.tokensPerSecond ?? null;
      return tps === null ? null : -tps;
    }
    return live?.ttftP50Ms ?? live?.latencyP50Ms ?? c.ttftMs ?? c.latencyMs ?? null;
  };
  const keyed = candidates.map((c, i) => ({ c, i, f: figure(c) }));
  keyed.sort((a, b) => (a.f === b.f ? a.i - b.i : a.f === null ? 1 : b.f === null ? -1 : a.f - b.f || a.i - b.i));
  return keyed.map((k) => k.c);
}

/** The listings `order` names, in its order; then the rest in the table's order. */
function orderedFirst(candidates: Candidate[], order: readonly string[]): Candidate[] {
  const rank = (c: Candidate) => {
    const own = names(c);
    const at = order.findIndex((entry) => own.includes(entry));
    return at === -1 ? order.length : at;
  };
  return candidates
    .map((c, i) => ({ c, i, r: rank(c) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((k) => k.c);
}

/**
 * A weighted draw without replacement (Efraimidis–Spirakis: each gets u^(1/w), highest first) over
 * the ACTIVE listings within BALANCE_PRICE_RATIO of the cheapest, weight 1/price² × reputation;
 * the rest keep the table's order after them (dearer, or DEGRADED).
 */
function cheapestActive(candidates: Candidate[]): number {
  let cheapest = Infinity;
  for (const c of candidates) if (c.contractState !== 'DEGRADED') cheapest = Math.min(cheapest, blendedPriceOf(c));
  return cheapest;
}

/** Whether the listing is one of the comparable ones the draw shares traffic among. */
function inPool(candidate: Candidate, candidates: Candidate[]): boolean {
  return candidate.contractState !== 'DEGRADED' && blendedPriceOf(candidate) <= cheapestActive(candidates) * BALANCE_PRICE_RATIO;
}

export function balanced(candidates: Candidate[], weightOf: (c: Candidate) => number, random: () => number): Candidate[] {
  if (candidates.length < 2) return candidates;
  const active = candidates.filter((c) => c.contractState !== 'DEGRADED');
  if (active.length < 2) return candidates;
  const cheapest = cheapestActive(active);
  const pool = active.filter((c) => blendedPriceOf(c) <= cheapest * BALANCE_PRICE_RATIO);
  if (pool.length < 2) return candidates;
  const keyed = pool.map((c) => {
    const price = Math.max(1, blendedPriceOf(c)) / Math.max(1, cheapest);
    const weight = weightOf(c) / (price * price);
    return { c, key: Math.log(Math.max(random(), Number.MIN_VALUE)) / weight };
  });
  keyed.sort((a, b) => b.key - a.key);
  const drawn = new Set(pool);
  return [...keyed.map((k) => k.c), ...candidates.filter((c) => !drawn.has(c))];
}
