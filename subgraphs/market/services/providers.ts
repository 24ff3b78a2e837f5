// The provider catalog: upstreams a seller can pool keys for, each OpenAI-compatible at a fixed
// public base URL, with what it serves. `custom` is any OpenAI-compatible endpoint the seller
// names; `simulator` is the platform's simulated upstream, present only when one is configured.
import { badInput } from '../../common/errors';
import { processOutboundPolicy } from '../../common/outbound';
import { Capability } from '../entities/Listing';
import { validBaseUrl } from './validation';

export interface ProviderEntry {
  id: string;
  name: string;
  /** null for `custom` (the seller gives it). */
  baseUrl: string | null;
  capabilities: Capability[];
  /** Whether createPoolKey takes a baseUrl (required for custom, an optional override for the simulator outside production). */
  acceptsBaseUrl: boolean;
  requiresBaseUrl: boolean;
}

const { CHAT, EMBEDDINGS, SPEECH } = Capability;

/** Public OpenAI-compatible endpoints (each serves GET /models, POST /chat/completions, …). */
const PUBLIC_PROVIDERS: readonly ProviderEntry[] = [
  {
    id: 'openai',
    name: 'OpenAI',
    baseUrl: 'https://api.openai.com/v1',
    capabilities: [CHAT, EMBEDDINGS, SPEECH],
    acceptsBaseUrl: false,
    requiresBaseUrl: false,
  },
  {
    id: 'deepseek',
    name: 'DeepSeek',
    baseUrl: 'https://api.deepseek.com/v1',
    capabilities: [CHAT],
    acceptsBaseUrl: false,
    requiresBaseUrl: false,
  },
  {
    id: 'openrouter',
    name: 'OpenRouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    capabilities: [CHAT],
    acceptsBaseUrl: false,
    requiresBaseUrl: false,
  },
  {
    id: 'together',
    name: 'Together AI',
    baseUrl: 'https://api.together.xyz/v1',
    capabilities: [CHAT, EMBEDDINGS, SPEECH],
    acceptsBaseUrl: false,
    requiresBaseUrl: false,
  },
  {
    id: 'groq',
    name: 'Groq',
    baseUrl: 'https://api.groq.com/openai/v1',
    capabilities: [CHAT, SPEECH],
    acceptsBaseUrl: false,
    requiresBaseUrl: false,
  },
  {
    id: 'mistral',
    name: 'Mistral AI',
    baseUrl: 'https://api.mistral.ai/v1',
    capabilities: [CHAT, EMBEDDINGS],
    acceptsBaseUrl: false,
    requiresBaseUrl: false,
  },
];

const CUSTOM: ProviderEntry = {
  id: 'custom',
  name: 'Custom (OpenAI-compatible)',
  baseUrl: null,
  capabilities: [CHAT, EMBEDDINGS, SPEECH],
  acceptsBaseUrl: true,
  requiresBaseUrl: true,
};

/** Every provider id there can be (for routing-profile filters, which outlive a simulator's presence). */
export const KNOWN_PROVIDER_IDS: ReadonlySet<string> = new Set(['simulator', ...PUBLIC_PROVIDERS.map((p) => p.id), CUSTOM.id]);

export class ProviderCatalog {
  readonly entries: readonly ProviderEntry[];

  /**
   * allowPrivate: whether base URLs may name private addresses (OUTBOUND_ALLOW_PRIVATE); by
   * default the process's outbound policy, read when a key is created.
   */
  constructor(options: { simulatorUrl?: string; production: boolean; allowPrivate?: () => boolean }) {
    // In production the simulator is the operator's, at its configured URL only: a seller-given
    // override would be a second, unvetted way to name any URL.
    const simulator: ProviderEntry[] = options.simulatorUrl
      ? [
          {
            id: 'simulator',
            name: 'Dragonfly simulator',
            baseUrl: options.simulatorUrl.replace(/\/+$/, ''),
            capabilities: [CHAT, EMBEDDINGS, SPEECH],
            acceptsBaseUrl: !options.production,
            requiresBaseUrl: false,
          },
        ]
      : [];
    this.entries = [...simulator, ...PUBLIC_PROVIDERS, CUSTOM];
    this.production = options.production;
    this.allowPrivate = options.allowPrivate ?? (() => processOutboundPolicy().allowPrivate);
  }

  private readonly production: boolean;
  private readonly allowPrivate: () => boolean;

  get(id: string): ProviderEntry | null {
    return this.entries.find((entry) => entry.id === id) ?? null;
  }

  /** The provider named by a createPoolKey input, or BAD_USER_INPUT naming `provider`. */
  require(id: unknown): ProviderEntry {
    const entry = typeof id === 'string' ? this.get(id.trim().toLowerCase()) : null;
    if (!entry) throw badInput(`provider must be one of: ${this.entries.map((e) => e.id).join(', ')}`, { field: 'provider' });
    return entry;
  }

  /** The base URL a new pool key stores as its override: null when the catalog's applies. */
  overrideFor(entry: ProviderEntry, given: string | null | undefined): string | null {
    if (given === undefined || given === null || given === '') {
      if (entry.requiresBaseUrl) throw badInput(`baseUrl is required for provider ${entry.id}`, { field: 'baseUrl' });
      return null;
    }
    if (!entry.acceptsBaseUrl)
      throw badInput(`baseUrl is fixed for provider ${entry.id} (${entry.baseUrl}); give one only for custom`, { field: 'baseUrl' });
    // Any given URL is the seller's choice, whichever provider it is for: one rule for all of them.
    return validBaseUrl(given, 'baseUrl', { production: this.production, allowPrivate: this.allowPrivate() });
  }

  /** Where a pool key's calls go: its override, else the catalog's URL (null when that provider is gone, e.g. no simulator). */
  baseUrlOf(key: { provider: string; baseUrlOverride?: string | null }): string | null {
    return key.baseUrlOverride ?? this.get(key.provider)?.baseUrl ?? null;
  }

  serves(providerId: string, capability: Capability): boolean {
    return (this.get(providerId) ?? CUSTOM).capabilities.includes(capability);
  }
}
