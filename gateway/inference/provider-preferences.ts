// OpenRouter's `provider` object as the request carries it once parsed (provider-routing.ts parses
// and applies it).
export const PROVIDER_SORTS = ['price', 'throughput', 'latency'] as const;
export type ProviderSort = (typeof PROVIDER_SORTS)[number];

export interface ProviderPreferences {
  /** Tried first, in this order (seller handles, seller ids, listing ids or provider ids). */
  order: string[] | null;
  only: string[] | null;
  ignore: string[] | null;
  /** false: only the listings `order` names (or the first choice), and no fallback models. */
  allowFallbacks: boolean;
  /** Only listings that declare every parameter the request uses. */
  requireParameters: boolean;
  /** deny: only listings that neither retain nor train on prompts. */
  dataCollection: 'allow' | 'deny';
  /** Only zero-retention listings. */
  zdr: boolean;
  quantizations: string[] | null;
  sort: ProviderSort | null;
  /** Micro-USD per million tokens. */
  maxPromptMicrosPerMTok: number | null;
  maxCompletionMicrosPerMTok: number | null;
}
