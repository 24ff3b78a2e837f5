// The contract state machine, pure. A check (probe verdict or live report) moves a contract:
//   PENDING   --pass (admission)-->  ACTIVE          PENDING --fail--> PENDING
//   ACTIVE    --fail-->  DEGRADED (or SUSPENDED when suspendAfter is 1)
//   DEGRADED  --pass-->  ACTIVE    DEGRADED --fail, suspendAfter failures in a row--> SUSPENDED
//   SUSPENDED stays SUSPENDED whatever a check says; only unsuspend() (after a passing check) leaves it.
// LIVE reports: a failure counts only once the streak of live failures reaches the burst size (one
// failed request is noise; a burst is an outage), and each further one in the streak counts too; a live success resets the streak and heals DEGRADED.
// A PENDING contract is admitted by probes only: live traffic never reaches it.
import { CheckKind } from '../entities/ContractCheck';
import { ContractState } from '../entities/Contract';

export interface ContractCounters {
  state: ContractState;
  consecutiveFailures: number;
  liveFailureStreak: number;
}

export interface TransitionRules {
  suspendAfterFailures: number;
  liveFailureBurst: number;
}

export function transition(
  current: ContractCounters,
  check: { kind: CheckKind; passed: boolean },
  rules: TransitionRules,
): ContractCounters {
  if (check.kind === CheckKind.LIVE) return liveTransition(current, check.passed, rules);
  return checkTransition(current, check.passed, rules);
}

function checkTransition(current: ContractCounters, passed: boolean, rules: TransitionRules): ContractCounters {
  const { state } = current;
  if (passed) {
    if (state === ContractState.SUSPENDED) return { ...current, consecutiveFailures: 0 };
    return { state: ContractState.ACTIVE, consecutiveFailures: 0, liveFailureStreak: 0 };
  }
  const failures = current.consecutiveFailures + 1;
  switch (state) {
    case ContractState.PENDING:
    case ContractState.SUSPENDED:
      return { ...current, consecutiveFailures: failures };
    case ContractState.ACTIVE:
    case ContractState.DEGRADED:
      return {
        ...current,
        state: failures >= rules.suspendAfterFailures ? ContractState.SUSPENDED : ContractState.DEGRADED,
        consecutiveFailures: failures,
      };
  }
}

function liveTransition(current: ContractCounters, passed: boolean, rules: TransitionRules): ContractCounters {
  if (current.state === ContractState.PENDING || current.state === ContractState.SUSPENDED) {
    return { ...current, liveFailureStreak: passed ? 0 : current.liveFailureStreak + 1 };
  }
  if (passed) {
    return current.state === ContractState.DEGRADED
      ? { state: ContractState.ACTIVE, consecutiveFailures: 0, liveFailureStreak: 0 }
      : { ...current, liveFailureStreak: 0 };
  }
  const streak = current.liveFailureStreak + 1;
  if (streak < rules.liveFailureBurst) return { ...current, liveFailureStreak: streak };
  return { ...checkTransition(current, false, rules), liveFailureStreak: streak };
}

/** Whether unsuspending is allowed: suspended, and the latest check since the suspension passed. */
export function unsuspendBlocker(contract: {
  state: ContractState;
  suspendedAt?: Date | null;
  lastCheckAt?: Date | null;
  lastCheckPassed?: boolean | null;
}): string | null {
  if (contract.state !== ContractState.SUSPENDED) return `the contract is ${contract.state}, not suspended`;
  const checkedSince =
    contract.lastCheckAt != null &&
    contract.suspendedAt != null &&
    new Date(contract.lastCheckAt).getTime() >= new Date(contract.suspendedAt).getTime();
  if (!checkedSince || contract.lastCheckPassed !== true) {
    return 'the latest check since the suspension has not passed: run reverifyContract, and unsuspend once it passes';
  }
  return null;
}
