// One assertion per REST surface that an answer is that surface's error envelope, with the
// status and code expected, and nothing leaked (no stack trace, no extra members).
import { expect } from 'vitest';

export type Surface = 'dragonfly' | 'naap' | 'dgrid';

interface Answer {
  status: number;
  body: any;
}

const STACK_TRACE = /\bat .+\.(ts|js):\d+/;

/**
 * dragonfly: `{ error: { code, message, details? } }` (details.field when `field` is given);
 * naap: `{ success: false, error: { code, message, details? } }`; dgrid: `{ code, message, data: null }`
 * with the numeric code.
 */
export function expectError(surface: Surface, answer: Answer, status: number, code: string | number, field?: string): void {
  const shown = JSON.stringify(answer.body);
  expect(shown ?? '', 'never a stack trace').not.toMatch(STACK_TRACE);
  if (surface === 'dgrid') {
    expect({ status: answer.status, body: answer.body }).toEqual({ status, body: { code, message: expect.any(String), data: null } });
    return;
  }
  const error = answer.body?.error;
  expect({ status: answer.status, code: error?.code }, shown).toEqual({ status, code });
  expect(Object.keys(answer.body), shown).toEqual(surface === 'naap' ? ['success', 'error'] : ['error']);
  if (surface === 'naap') expect(answer.body.success).toBe(false);
  expect(typeof error.message).toBe('string');
  expect(
    Object.keys(error).every((name) => ['code', 'message', 'details'].includes(name)),
    shown,
  ).toBe(true);
  if (field) expect(error.details?.field, shown).toBe(field);
}
