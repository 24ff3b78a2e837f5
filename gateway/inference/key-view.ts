// GET /v1/key: what a buyer key may know about itself, in OpenRouter's field names where they
// exist (label, limit, limit_remaining, limit_reset, usage), exact micro-USD beside each figure.
import { cycleEnd } from '../../subgraphs/common/cycles';
import type { KeySnapshot } from './key-snapshots';

const usd = (micros: number) => micros / 1_000_000;

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
    is_management_key: false,
    is_provisioning_key: false,
  };
}
