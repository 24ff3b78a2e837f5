// The admit stage: the request's worst case (the whole prompt it could bill, within the metering
// tolerance, and every completion token it allows, at the dearest candidate) is reserved against
// the key's cycle limit, its group's budget and the balance. Settlement never exceeds it.
import type { Clock } from '../../subgraphs/common/runtime';
import type { BudgetGuard, Reservation } from './budget';
import { withTolerance, type MeteringRules } from './metering';
import { budgetExceeded, quotaExceeded, unavailable } from './openai-errors';
import { characterCost, tokenCost } from './pricing';
import type { InferenceRequest } from './request';
import type { Candidate } from './routing';

export function worstCaseCost(request: InferenceRequest, candidate: Candidate, rules: MeteringRules): number {
  if (request.capability === 'speech') return characterCost(candidate, request.characters);
  return tokenCost(candidate, withTolerance(request.countedPrompt, rules), request.maxCompletion ?? 0);
}

export async function admit(request: InferenceRequest, deps: { budget: BudgetGuard; clock: Clock; metering: MeteringRules }): Promise<void> {
  const worstCase = Math.max(...request.candidates.map((c) => worstCaseCost(request, c, deps.metering)));
  let result: Reservation | string;
  try {
    result = await deps.budget.reserve(request.snapshot, worstCase, deps.clock.now());
  } catch {
    throw unavailable('Budget checks are unavailable; try again shortly');
  }
  if (result === 'key_limit') throw budgetExceeded("This request could exceed the key's spend limit for its current cycle", 'key_limit_exceeded');
  if (result === 'group_budget') throw budgetExceeded("This request could exceed the key group's monthly budget", 'group_budget_exceeded');
  if (result === 'balance') throw quotaExceeded('Your balance is too low for this request; top up to continue', 'insufficient_balance');
  request.reservation = result as Reservation;
}
