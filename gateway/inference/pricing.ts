// What a request costs, in integer micro-USD. Prices are micro-USD per million tokens (or per
// million characters for speech); products are exact in BigInt and rounded up to the micro-unit.
export interface Prices {
  inputPriceMicrosPerMTok: number;
  outputPriceMicrosPerMTok: number;
  priceMicrosPerMChars: number | null;
  cacheReadPriceMicrosPerMTok?: number | null;
}

const MILLION = 1_000_000n;

function perMillion(units: number, priceMicros: number): bigint {
  return BigInt(Math.max(0, Math.trunc(units))) * BigInt(Math.max(0, Math.trunc(priceMicros)));
}

function ceilDiv(numerator: bigint): number {
  return Number((numerator + MILLION - 1n) / MILLION);
}

/** Cached prompt tokens (part of inputTokens) cost the cache-read price when the listing declares one. */
export function tokenCost(prices: Prices, inputTokens: number, outputTokens: number, cachedInputTokens = 0): number {
  const cachePrice = prices.cacheReadPriceMicrosPerMTok;
  const cached = cachePrice == null ? 0 : Math.min(Math.max(0, cachedInputTokens), inputTokens);
  const cachedPart = cached > 0 ? perMillion(cached, Math.min(cachePrice!, prices.inputPriceMicrosPerMTok)) : 0n;
  return ceilDiv(
    perMillion(inputTokens - cached, prices.inputPriceMicrosPerMTok) +
      cachedPart +
      perMillion(outputTokens, prices.outputPriceMicrosPerMTok),
  );
}

export function characterCost(prices: Prices, characters: number): number {
  return ceilDiv(perMillion(characters, prices.priceMicrosPerMChars ?? 0));
}
