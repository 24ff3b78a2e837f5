// Which store errors are an outage (503, worth retrying) rather than a bug (500).
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../subgraphs/common/errors';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isStoreUnavailable', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED')],
    ['connection reset', withCode('ECONNRESET')],
    ['SQLSTATE class 08 (connection exception)', withCode('08006')],
    ['admin shutdown', withCode('57P01')],
    ['too many connections', withCode('53300')],
    ['statement_timeout', withCode('57014', 'canceling statement due to statement timeout')],
    [
      'pool acquire timeout',
      Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
    ],
    ['a cut connection, by message', new Error('Connection terminated unexpectedly')],
    ['wrapped as a cause', new Error('query failed', { cause: withCode('ECONNREFUSED') })],
  ])('%s: yes', (_name, error) => {
    expect(isStoreUnavailable(error)).toBe(true);
  });

  it.each([
    ['a syntax error', withCode('42601', 'syntax error at or near "selec"')],
    ['a unique violation', withCode('23505', 'duplicate key value violates unique constraint')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'ECONNREFUSED'],
  ])('%s: no', (_name, error) => {
    expect(isStoreUnavailable(error)).toBe(false);
  });
});
