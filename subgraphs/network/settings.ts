// Network settings, read from the environment through deps.config.env (DESIGN: configuration by
// environment variables only).
export interface NetworkSettings {
  /** USD per ETH: fees are shown in USD and in ETH at this rate. */
  ethUsdRate: number;
  /** Jobs (the live feed) are deleted after this many days. */
  jobRetentionDays: number;
  /** Hourly rollups are kept this long (fees read up to 365 days back plus a week). */
  rollupRetentionDays: number;
  /** How often retention runs. */
  retentionIntervalMs: number;
  /** Length of a protocol round (a settlement period) in minutes. */
  roundMinutes: number;
}

function positiveNumber(value: string | undefined, fallback: number, name: string, integer: boolean): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (integer && !Number.isSafeInteger(parsed)))
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return parsed;
}

export function networkSettings(env: Readonly<Record<string, string | undefined>>): NetworkSettings {
  return {
    ethUsdRate: positiveNumber(env.ETH_USD_RATE, 3000, 'ETH_USD_RATE', false),
    jobRetentionDays: positiveNumber(env.JOB_RETENTION_DAYS, 30, 'JOB_RETENTION_DAYS', true),
    rollupRetentionDays: positiveNumber(env.ROLLUP_RETENTION_DAYS, 400, 'ROLLUP_RETENTION_DAYS', true),
    retentionIntervalMs: positiveNumber(env.NETWORK_RETENTION_INTERVAL_MS, 3_600_000, 'NETWORK_RETENTION_INTERVAL_MS', true),
    roundMinutes: positiveNumber(env.NETWORK_ROUND_MINUTES, 1440, 'NETWORK_ROUND_MINUTES', true),
  };
}
