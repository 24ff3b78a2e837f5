// Candidate ranking for the routing table, pure. Order of precedence:
//   1. only ACTIVE and DEGRADED contracts; DEGRADED ones always after every ACTIVE one;
//   2. the profile's filters: allowProviders (when set), denyProviders, max input / output price
//      per MTok (token capabilities only; speech is priced per character and has no token ceiling);
//   3. within each health group, providerOrder first (listed providers in that order, the rest after);
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
}

export const DEFAULT_POLICY: RoutingPolicy = {
  sort: RoutingSort.PRICE,
  providerOrder: [],
  allowProviders: null,
  denyProviders: [],
  maxInputPriceMicrosPerMTok: null,
  maxOutputPriceMicrosPerMTok: null,
};

const HEALTH_RANK: Partial<Record<ContractState, number>> = { [ContractState.ACTIVE]: 0, [ContractState.DEGRADED]: 1 };

export function rankCandidates<T extends RankableCandidate>(candidates: readonly T[], policy: RoutingPolicy | null = null): T[] {
  const p = policy ?? DEFAULT_POLICY;
  const allowed = p.allowProviders && p.allowProviders.length > 0 ? new Set(p.allowProviders) : null;
  const denied = new Set(p.denyProviders);
  const eligible = candidates.filter((c) => {
    if (HEALTH_RANK[c.contractState] === undefined) return false;
    if (allowed && !allowed.has(c.provider)) return false;
    if (denied.has(c.provider)) return false;
    if (c.capability !== Capability.SPEECH) {
      if (p.maxInputPriceMicrosPerMTok !== null && c.inputPriceMicrosPerMTok > p.maxInputPriceMicrosPerMTok) return false;
      if (p.maxOutputPriceMicrosPerMTok !== null && c.outputPriceMicrosPerMTok > p.maxOutputPriceMicrosPerMTok) return false;
    }
    return true;
  });
  const orderIndex = (provider: string) => {
    const index = p.providerOrder.indexOf(provider);
    return index === -1 ? p.providerOrder.length : index;
  };
  const price = (c: T) => blendedPrice(c.capability, { input: c.inputPriceMicrosPerMTok, output: c.outputPriceMicrosPerMTok, perMChars: c.priceMicrosPerMChars });
  const ascNullsLast = (a: number | null, b: number | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a - b);
  const byPrice = (a: T, b: T) => price(a) - price(b);
  const byLatency = (a: T, b: T) => ascNullsLast(a.latencyMs, b.latencyMs);
  const byThroughput = (a: T, b: T) => ascNullsLast(a.tokensPerSecond === null ? null : -a.tokensPerSecond, b.tokensPerSecond === null ? null : -b.tokensPerSecond);
  const keys = p.sort === RoutingSort.LATENCY ? [byLatency, byPrice] : p.sort === RoutingSort.THROUGHPUT ? [byThroughput, byPrice] : [byPrice, byLatency];
  return [...eligible].sort((a, b) => {
    const health = HEALTH_RANK[a.contractState]! - HEALTH_RANK[b.contractState]!;
    if (health !== 0) return health;
    const order = orderIndex(a.provider) - orderIndex(b.provider);
    if (order !== 0) return order;
    for (const key of keys) {
      const result = key(a, b);
      if (result !== 0) return result;
    }
    return a.listingId < b.listingId ? -1 : a.listingId > b.listingId ? 1 : 0;
  });
}
