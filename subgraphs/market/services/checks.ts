// Recording a check: the one place a contract changes state because of a probe or a live report.
// Read-modify-write under an optimistic lock (Contract.version), retried on conflict, and
// serialized per contract within this process so that concurrent checks rarely conflict at all.
import { OptimisticLockError, type EntityManager } from '@mikro-orm/core';
import { Contract, ContractState } from '../entities/Contract';
import { CheckKind, ContractCheck } from '../entities/ContractCheck';
import { Listing, ListingStatus } from '../entities/Listing';
import { transition } from './contract-state';
import type { MarketCoreDeps } from './deps';

export interface CheckInput {
  kind: CheckKind;
  passed: boolean;
  reason: string | null;
  latencyMs?: number | null;
  ttftMs?: number | null;
  tokensPerSecond?: number | null;
  probeRunId?: string | null;
}

export interface RecordedCheck {
  contract: Contract;
  /** null when a live success changed nothing (not stored: a healthy data plane would write a row per request). */
  check: ContractCheck | null;
}

/** A listing's status follows its contract unless the seller paused or deleted it. */
export function listingStatusFor(listing: Pick<Listing, 'deletedAt' | 'paused'>, state: ContractState | null): ListingStatus {
  if (listing.deletedAt) return ListingStatus.DELETED;
  if (listing.paused) return ListingStatus.PAUSED;
  if (state === ContractState.ACTIVE || state === ContractState.DEGRADED) return ListingStatus.ACTIVE;
  if (state === ContractState.SUSPENDED) return ListingStatus.SUSPENDED;
  return ListingStatus.PENDING;
}

const MAX_ATTEMPTS = 5;
const queues = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier call for the same key has settled (in this process). */
export function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const tail = next.catch(() => {});
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return next;
}

export function recordCheck(deps: MarketCoreDeps, contractId: string, input: CheckInput): Promise<RecordedCheck> {
  return serialized(`contract:${contractId}`, async () => {
    for (let attempt = 1; ; attempt++) {
      const em = deps.fork();
      try {
        const result = await applyCheck(em, deps, contractId, input);
        if (result.check && result.contract.state !== result.check.stateBefore) {
          await deps.bus.publish('contract.changed', {
            contractId,
            listingId: result.contract.listingId,
            model: result.contract.model,
            state: result.contract.state,
          });
        }
        return result;
      } catch (error) {
        if (error instanceof OptimisticLockError && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
    }
  });
}

async function applyCheck(em: EntityManager, deps: MarketCoreDeps, contractId: string, input: CheckInput): Promise<RecordedCheck> {
  const contract = await em.findOneOrFail(Contract, { id: contractId });
  const before = {
    state: contract.state,
    consecutiveFailures: contract.consecutiveFailures,
    liveFailureStreak: contract.liveFailureStreak,
  };
  const after = transition(before, input, deps.settings);
  const unchanged =
    after.state === before.state &&
    after.consecutiveFailures === before.consecutiveFailures &&
    after.liveFailureStreak === before.liveFailureStreak;
  if (input.kind === CheckKind.LIVE && input.passed && unchanged) return { contract, check: null };

  const now = deps.clock.now();
  contract.state = after.state;
  contract.consecutiveFailures = after.consecutiveFailures;
  contract.liveFailureStreak = after.liveFailureStreak;
  contract.updatedAt = now;
  // Live traffic never reaches PENDING or SUSPENDED supply: only probes speak for those.
  const speaks = input.kind !== CheckKind.LIVE || (before.state !== ContractState.PENDING && before.state !== ContractState.SUSPENDED);
  if (speaks) {
    contract.lastCheckAt = now;
    contract.lastCheckPassed = input.passed;
    contract.lastReason = input.passed ? null : (input.reason ?? 'failed').slice(0, 500);
  }
  if (input.passed && input.kind !== CheckKind.LIVE) {
    contract.latencyMs = input.latencyMs ?? null;
    contract.ttftMs = input.ttftMs ?? null;
    contract.tokensPerSecond = input.tokensPerSecond ?? null;
  }
  if (after.state === ContractState.ACTIVE && !contract.admittedAt) contract.admittedAt = now;
  if (after.state === ContractState.SUSPENDED && before.state !== ContractState.SUSPENDED) contract.suspendedAt = now;

  if (after.state !== before.state) {
    const listing = await em.findOne(Listing, { id: contract.listingId });
    if (listing) listing.status = listingStatusFor(listing, after.state);
  }
  const check = em.create(ContractCheck, {
    id: deps.ids.newId(),
    contractId,
    listingId: contract.listingId,
    kind: input.kind,
    passed: input.passed,
    reason: input.passed ? null : (input.reason ?? 'failed').slice(0, 500),
    latencyMs: input.latencyMs ?? null,
    ttftMs: input.ttftMs ?? null,
    tokensPerSecond: input.tokensPerSecond ?? null,
    stateBefore: before.state,
    stateAfter: after.state,
    probeRunId: input.probeRunId ?? null,
    checkedAt: now,
  });
  await em.flush();
  return { contract, check };
}
