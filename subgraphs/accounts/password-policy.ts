// What a new password must be: 8 to 256 characters, not one of the most common passwords (the
// zxcvbn-ts common list, case-insensitively), and not easy to guess by zxcvbn's estimate (score 2
// or more: about a million guesses), counting the email and name as known to the attacker.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { badInput } from '../common/errors';

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;
const MIN_SCORE = 2;

/** Loaded on first use: the word lists cost ~20 MiB, and only sign-ups and password changes need them. */
let estimator: Promise<{ zxcvbn: ZxcvbnFactory; common: Set<string> }> | null = null;
function loadEstimator() {
  estimator ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(
    ([{ ZxcvbnFactory }, { adjacencyGraphs, dictionary }]) => ({
      zxcvbn: new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }),
      common: new Set(dictionary['passwords-common'].map((word) => word.toLowerCase())),
    }),
  );
  return estimator;
}

/** Throws BAD_USER_INPUT (field `password`) with the reason, or returns the password. */
export async function validNewPassword(password: unknown, knownToAttacker: string[] = []): Promise<string> {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw badInput(`password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`, { field: 'password' });
  }
  const { zxcvbn, common } = await loadEstimator();
  if (common.has(password.toLowerCase())) {
    throw badInput('password is one of the most commonly used passwords; choose another', { field: 'password' });
  }
  // zxcvbn's cost grows with length; past 100 characters a password is not guessable anyway.
  if (password.length <= 100 && zxcvbn.check(password, knownToAttacker.filter(Boolean)).score < MIN_SCORE) {
    throw badInput('password is too easy to guess; use a longer one or a few uncommon words', { field: 'password' });
  }
  return password;
}
