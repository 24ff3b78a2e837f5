// What a new password must be: 8 to 256 characters, not one of the most common passwords (the
// zxcvbn-ts common list, case-insensitively), and not easy to guess by zxcvbn's estimate (score 2
// or more: about a million guesses), counting the email and name as known to the attacker.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { badInput } from '../common/errors';

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;
const MIN_SCORE = 2;

let estimator: { zxcvbn: ZxcvbnFactory; common: Set<string> } | null = null;
function loadEstimator() {
  estimator ??= {
    zxcvbn: new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }),
    common: new Set(dictionary['passwords-common'].map((word) => word.toLowerCase())),
  };
  return estimator;
}

/** Throws BAD_USER_INPUT (field `password`) with the reason, or returns the password. */
export function validNewPassword(password: unknown, knownToAttacker: string[] = []): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw badInput(`password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`, { field: 'password' });
  }
  const { zxcvbn, common } = loadEstimator();
  if (common.has(password.toLowerCase())) {
    throw badInput('password is one of the most commonly used passwords; choose another', { field: 'password' });
  }
  // zxcvbn's cost grows with length; past 100 characters a password is not guessable anyway.
  if (password.length <= 100 && zxcvbn.check(password, knownToAttacker.filter(Boolean)).score < MIN_SCORE) {
    throw badInput('password is too easy to guess; use a longer one or a few uncommon words', { field: 'password' });
  }
  return password;
}
