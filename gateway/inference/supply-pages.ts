// The public supply pages: GET /v1/models in OpenRouter's model shape (still an OpenAI `Model`:
// id, object, created, owned_by) and GET /v1/models/{id}/endpoints, every listing serving a model
// with its price, metadata, verification and live reputation. Read from the federated graph (market's
// models and listings, network's reputation) and cached briefly; this file only maps shapes.
//
// Listing metadata (contextLength, maxOutputTokens, supportedParameters, quantization, region,
// dataPolicy) and verification are mapped defensively: a field the graph does not give is null.

/** The fields read from the graph; metadata and verification fields may be absent (null). */
export interface SupplyListing {
  id: string;
  createdAt: string;
  /** The seller's account; its public handle as `seller.handle` (the graph's Account.seller). */
  seller: { id: string; handle?: string | null; seller?: { handle?: string | null } | null } | null;
  inputPricePerMTok: { micros: number };
  outputPricePerMTok: { micros: number };
  cacheReadPricePerMTok?: { micros: number } | null;
  pricePerMChars?: { micros: number } | null;
  contextLength?: number | null;
  maxOutputTokens?: number | null;
  supportedParameters?: string[] | null;
  quantization?: string | null;
  region?: string | null;
  dataPolicy?: { retainsPrompts: boolean; trainsOnPrompts: boolean; zeroRetention: boolean } | null;
  verification?: {
    status: string;
    checkedAt?: string | null;
    canonicalModel?: string | null;
    checks?: { name: string; passed: boolean; detail?: string | null }[] | null;
  } | null;
  reputation?: SupplyReputation | null;
  uptime?: { requests: number; successRate: number | null } | null;
}

export interface SupplyReputation {
  windowMinutes: number;
  requests: number;
  successRate: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  tokensPerSecond: number | null;
}

export interface SupplyModel {
  id: string;
  name: string;
  tagline: string;
  capability: 'CHAT' | 'EMBEDDINGS' | 'SPEECH';
  endpoints: SupplyListing[];
}

const REPUTATION_FIELDS = 'windowMinutes requests successRate ttftP50Ms ttftP95Ms latencyP50Ms latencyP95Ms tokensPerSecond';
// The model list reads only what a model object shows (every list is counted at its bound: 100
// models × 10 endpoints, so each field here costs 1,000 of the 25,000 a query may cost); a model's
// endpoints page reads each listing's whole public side.
const MODEL_LISTING_FIELDS = `id createdAt inputPricePerMTok { micros } outputPricePerMTok { micros } cacheReadPricePerMTok { micros } pricePerMChars { micros } contextLength maxOutputTokens supportedParameters`;
const ENDPOINT_LISTING_FIELDS = `${MODEL_LISTING_FIELDS} seller { id seller { handle } } quantization region dataPolicy { retainsPrompts trainsOnPrompts zeroRetention }
  verification { status checkedAt canonicalModel checks { name passed detail } }`;

export const SUPPLY_MODELS_QUERY = `query SupplyPageModels { models { id name tagline capability endpoints { ${MODEL_LISTING_FIELDS} } } }`;
export const SUPPLY_MODEL_QUERY = `query SupplyPageModel($id: ID!) {
  model(id: $id) { id name tagline capability endpoints { ${ENDPOINT_LISTING_FIELDS} reputation { ${REPUTATION_FIELDS} } uptime: reputation(windowMinutes: 30) { requests successRate } } }
}`;

/**
 * USD per token (or character) as an exact decimal string from integer micro-USD per million:
 * micros × 10⁻¹², without floating point. 150000 (0.15 USD per million) → "0.00000015".
 */
export function perUnitUsd(microsPerMillion: number): string {
  if (!Number.isSafeInteger(microsPerMillion) || microsPerMillion <= 0) return '0';
  const digits = String(microsPerMillion).padStart(13, '0');
  const whole = digits.slice(0, -12).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(-12).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

// Listing parameters (the metadata's vocabulary) as OpenRouter names request parameters.
const PARAMETER_NAMES: Record<string, string[]> = {
  tools: ['tools'],
  tool_choice: ['tool_choice'],
  json_schema: ['response_format', 'structured_outputs'],
  json_object: ['response_format'],
  logprobs: ['logprobs', 'top_logprobs'],
  reasoning: ['reasoning', 'include_reasoning'],
  stop: ['stop'],
  seed: ['seed'],
};
/** What the data plane passes through to every chat listing. */
const CHAT_BASE_PARAMETERS = ['max_tokens', 'temperature', 'top_p', 'frequency_penalty', 'presence_penalty'];

export function supportedParameters(capability: SupplyModel['capability'], declared: readonly string[] | null | undefined): string[] {
  if (capability !== 'CHAT') return [];
  const names = new Set(CHAT_BASE_PARAMETERS);
  for (const parameter of declared ?? []) for (const name of PARAMETER_NAMES[parameter] ?? []) names.add(name);
  return [...names].sort();
}

function architecture(model: SupplyModel) {
  const vision = model.endpoints.some((e) => e.supportedParameters?.includes('vision'));
  const input = model.capability === 'CHAT' && vision ? ['text', 'image'] : ['text'];
  const output = model.capability === 'CHAT' ? ['text'] : model.capability === 'EMBEDDINGS' ? ['embeddings'] : ['audio'];
  // The canonical registry's tokenizer family joins here; until a listing's model is canonical, "Other".
  return {
    modality: `${input.join('+')}->${output.join('+')}`,
    input_modalities: input,
    output_modalities: output,
    tokenizer: 'Other',
    instruct_type: null,
  };
}

/** An endpoint's prices, USD per unit as strings (speech: `prompt` is per input character). */
function pricing(model: SupplyModel, listing: SupplyListing) {
  const speech = model.capability === 'SPEECH';
  return {
    prompt: perUnitUsd(speech ? (listing.pricePerMChars?.micros ?? 0) : listing.inputPricePerMTok.micros),
    completion: speech ? '0' : perUnitUsd(listing.outputPricePerMTok.micros),
    request: '0',
    image: '0',
    web_search: '0',
    internal_reasoning: '0',
    ...(listing.cacheReadPricePerMTok ? { input_cache_read: perUnitUsd(listing.cacheReadPricePerMTok.micros) } : {}),
  };
}

const earliest = (endpoints: SupplyListing[]) =>
  Math.floor(Math.min(...endpoints.map((e) => Date.parse(e.createdAt)).filter(Number.isFinite)) / 1000);
const maxOf = (values: (number | null | undefined)[]) => {
  const known = values.filter((v): v is number => typeof v === 'number');
  return known.length ? Math.max(...known) : null;
};

/** One model of GET /v1/models: OpenRouter's fields, and OpenAI's `object` and `owned_by`. */
export function openRouterModel(model: SupplyModel) {
  const cheapest = model.endpoints[0] ?? null;
  const created = model.endpoints.length ? earliest(model.endpoints) : 0;
  return {
    id: model.id,
    object: 'model' as const,
    created: Number.isFinite(created) ? created : 0,
    owned_by: model.id.includes('/') ? model.id.split('/')[0] : 'dragonfly-market',
    canonical_slug: model.id,
    name: model.name,
    description: model.tagline,
    context_length: maxOf(model.endpoints.map((e) => e.contextLength)),
    architecture: architecture(model),
    // The lowest price offered: endpoints come cheapest first.
    pricing: cheapest
      ? pricing(model, cheapest)
      : { prompt: '0', completion: '0', request: '0', image: '0', web_search: '0', internal_reasoning: '0' },
    top_provider: {
      context_length: cheapest?.contextLength ?? null,
      max_completion_tokens: cheapest?.maxOutputTokens ?? null,
      is_moderated: false,
    },
    per_request_limits: null,
    supported_parameters: supportedParameters(model.capability, [...new Set(model.endpoints.flatMap((e) => e.supportedParameters ?? []))]),
  };
}

/** Below this 30-minute success rate an endpoint's status is -1 (degraded). */
export const DEGRADED_BELOW = 0.95;

/** A seller's public name: its handle, or a short stable name from its id until it has one. */
export function providerName(listing: SupplyListing): string {
  return (
    listing.seller?.seller?.handle ?? listing.seller?.handle ?? `seller-${(listing.seller?.id ?? listing.id).replace(/-/g, '').slice(0, 8)}`
  );
}

/** GET /v1/models/{id}/endpoints: OpenRouter's shape, plus Dragonfly's listing id, region, data policy, verification and reputation. */
export function openRouterEndpoints(model: SupplyModel) {
  const base = openRouterModel(model);
  return {
    data: {
      id: model.id,
      name: model.name,
      created: base.created,
      description: model.tagline,
      architecture: base.architecture,
      endpoints: model.endpoints.map((listing) => {
        const provider = providerName(listing);
        const uptime = listing.uptime?.successRate;
        return {
          name: `${provider} | ${model.id}`,
          model_name: model.name,
          provider_name: provider,
          tag: provider,
          listing_id: listing.id,
          context_length: listing.contextLength ?? null,
          max_completion_tokens: listing.maxOutputTokens ?? null,
          max_prompt_tokens: null,
          pricing: pricing(model, listing),
          quantization: listing.quantization ?? 'unknown',
          // OpenRouter's status: 0 serving normally; -1 when fewer than 95% of the last 30 minutes' counted requests succeeded.
          status: typeof uptime === 'number' && uptime < DEGRADED_BELOW ? -1 : 0,
          uptime_last_30m: typeof uptime === 'number' ? Math.round(uptime * 10_000) / 100 : null,
          supported_parameters: supportedParameters(model.capability, listing.supportedParameters),
          region: listing.region ?? null,
          data_policy: listing.dataPolicy
            ? {
                retains_prompts: listing.dataPolicy.retainsPrompts,
                trains_on_prompts: listing.dataPolicy.trainsOnPrompts,
                zero_retention: listing.dataPolicy.zeroRetention,
              }
            : null,
          verification: listing.verification
            ? {
                status: listing.verification.status,
                checked_at: listing.verification.checkedAt ?? null,
                canonical_model: listing.verification.canonicalModel ?? null,
                checks: (listing.verification.checks ?? []).map((c) => ({ name: c.name, passed: c.passed, detail: c.detail ?? null })),
              }
            : null,
          reputation: listing.reputation
            ? {
                window_minutes: listing.reputation.windowMinutes,
                requests: listing.reputation.requests,
                success_rate: listing.reputation.successRate,
                ttft_p50_ms: listing.reputation.ttftP50Ms,
                ttft_p95_ms: listing.reputation.ttftP95Ms,
                latency_p50_ms: listing.reputation.latencyP50Ms,
                latency_p95_ms: listing.reputation.latencyP95Ms,
                tokens_per_second: listing.reputation.tokensPerSecond,
              }
            : null,
        };
      }),
    },
  };
}

/** The pages' reads, cached for `ttlMs` (the list once, each model's endpoints by id, bounded). */
export class SupplyPages {
  private list: { at: number; models: SupplyModel[] } | null = null;
  private readonly byId = new Map<string, { at: number; model: SupplyModel | null }>();

  constructor(
    private readonly read: { models(): Promise<SupplyModel[]>; model(id: string): Promise<SupplyModel | null> },
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
    private readonly maxModels = 1_000,
  ) {}

  async models(): Promise<SupplyModel[]> {
    if (this.list && this.now() - this.list.at < this.ttlMs) return this.list.models;
    const models = await this.read.models();
    this.list = { at: this.now(), models };
    return models;
  }

  async model(id: string): Promise<SupplyModel | null> {
    const cached = this.byId.get(id);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.model;
    const model = await this.read.model(id);
    if (this.byId.size >= this.maxModels) this.byId.delete(this.byId.keys().next().value!);
    this.byId.set(id, { at: this.now(), model });
    return model;
  }
}
