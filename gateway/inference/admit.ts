// The admit stage: the request's worst case (the whole prompt it could bill, within the metering
// tolerance, and every completion token it allows, at the dearest candidate) is reserved against
// the key's cycle limit, its group's budget and the balance, and in the same atomic step the key's
// and its group's rate limits are taken (a request, its worst-case tokens, a slot in flight).
// Settlement never exceeds it. Money refusals are 402, rate refusals 429 with retry-after.
import type { Clock } from '../../subgraphs/common/runtime';
import type { BudgetGuard, Reservation } from './budget';
import { withTolerance, type MeteringRules } from './metering';
import { badRequest, budgetExceeded, quotaExceeded, rateLimited, unavailable } from './openai-errors';
import { isRateRefusal, keyRateSpecs, type RateRefusal } from './rate-limits';
import { characterCost, tokenCost } from './pricing';
import type { InferenceRequest } from './request';
import type { Candidate } from './routing';

export function worstCaseCost(request: InferenceRequest, candidate: Candidate, rules: MeteringRules): number {
  if (request.capability === 'speech') return characterCost(candidate, request.characters);
  return tokenCost(candidate, withTolerance(request.countedPrompt, rules), request.maxCompletion ?? 0);
}

/** Tokens the request can bill at most: what tokens-per-minute limits hold for it. Speech is billed by character. */
export function worstCaseTokens(request: InferenceRequest, rules: MeteringRules): number {
  if (request.capability === 'speech') return 0;
  return withTolerance(request.countedPrompt, rules) + (request.maxCompletion ?? 0);
}

const LIMIT_WORDS: Record<RateRefusal['limit'], string> = {
  rpm: 'requests per minute',
  tpm: 'tokens per minute',
  parallel: 'requests in flight',
  daily_tokens: 'tokens per day',
};

/** Which limit refused, in words and in `error.metadata` (so a client can tell its key's limit from its group's). */
export function rateLimitError(refusal: RateRefusal, owner: string) {
  return rateLimited(
    `Rate limit reached for ${owner}: ${refusal.value} ${LIMIT_WORDS[refusal.limit]}; retry after ${refusal.retryAfterSeconds} s`,
    refusal.retryAfterSeconds,
    {
      limit_scope: refusal.scope,
      limit: refusal.limit,
      limit_value: refusal.value,
    },
  );
}

export async function admit(
  request: InferenceRequest,
  deps: { budget: BudgetGuard; clock: Clock; metering: MeteringRules },
): Promise<void> {
  const worstCase = Math.max(...request.candidates.map((c) => worstCaseCost(request, c, deps.metering)));
  const now = deps.clock.now();
  request.reservedTokens = worstCaseTokens(request, deps.metering);
  // A request larger than a whole minute's tokens would be refused forever: say so (400, not retried).
  for (const [scope, limits] of [
    ['key', request.snapshot.rateLimits],
    ['key group', request.snapshot.groupId ? request.snapshot.groupRateLimits : null],
  ] as const) {
    if (limits?.tpm && request.reservedTokens > limits.tpm) {
      throw badRequest(
        `This request can bill up to ${request.reservedTokens} tokens, more than the ${scope}'s limit of ${limits.tpm} tokens per minute; lower max_tokens or shorten the prompt`,
        'max_tokens',
        'tokens_per_minute_exceeded',
      );
    }
  }
  let result: Reservation | string | RateRefusal;
  try {
    result = await deps.budget.reserve(request.snapshot, worstCase, now, keyRateSpecs(request.snapshot, request.reservedTokens, now));
  } catch {
    throw unavailable('Budget checks are unavailable; try again shortly');
  }
  if (isRateRefusal(result)) throw rateLimitError(result, result.scope === 'group' ? "this key's group" : 'this key');
  if (result === 'key_limit')
    throw budgetExceeded("This request could exceed the key's spend limit for its current cycle", 'key_limit_exceeded');
  if (result === 'group_budget') throw budgetExceeded("This request could exceed the key group's monthly budget", 'group_budget_exceeded');
  if (result === 'balance') throw quotaExceeded('Your balance is too low for this request; top up to continue', 'insufficient_balance');
  request.reservation = result as Reservation;
}
