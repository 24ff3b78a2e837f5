// Candidate ranking for the routing table, pure. Order of precedence:
//   1. only ACTIVE and DEGRADED contracts; DEGRADED ones always after every ACTIVE one;
//   2. the profile's filters: allowProviders (when set), denyProviders, allowSupply (when set),
//      denySupply, max input / output price per MTok (token capabilities only; speech is priced per
//      character and has no token ceiling). A supply entry is a seller handle, a seller id or a
//      listing id; a candidate matches it when its sellerHandle, sellerId or listingId equals it;
//   3. within each health group, supplyOrder first (candidates matching an entry in the entries'
//      order), then providerOrder (listed providers in that order, the rest after);
//   4. then the sort: PRICE = input + output per MTok (per MChars for speech) ascending, then latency;
//      LATENCY = probe latency ascending, then price; THROUGHPUT = tokens/s descending, then price.
//      Unknown latency / throughput sorts last. The listing id breaks the remaining ties (stable).
// Without a profile: PRICE, no filters, no provider order.
import { ContractState } from '../entities/Contract';
import { Capability } from '../entities/Listing';
import { RoutingSort } from '../entities/RoutingProfile';
import { blendedPrice } from './pricing';

export interface RankableCandidate {
  listingId: string;
  /** The seller (and its handle) behind the listing: what supply entries also match. */
  sellerId?: string;
  sellerHandle?: string | null;
  provider: string;
  capability: Capability;
  inputPriceMicrosPerMTok: number;
  outputPriceMicrosPerMTok: number;
  priceMicrosPerMChars: number | null;
  latencyMs: number | null;
  tokensPerSecond: number | null;
  contractState: ContractState;
}

export interface RoutingPolicy {
  sort: RoutingSort;
  providerOrder: readonly string[];
  allowProviders: readonly string[] | null;
  denyProviders: readonly string[];
  maxInputPriceMicrosPerMTok: number | null;
  maxOutputPriceMicrosPerMTok: number | null;
  /** Supply entries (seller handles, seller ids, listing ids); null = everyone. */
  allowSupply: readonly string[] | null;
  denySupply: readonly string[];
  supplyOrder: readonly string[];
}

export const DEFAULT_POLICY: RoutingPolicy = {
  sort: RoutingSort.PRICE,
  providerOrder: [],
  allowProviders: null,
  denyProviders: [],
  maxInputPriceMicrosPerMTok: null,
  maxOutputPriceMicrosPerMTok: null,
  allowSupply: null,
  denySupply: [],
  supplyOrder: [],
};

/** Whether a supply entry names the candidate: its seller's handle, its seller's id or its own id. */
function matchesSupply(c: RankableCandidate, entry: string): boolean {
  return entry === c.listingId || entry === c.sellerId || (c.sellerHandle != null && entry === c.sellerHandle);
}

const HEALTH_RANK: Partial<Record<ContractState, number>> = { [ContractState.ACTIVE]: 0, [ContractState.DEGRADED]: 1 };

export function rankCandidates<T extends RankableCandidate>(candidates: readonly T[], policy: RoutingPolicy | null = null): T[] {
  const p = policy ?? DEFAULT_POLICY;
  const allowed = p.allowProviders && p.allowProviders.length > 0 ? new Set(p.allowProviders) : null;
  const denied = new Set(p.denyProviders);
  const allowSupply = p.allowSupply && p.allowSupply.length > 0 ? p.allowSupply : null;
  const eligible = candidates.filter((c) => {
    if (HEALTH_RANK[c.contractState] === undefined) return false;
    if (allowed && !allowed.has(c.provider)) return false;
    if (denied.has(c.provider)) return false;
    if (allowSupply && !allowSupply.some((entry) => matchesSupply(c, entry))) return false;
    if (p.denySupply.some((entry) => matchesSupply(c, entry))) return false;
    if (c.capability !== Capability.SPEECH) {
      if (p.maxInputPriceMicrosPerMTok !== null && c.inputPriceMicrosPerMTok > p.maxInputPriceMicrosPerMTok) return false;
      if (p.maxOutputPriceMicrosPerMTok !== null && c.outputPriceMicrosPerMTok > p.maxOutputPriceMicrosPerMTok) return false;
    }
    return true;
  });
  // Each candidate's place in supplyOrder: the first entry it matches (unmatched after every listed one).
  const supplyIndex = new Map(
    eligible.map((c) => {
      const index = p.supplyOrder.findIndex((entry) => matchesSupply(c, entry));
      return [c, index === -1 ? p.supplyOrder.length : index] as const;
    }),
  );
  const orderIndex = (provider: string) => {
    const index = p.providerOrder.indexOf(provider);
    return index === -1 ? p.providerOrder.length : index;
  };
  const price = (c: T) =>
    blendedPrice(c.capability, { input: c.inputPriceMicrosPerMTok, output: c.outputPriceMicrosPerMTok, perMChars: c.priceMicrosPerMChars });
  const ascNullsLast = (a: number | null, b: number | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a - b);
  const byPrice = (a: T, b: T) => price(a) - price(b);
  const byLatency = (a: T, b: T) => ascNullsLast(a.latencyMs, b.latencyMs);
  const byThroughput = (a: T, b: T) =>
    ascNullsLast(a.tokensPerSecond === null ? null : -a.tokensPerSecond, b.tokensPerSecond === null ? null : -b.tokensPerSecond);
  const keys =
    p.sort === RoutingSort.LATENCY
      ? [byLatency, byPrice]
      : p.sort === RoutingSort.THROUGHPUT
        ? [byThroughput, byPrice]
        : [byPrice, byLatency];
  return [...eligible].sort((a, b) => {
    const health = HEALTH_RANK[a.contractState]! - HEALTH_RANK[b.contractState]!;
    if (health !== 0) return health;
    const supply = supplyIndex.get(a)! - supplyIndex.get(b)!;
    if (supply !== 0) return supply;
    const order = orderIndex(a.provider) - orderIndex(b.provider);
    if (order !== 0) return order;
    for (const key of keys) {
      const result = key(a, b);
      if (result !== 0) return result;
    }
    return a.listingId < b.listingId ? -1 : a.listingId > b.listingId ? 1 : 0;
  });
}
