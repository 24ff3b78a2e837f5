// GET /v1/key: what a buyer key may know about itself, in OpenRouter's field names where they
// exist (label, limit, limit_remaining, limit_reset, usage, rate_limit), exact micro-USD beside
// each figure.
import { cycleEnd } from '../../subgraphs/common/cycles';
import type { KeySnapshot, RateLimits } from './key-snapshots';

const usd = (micros: number) => micros / 1_000_000;
const NO_LIMITS: RateLimits = { rpm: null, tpm: null, maxParallel: null };

function limitsView(limits: RateLimits) {
  return { requests_per_minute: limits.rpm, tokens_per_minute: limits.tpm, max_parallel_requests: limits.maxParallel };
}

/** OpenRouter's `rate_limit` ({requests, interval}): the tighter of the key's and its group's requests per minute. */
function openRouterRateLimit(key: RateLimits, group: RateLimits | null): { requests: number; interval: string } | null {
  const rpms = [key.rpm, group?.rpm ?? null].filter((n): n is number => n !== null);
  return rpms.length ? { requests: Math.min(...rpms), interval: '1m' } : null;
}

export function keyView(snapshot: KeySnapshot, now: Date) {
  const remaining = snapshot.limitMicros === null ? null : Math.max(0, snapshot.limitMicros - snapshot.spentMicros);
  const total = snapshot.totalSpentMicros ?? snapshot.spentMicros;
  return {
    label: snapshot.name ?? null,
    limit: snapshot.limitMicros === null ? null : usd(snapshot.limitMicros),
    limit_micros: snapshot.limitMicros,
    limit_remaining: remaining === null ? null : usd(remaining),
    limit_remaining_micros: remaining,
    /** daily | weekly | monthly, or null: the limit is for the key's whole life. */
    limit_reset: snapshot.cycle,
    limit_resets_at: snapshot.cycle ? cycleEnd(snapshot.cycle, now).toISOString() : null,
    /** Everything the key has spent; usage_in_cycle is what counts against the limit now. */
    usage: usd(total),
    usage_micros: total,
    usage_in_cycle: usd(snapshot.spentMicros),
    usage_in_cycle_micros: snapshot.spentMicros,
    balance: usd(Math.max(0, snapshot.balanceMicros)),
    balance_micros: Math.max(0, snapshot.balanceMicros),
    expires_at: snapshot.expiredAt === null ? null : new Date(snapshot.expiredAt).toISOString(),
    rate_limit: openRouterRateLimit(snapshot.rateLimits ?? NO_LIMITS, snapshot.groupRateLimits ?? null),
    /** Every limit that applies, the key's own and its group's (shared by the group's keys); null = unlimited. */
    rate_limits: {
      key: limitsView(snapshot.rateLimits ?? NO_LIMITS),
      group: snapshot.groupRateLimits ? limitsView(snapshot.groupRateLimits) : null,
    },
    is_management_key: false,
    is_provisioning_key: false,
  };
}
