// The routing ranking, pure: each sort, each filter, supply and provider order, and DEGRADED supply last.
import { describe, expect, it } from 'vitest';
import { ContractState } from '../../subgraphs/market/entities/Contract';
import { Capability } from '../../subgraphs/market/entities/Listing';
import { RoutingSort } from '../../subgraphs/market/entities/RoutingProfile';
import { DEFAULT_POLICY, rankCandidates, type RankableCandidate, type RoutingPolicy } from '../../subgraphs/market/services/routing';

const M = 1_000_000;
function candidate(listingId: string, over: Partial<RankableCandidate> = {}): RankableCandidate {
  return {
    listingId,
    provider: 'openai',
    capability: Capability.CHAT,
    inputPriceMicrosPerMTok: 1 * M,
    outputPriceMicrosPerMTok: 1 * M,
    priceMicrosPerMChars: null,
    latencyMs: 500,
    tokensPerSecond: 50,
    contractState: ContractState.ACTIVE,
    ...over,
  };
}
const policy = (over: Partial<RoutingPolicy>): RoutingPolicy => ({ ...DEFAULT_POLICY, ...over });
const ids = (list: RankableCandidate[]) => list.map((c) => c.listingId);

const a = candidate('a', {
  provider: 'openai',
  inputPriceMicrosPerMTok: 2 * M,
  outputPriceMicrosPerMTok: 2 * M,
  latencyMs: 100,
  tokensPerSecond: 20,
}); // $4, fastest, slow tokens
const b = candidate('b', {
  provider: 'groq',
  inputPriceMicrosPerMTok: 1 * M,
  outputPriceMicrosPerMTok: 1 * M,
  latencyMs: 300,
  tokensPerSecond: 200,
}); // $2
const c = candidate('c', {
  provider: 'together',
  inputPriceMicrosPerMTok: 0.5 * M,
  outputPriceMicrosPerMTok: 3 * M,
  latencyMs: 200,
  tokensPerSecond: 90,
}); // $3.5
const all = [a, b, c];

describe('rankCandidates', () => {
  it('without a profile: price (input + output) ascending', () => {
    expect(ids(rankCandidates(all))).toEqual(['b', 'c', 'a']);
    expect(ids(rankCandidates(all, null))).toEqual(['b', 'c', 'a']);
  });

  it('without a profile: equal prices are ordered by latency, unknown latency last, then by id', () => {
    const x = candidate('x', { latencyMs: 900 });
    const y = candidate('y', { latencyMs: 100 });
    const z = candidate('z', { latencyMs: null });
    const w = candidate('w', { latencyMs: 100 });
    expect(ids(rankCandidates([x, z, y, w]))).toEqual(['w', 'y', 'x', 'z']);
  });

  it('PRICE sorts cheapest first', () => {
    expect(ids(rankCandidates(all, policy({ sort: RoutingSort.PRICE })))).toEqual(['b', 'c', 'a']);
  });

  it('LATENCY sorts the lowest probe latency first (unknown last), then price', () => {
    const unknown = candidate('u', { latencyMs: null, inputPriceMicrosPerMTok: 0, outputPriceMicrosPerMTok: 0 });
    const tie = candidate('t', { latencyMs: 100, inputPriceMicrosPerMTok: 0, outputPriceMicrosPerMTok: 0 });
    expect(ids(rankCandidates([...all, unknown, tie], policy({ sort: RoutingSort.LATENCY })))).toEqual(['t', 'a', 'c', 'b', 'u']);
  });

  it('THROUGHPUT sorts the most tokens per second first (unknown last), then price', () => {
    const unknown = candidate('u', { tokensPerSecond: null });
    expect(ids(rankCandidates([unknown, ...all], policy({ sort: RoutingSort.THROUGHPUT })))).toEqual(['b', 'c', 'a', 'u']);
  });

  it('puts providerOrder first, in its order, then sorts the rest', () => {
    expect(ids(rankCandidates(all, policy({ providerOrder: ['openai'] })))).toEqual(['a', 'b', 'c']);
    expect(ids(rankCandidates(all, policy({ providerOrder: ['together', 'openai'] })))).toEqual(['c', 'a', 'b']);
    expect(ids(rankCandidates(all, policy({ providerOrder: ['mistral'] })))).toEqual(['b', 'c', 'a']);
  });

  it('keeps only allowProviders when set, and drops denyProviders', () => {
    expect(ids(rankCandidates(all, policy({ allowProviders: ['openai', 'together'] })))).toEqual(['c', 'a']);
    expect(ids(rankCandidates(all, policy({ allowProviders: [] })))).toEqual(['b', 'c', 'a']); // empty = no filter
    expect(ids(rankCandidates(all, policy({ denyProviders: ['groq'] })))).toEqual(['c', 'a']);
    expect(ids(rankCandidates(all, policy({ allowProviders: ['groq'], denyProviders: ['groq'] })))).toEqual([]);
  });

  it('drops supply above the input or output price ceilings (inclusive), but not speech priced per character', () => {
    expect(ids(rankCandidates(all, policy({ maxInputPriceMicrosPerMTok: 1 * M })))).toEqual(['b', 'c']);
    expect(ids(rankCandidates(all, policy({ maxOutputPriceMicrosPerMTok: 2 * M })))).toEqual(['b', 'a']);
    expect(ids(rankCandidates(all, policy({ maxInputPriceMicrosPerMTok: 1 * M, maxOutputPriceMicrosPerMTok: 2 * M })))).toEqual(['b']);
    const speech = candidate('s', { capability: Capability.SPEECH, inputPriceMicrosPerMTok: 9 * M, priceMicrosPerMChars: 15 * M });
    expect(ids(rankCandidates([speech], policy({ maxInputPriceMicrosPerMTok: 1 * M })))).toEqual(['s']);
  });

  it('ranks speech by its per-character price', () => {
    const s1 = candidate('s1', {
      capability: Capability.SPEECH,
      inputPriceMicrosPerMTok: 0,
      outputPriceMicrosPerMTok: 0,
      priceMicrosPerMChars: 30 * M,
    });
    const s2 = candidate('s2', {
      capability: Capability.SPEECH,
      inputPriceMicrosPerMTok: 5 * M,
      outputPriceMicrosPerMTok: 0,
      priceMicrosPerMChars: 15 * M,
    });
    expect(ids(rankCandidates([s1, s2]))).toEqual(['s2', 's1']);
  });

  it('ranks DEGRADED supply after every ACTIVE one whatever the sort or provider order, and drops the rest', () => {
    const degraded = candidate('d', {
      provider: 'openai',
      inputPriceMicrosPerMTok: 0,
      outputPriceMicrosPerMTok: 0,
      latencyMs: 1,
      tokensPerSecond: 999,
      contractState: ContractState.DEGRADED,
    });
    const pending = candidate('p', { contractState: ContractState.PENDING });
    const suspended = candidate('x', { contractState: ContractState.SUSPENDED });
    const input = [degraded, pending, suspended, ...all];
    expect(ids(rankCandidates(input))).toEqual(['b', 'c', 'a', 'd']);
    expect(ids(rankCandidates(input, policy({ sort: RoutingSort.LATENCY, providerOrder: ['openai'] })))).toEqual(['a', 'c', 'b', 'd']);
    expect(ids(rankCandidates(input, policy({ sort: RoutingSort.THROUGHPUT })))).toEqual(['b', 'c', 'a', 'd']);
  });

  describe('supply by seller and listing', () => {
    // Seller s1 ("acme") has listings a and c; seller s2 ("globex") has b; seller s3 has no handle and lists d.
    const sa = { ...a, sellerId: 's1', sellerHandle: 'acme' };
    const sb = { ...b, sellerId: 's2', sellerHandle: 'globex' };
    const sc = { ...c, sellerId: 's1', sellerHandle: 'acme' };
    const sd = candidate('d', {
      provider: 'groq',
      inputPriceMicrosPerMTok: 5 * M,
      outputPriceMicrosPerMTok: 5 * M,
      sellerId: 's3',
      sellerHandle: null,
    });
    const supply = [sa, sb, sc, sd]; // by price: b, c, a, d

    it('allowSupply keeps only candidates an entry names: by seller handle, seller id or listing id', () => {
      expect(ids(rankCandidates(supply))).toEqual(['b', 'c', 'a', 'd']);
      expect(ids(rankCandidates(supply, policy({ allowSupply: ['acme'] })))).toEqual(['c', 'a']);
      expect(ids(rankCandidates(supply, policy({ allowSupply: ['s2'] })))).toEqual(['b']);
      expect(ids(rankCandidates(supply, policy({ allowSupply: ['a', 's3'] })))).toEqual(['a', 'd']);
      expect(ids(rankCandidates(supply, policy({ allowSupply: ['nobody'] })))).toEqual([]);
      expect(ids(rankCandidates(supply, policy({ allowSupply: null })))).toEqual(['b', 'c', 'a', 'd']);
      expect(ids(rankCandidates(supply, policy({ allowSupply: [] })))).toEqual(['b', 'c', 'a', 'd']); // empty = no filter
      // Matching is exact: no case folding, no prefix.
      expect(ids(rankCandidates(supply, policy({ allowSupply: ['ACME', 'acm', 's'] })))).toEqual([]);
    });

    it('denySupply drops candidates an entry names, and wins over allowSupply', () => {
      expect(ids(rankCandidates(supply, policy({ denySupply: ['acme'] })))).toEqual(['b', 'd']);
      expect(ids(rankCandidates(supply, policy({ denySupply: ['c', 's2'] })))).toEqual(['a', 'd']);
      expect(ids(rankCandidates(supply, policy({ allowSupply: ['acme'], denySupply: ['a'] })))).toEqual(['c']);
    });

    it("supplyOrder puts named candidates first in the entries' order (a seller's listings by the sort), then the rest by the sort", () => {
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['s3'] })))).toEqual(['d', 'b', 'c', 'a']);
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['globex', 'acme'] })))).toEqual(['b', 'c', 'a', 'd']);
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['acme', 'globex'] })))).toEqual(['c', 'a', 'b', 'd']);
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['a', 'acme'] })))).toEqual(['a', 'c', 'b', 'd']);
      // A candidate matching several entries takes the first one's place.
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['d', 'globex', 's3'] })))).toEqual(['d', 'b', 'c', 'a']);
      // Entries naming nothing change nothing.
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['nobody'] })))).toEqual(['b', 'c', 'a', 'd']);
    });

    it('supplyOrder comes before providerOrder, and both before the sort', () => {
      // providerOrder alone: groq first (b, d), by price.
      expect(ids(rankCandidates(supply, policy({ providerOrder: ['groq'] })))).toEqual(['b', 'd', 'c', 'a']);
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['acme'], providerOrder: ['groq'] })))).toEqual(['c', 'a', 'b', 'd']);
      expect(ids(rankCandidates(supply, policy({ supplyOrder: ['a'], providerOrder: ['groq'], sort: RoutingSort.LATENCY })))).toEqual([
        'a',
        'b',
        'd',
        'c',
      ]);
    });

    it('keeps health groups first: a named DEGRADED candidate comes after every ACTIVE one', () => {
      const degraded = { ...sd, contractState: ContractState.DEGRADED };
      expect(ids(rankCandidates([sa, sb, sc, degraded], policy({ supplyOrder: ['s3', 'a'] })))).toEqual(['a', 'b', 'c', 'd']);
      expect(ids(rankCandidates([sa, sb, sc, degraded], policy({ allowSupply: ['s3'] })))).toEqual(['d']);
    });

    it('a candidate without seller fields is matched by its listing id only', () => {
      expect(ids(rankCandidates(all, policy({ allowSupply: ['b', 'openai'] })))).toEqual(['b']);
      expect(ids(rankCandidates(all, policy({ supplyOrder: ['a'] })))).toEqual(['a', 'b', 'c']);
    });
  });

  it('does not change its input', () => {
    const input = [a, b, c];
    rankCandidates(input, policy({ sort: RoutingSort.LATENCY }));
    expect(ids(input)).toEqual(['a', 'b', 'c']);
  });
});
