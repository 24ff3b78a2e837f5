// Process configuration, read from the environment only (DESIGN: "Configuration by environment
// variables only"). Embedded and scaled modes share this: the URLs pick the backends.
import { mkdirSync, readFileSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseReceiptKeyVersion } from './receipt-keys';

export const SUBGRAPH_NAMES = ['accounts', 'market', 'billing', 'network'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `postgres://…` selects PostgreSQL (one schema per subgraph); unset selects SQLite files in dataDir. */
  databaseUrl?: string;
  /** `redis://…` selects the Redis bus; unset selects the in-memory bus. */
  busUrl?: string;
  /** Prefix of every bus channel, so that several deployments (or test runs) can share one Redis. */
  busNamespace: string;
  platformSecret: string;
  /** RECEIPT_KEY_VERSION: the version of the key new receipts are signed with (1..100; the JWKS publishes 1..this). */
  receiptKeyVersion: number;
  /** Subgraph URLs for a gateway that does not host the subgraphs itself. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  jwtTtlSeconds: number;
  /** scrypt cost parameter N (a power of two). */
  scryptCost: number;
  /** Live management keys an account may hold. */
  maxManagementKeys: number;
  /** Requests a minute per credential on management routes. */
  managementRateLimitPerMinute: number;
  /** Base URL (ending in /v1) of the simulated upstream provider; embedded mode starts one. */
  simulatorUrl?: string;
  /**
   * OUTBOUND_ALLOW_PRIVATE: whether calls to sellers' providers may reach loopback, private,
   * link-local… addresses. Undefined when unset: off, except for the embedded product running its
   * own simulator outside production (see allowPrivateFor).
   */
  outboundAllowPrivate?: boolean;
  /** How often market re-checks every admitted contract; 0 turns scheduled checks off. */
  contractCheckIntervalMs: number;
  /** How long the data plane skips a listing after a failed call to it. */
  listingCooldownMs: number;
  /** Data plane metering and answer timeouts. */
  dataPlane: DataPlaneSettings;
  /** What one account may hold (checked where each object is created; GraphQL's cost estimate uses them too). */
  accountLimits: AccountLimits;
  /**
   * TRUST_PROXY, for fastify's `trustProxy`: off (false) by default, a hop count, or addresses/CIDRs
   * of the reverse proxies whose `x-forwarded-for` names the client.
   */
  trustProxy: boolean | number | string[];
  nodeEnv: string;
  /** The environment this config was read from: subgraph-local settings (billing, market) read it too. */
  env: Readonly<Record<string, string | undefined>>;
}

export interface DataPlaneSettings {
  /** How far an upstream's reported token count may exceed the gateway's count (basis points). */
  meteringToleranceBps: number;
  /** Absolute token slack on top of the tolerance. */
  meteringSlackTokens: number;
  /** max_tokens sent upstream when a chat request sets none (the reservation covers it). */
  defaultMaxOutputTokens: number;
  /** After the first byte: the longest gap between chunks, and the longest whole answer. */
  streamIdleTimeoutMs: number;
  streamTotalTimeoutMs: number;
  /** Inference requests in flight at once on this process; past it new ones get a 503 at once. */
  maxInFlight: number;
  /** Of those, the most one account may hold (a flood answers its own account 429). */
  maxInFlightPerAccount: number;
  /** Mean event-loop delay (ms, sampled each second) past which new inference requests get a 503 (0: off). */
  shedEventLoopDelayMs: number;
}

export interface AccountLimits {
  apiKeys: number;
  listings: number;
  poolKeys: number;
  routingProfiles: number;
  keyGroups: number;
  projects: number;
}

export const DEFAULT_ACCOUNT_LIMITS: Readonly<AccountLimits> = {
  apiKeys: 1000,
  listings: 200,
  poolKeys: 100,
  routingProfiles: 100,
  keyGroups: 100,
  projects: 100,
};

/** MAX_API_KEYS_PER_ACCOUNT, MAX_LISTINGS_PER_ACCOUNT, MAX_POOL_KEYS_PER_ACCOUNT, MAX_ROUTING_PROFILES_PER_ACCOUNT, MAX_KEY_GROUPS_PER_ACCOUNT, MAX_PROJECTS_PER_ACCOUNT. */
export function accountLimitsFromEnv(env: Readonly<Record<string, string | undefined>>): AccountLimits {
  const d = DEFAULT_ACCOUNT_LIMITS;
  const read = (name: string, fallback: number) => Math.max(1, intFrom(env[name], fallback, name));
  return {
    apiKeys: read('MAX_API_KEYS_PER_ACCOUNT', d.apiKeys),
    listings: read('MAX_LISTINGS_PER_ACCOUNT', d.listings),
    poolKeys: read('MAX_POOL_KEYS_PER_ACCOUNT', d.poolKeys),
    routingProfiles: read('MAX_ROUTING_PROFILES_PER_ACCOUNT', d.routingProfiles),
    keyGroups: read('MAX_KEY_GROUPS_PER_ACCOUNT', d.keyGroups),
    projects: read('MAX_PROJECTS_PER_ACCOUNT', d.projects),
  };
}

/** TRUST_PROXY: unset/false/off → false; true → every hop; a number → that many hops; else comma-separated addresses or CIDRs. */
export function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  const text = value?.trim() ?? '';
  if (text === '' || ['0', 'false', 'off', 'no'].includes(text.toLowerCase())) return false;
  if (['true', 'on', 'yes'].includes(text.toLowerCase())) return true;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry))
      throw new Error(`TRUST_PROXY must be off, a hop count, or comma-separated addresses/CIDRs (got "${entry}")`);
  }
  return entries;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer`);
  return parsed;
}

/** OUTBOUND_ALLOW_PRIVATE as given: true, false, or undefined when unset. Throws on anything else. */
export function parseAllowPrivate(value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new Error('OUTBOUND_ALLOW_PRIVATE must be true or false');
}

/** The platform secret: PLATFORM_SECRET, or one generated once and kept (mode 0600) in the data dir. */
export function loadPlatformSecret(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.PLATFORM_SECRET) {
    if (env.PLATFORM_SECRET.length < 32) throw new Error('PLATFORM_SECRET must be at least 32 characters');
    return env.PLATFORM_SECRET;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'platform-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// URL (leave it unset for embedded SQLite)');
  }
  const busUrl = env.BUS_URL || undefined;
  if (busUrl && !/^rediss?:\/\//.test(busUrl)) throw new Error('BUS_URL must be a redis:// URL (leave it unset for the in-memory bus)');
  const subgraphUrls: Partial<Record<SubgraphName, string>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const url = env[`${name.toUpperCase()}_URL`];
    if (url) subgraphUrls[name] = url;
  }
  return {
    host: env.HOST ?? '127.0.0.1',
    port: intFrom(env.PORT, 4000, 'PORT'),
    dataDir,
    databaseUrl,
    busUrl,
    busNamespace: env.BUS_NAMESPACE ?? 'df',
    platformSecret: loadPlatformSecret(env, dataDir),
    receiptKeyVersion: parseReceiptKeyVersion(env.RECEIPT_KEY_VERSION),
    subgraphUrls,
    jwtTtlSeconds: intFrom(env.JWT_TTL_SECONDS, 7 * 24 * 3600, 'JWT_TTL_SECONDS'),
    scryptCost: intFrom(env.SCRYPT_COST, 1 << 15, 'SCRYPT_COST'),
    maxManagementKeys: intFrom(env.MAX_MANAGEMENT_KEYS, 10, 'MAX_MANAGEMENT_KEYS'),
    managementRateLimitPerMinute: intFrom(env.MANAGEMENT_RATE_LIMIT_PER_MINUTE, 600, 'MANAGEMENT_RATE_LIMIT_PER_MINUTE'),
    simulatorUrl: env.SIMULATOR_URL || undefined,
    outboundAllowPrivate: parseAllowPrivate(env.OUTBOUND_ALLOW_PRIVATE),
    contractCheckIntervalMs: intFrom(env.CONTRACT_CHECK_INTERVAL_MS, 5 * 60_000, 'CONTRACT_CHECK_INTERVAL_MS'),
    listingCooldownMs: intFrom(env.LISTING_COOLDOWN_MS, 30_000, 'LISTING_COOLDOWN_MS'),
    dataPlane: {
      meteringToleranceBps: intFrom(env.METERING_TOLERANCE_BPS, 2_500, 'METERING_TOLERANCE_BPS'),
      meteringSlackTokens: intFrom(env.METERING_SLACK_TOKENS, 16, 'METERING_SLACK_TOKENS'),
      defaultMaxOutputTokens: Math.max(1, intFrom(env.DEFAULT_MAX_OUTPUT_TOKENS, 4096, 'DEFAULT_MAX_OUTPUT_TOKENS')),
      streamIdleTimeoutMs: intFrom(env.STREAM_IDLE_TIMEOUT_MS, 60_000, 'STREAM_IDLE_TIMEOUT_MS'),
      streamTotalTimeoutMs: intFrom(env.STREAM_TOTAL_TIMEOUT_MS, 15 * 60_000, 'STREAM_TOTAL_TIMEOUT_MS'),
      maxInFlight: Math.max(1, intFrom(env.DATA_PLANE_MAX_IN_FLIGHT, 4096, 'DATA_PLANE_MAX_IN_FLIGHT')),
      // A quarter of the slots unless set: one account's flood leaves three quarters to the others.
      maxInFlightPerAccount: Math.max(
        1,
        intFrom(
          env.DATA_PLANE_MAX_IN_FLIGHT_PER_ACCOUNT,
          Math.max(1, Math.floor(intFrom(env.DATA_PLANE_MAX_IN_FLIGHT, 4096, 'DATA_PLANE_MAX_IN_FLIGHT') / 4)),
          'DATA_PLANE_MAX_IN_FLIGHT_PER_ACCOUNT',
        ),
      ),
      shedEventLoopDelayMs: intFrom(env.DATA_PLANE_SHED_EVENT_LOOP_DELAY_MS, 250, 'DATA_PLANE_SHED_EVENT_LOOP_DELAY_MS'),
    },
    accountLimits: accountLimitsFromEnv(env),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    nodeEnv: env.NODE_ENV ?? 'development',
    env: { ...env },
  };
}
