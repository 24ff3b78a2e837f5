// The money rules' numbers, each a setting with the product's documented default
// (CONTRACT-NOTES: 1 credit = $0.01; $0.10 trial; seller 70% / platform 30%; earnings cool 10
// minutes, then 80% available and 20% held in reserve for 7 days).
import { usdToMicros } from '../common/money';

export interface BillingSettings {
  trialCreditMicros: number;
  /** Seller share of a request's price, in basis points (7000 = 70%). */
  sellerShareBps: number;
  earningsCooldownMs: number;
  /** Share of each earning held in reserve once cooled, in basis points. */
  reserveBps: number;
  reserveHoldMs: number;
  /** How often the settlement job moves cooled earnings and releases reserves. */
  settlementIntervalMs: number;
  /** Sandbox top-ups (no real money) are allowed: off by default in production. */
  sandboxTopUps: boolean;
  /** The most one top-up may credit. */
  maxTopUpMicros: number;
  /** The most an account may top up per UTC day, all its top-ups together. */
  maxTopUpPerDayMicros: number;
  /** How long after a request its buyer may dispute it. */
  disputeWindowDays: number;
  /** How long the seller has to accept or contest a dispute before the platform's rule decides. */
  disputeResponseWindowMs: number;
  /** The smallest payout a seller may request. */
  payoutMinimumMicros: number;
  /** Who pays sellers out: the sandbox (no real money moves) or nobody (payouts refused). */
  payoutProvider: 'sandbox' | 'none';
  /** How the sandbox provider answers: completes, fails, or waits for a completePayout call. */
  sandboxPayoutOutcome: 'completed' | 'failed' | 'manual';
  /** URL prefixes a brokered provider login may send the provider's code back to (OAUTH_REDIRECT_ALLOWLIST). */
  oauthRedirectAllowlist: string[];
}

function bool(env: Readonly<Record<string, string | undefined>>, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  // A typo must not silently turn free money on (or off).
  throw new Error(`${name} must be true or false`);
}

function usd(env: Readonly<Record<string, string | undefined>>, name: string, fallback: string): number {
  const value = env[name] === undefined || env[name] === '' ? fallback : (env[name] as string);
  let micros: number;
  try {
    micros = usdToMicros(value);
  } catch {
    micros = -1;
  }
  if (micros < 0) throw new Error(`${name} must be a non-negative USD amount with at most 6 decimals`);
  return micros;
}

function int(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0 || parsed > max) throw new Error(`${name} must be an integer from 0 to ${max}`);
  return parsed;
}

function choice<T extends string>(env: Readonly<Record<string, string | undefined>>, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function billingSettings(env: Readonly<Record<string, string | undefined>>): BillingSettings {
  return {
    trialCreditMicros: usdToMicros(env.TRIAL_CREDIT_USD ?? '0.10'),
    sellerShareBps: int(env, 'SELLER_SHARE_BPS', 7000, 10_000),
    earningsCooldownMs: int(env, 'EARNINGS_COOLDOWN_MS', 10 * 60_000),
    reserveBps: int(env, 'RESERVE_BPS', 2000, 10_000),
    reserveHoldMs: int(env, 'RESERVE_HOLD_MS', 7 * 24 * 3600_000),
    settlementIntervalMs: int(env, 'SETTLEMENT_INTERVAL_MS', 60_000),
    // Sandbox money is free money: a production deployment must ask for it explicitly.
    sandboxTopUps: bool(env, 'SANDBOX_TOPUPS', env.NODE_ENV !== 'production'),
    maxTopUpMicros: usd(env, 'MAX_TOPUP_USD', '10000'),
    maxTopUpPerDayMicros: usd(env, 'MAX_TOPUP_USD_PER_DAY', '1000'),
    disputeWindowDays: int(env, 'DISPUTE_WINDOW_DAYS', 30, 3650),
    disputeResponseWindowMs: int(env, 'DISPUTE_RESPONSE_WINDOW_MS', 72 * 3600_000),
    payoutMinimumMicros: usd(env, 'PAYOUT_MINIMUM_USD', '10'),
    // Like sandbox top-ups: a production deployment names its real provider (none exists yet).
    payoutProvider: choice(env, 'PAYOUT_PROVIDER', ['sandbox', 'none'], env.NODE_ENV === 'production' ? 'none' : 'sandbox'),
    sandboxPayoutOutcome: choice(env, 'PAYOUT_SANDBOX_OUTCOME', ['completed', 'failed', 'manual'], 'completed'),
    oauthRedirectAllowlist: urlList(env, 'OAUTH_REDIRECT_ALLOWLIST', [publicBaseUrl(env)]),
  };
}

/**
 * Where browsers reach the platform (PUBLIC_BASE_URL; default http://HOST:PORT). The gateway builds
 * the login callback from it and billing's default allow-list is it, so both read it here.
 */
export function publicBaseUrl(env: Readonly<Record<string, string | undefined>>): string {
  const value = env.PUBLIC_BASE_URL?.trim() || `http://${env.HOST ?? '127.0.0.1'}:${env.PORT || '4000'}`;
  if (!/^https?:\/\/[^/]+/.test(value) || !URL.canParse(value)) throw new Error('PUBLIC_BASE_URL must be an http(s) URL');
  return value.replace(/\/+$/, '');
}

function urlList(env: Readonly<Record<string, string | undefined>>, name: string, fallback: string[]): string[] {
  const entries = (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries)
    if (!/^https?:\/\/[^/]+/.test(entry) || !URL.canParse(entry))
      throw new Error(`${name} must list http(s) URL prefixes, comma-separated`);
  return entries.length > 0 ? entries : fallback;
}

/** Splits a price exactly: the seller's share rounds down, the platform keeps the remainder. */
export function splitPrice(costMicros: number, settings: Pick<BillingSettings, 'sellerShareBps' | 'reserveBps'>) {
  const sellerMicros = Math.floor((costMicros * settings.sellerShareBps) / 10_000);
  const feeMicros = costMicros - sellerMicros;
  const reserveMicros = Math.floor((sellerMicros * settings.reserveBps) / 10_000);
  return { sellerMicros, feeMicros, reserveMicros, availableMicros: sellerMicros - reserveMicros };
}
