// Market settings beyond the shared Config, read once from the environment by the market server.
// Each has a documented default; tests set the environment variable before starting a stack.

export interface MarketSettings {
  /** A price increase above this (percent of the live price) waits for confirmListingPrice. */
  priceReviewThresholdPercent: number;
  /** Consecutive failed checks that suspend a contract (the first one already degrades it). */
  suspendAfterFailures: number;
  /**
   * LIVE failure reports in a row from which each one counts as a failed check (5, as Envoy's outlier
   * detection ejects a host after 5 consecutive 5xx: fewer would degrade supply on ordinary noise).
   */
  liveFailureBurst: number;
  /** Timeout of the one validation call made when a pool key is created. */
  keyValidationTimeoutMs: number;
  /** A probe that has not finished by then fails. */
  probeTimeoutMs: number;
  /** A chat probe whose first content chunk takes longer fails ("too slow"). */
  probeMaxTtftMs: number;
  /** A chat probe's answer must come in at least this many content chunks… */
  probeMinContentChunks: number;
  /** …spread over at least this many ms between the first and the last (else it was buffered, not streamed). */
  probeMinStreamSpreadMs: number;
  /** max_tokens of a chat probe: enough chunks to judge streaming, cheap for the seller. */
  probeMaxTokens: number;
  /** Scheduled checks run at most this many probes at once. */
  checkConcurrency: number;
  /** A scheduled check also re-verifies a listing's claims when its verification is older than this (0: never). */
  reverifyAfterMs: number;
  /** Live evidence against a listing's claims re-verifies it at most once per this long. */
  evidenceReverifyIntervalMs: number;
}

export const DEFAULT_MARKET_SETTINGS: Readonly<MarketSettings> = {
  priceReviewThresholdPercent: 20,
  suspendAfterFailures: 3,
  liveFailureBurst: 5,
  keyValidationTimeoutMs: 5_000,
  probeTimeoutMs: 30_000,
  probeMaxTtftMs: 10_000,
  probeMinContentChunks: 3,
  probeMinStreamSpreadMs: 10,
  probeMaxTokens: 16,
  checkConcurrency: 4,
  reverifyAfterMs: 24 * 3600_000,
  evidenceReverifyIntervalMs: 60_000,
};

const ENV_NAMES: Record<keyof MarketSettings, string> = {
  priceReviewThresholdPercent: 'PRICE_REVIEW_THRESHOLD_PERCENT',
  suspendAfterFailures: 'CONTRACT_SUSPEND_AFTER_FAILURES',
  liveFailureBurst: 'CONTRACT_LIVE_FAILURE_BURST',
  keyValidationTimeoutMs: 'POOL_KEY_VALIDATION_TIMEOUT_MS',
  probeTimeoutMs: 'PROBE_TIMEOUT_MS',
  probeMaxTtftMs: 'PROBE_MAX_TTFT_MS',
  probeMinContentChunks: 'PROBE_MIN_CONTENT_CHUNKS',
  probeMinStreamSpreadMs: 'PROBE_MIN_STREAM_SPREAD_MS',
  probeMaxTokens: 'PROBE_MAX_TOKENS',
  checkConcurrency: 'CONTRACT_CHECK_CONCURRENCY',
  reverifyAfterMs: 'VERIFICATION_INTERVAL_MS',
  evidenceReverifyIntervalMs: 'VERIFICATION_EVIDENCE_INTERVAL_MS',
};

/** Settings from environment variables (see ENV_NAMES), each a non-negative integer; the rest default. */
export function marketSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MarketSettings {
  const settings = { ...DEFAULT_MARKET_SETTINGS };
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof MarketSettings, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
    settings[key] = value;
  }
  settings.suspendAfterFailures = Math.max(1, settings.suspendAfterFailures);
  settings.liveFailureBurst = Math.max(1, settings.liveFailureBurst);
  settings.probeMaxTokens = Math.max(1, settings.probeMaxTokens);
  settings.checkConcurrency = Math.max(1, settings.checkConcurrency);
  return settings;
}
