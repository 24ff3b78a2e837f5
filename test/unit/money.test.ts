import { describe, expect, it } from 'vitest';
import { microsToUsd, microsToUsdNumber, usdToMicros } from '../../subgraphs/common/money';

describe('money in integer micro-units', () => {
  it.each([
    ['0', 0],
    ['0.000001', 1],
    ['1', 1_000_000],
    ['12.34', 12_340_000],
    ['0.1', 100_000],
    [' 3.5 ', 3_500_000],
    ['-2.000001', -2_000_001],
    [0.1, 100_000],
    [0.3, 300_000],
    [1234.567891, 1_234_567_891],
  ])('parses %j exactly', (input, micros) => {
    expect(usdToMicros(input)).toBe(micros);
  });

  it.each(['', 'abc', '1.0000001', '1e3', '1,5', '.5', NaN, Infinity, '9999999999999'])('refuses %j', (input) => {
    expect(() => usdToMicros(input as string | number)).toThrow(RangeError);
  });

  it('formats with six decimals and keeps the sign', () => {
    expect(microsToUsd(0)).toBe('0.000000');
    expect(microsToUsd(12_340_000)).toBe('12.340000');
    expect(microsToUsd(-1)).toBe('-0.000001');
    expect(microsToUsd(12_345_678, 4)).toBe('12.3456');
    expect(microsToUsd(12_345_678, 0)).toBe('12');
    expect(microsToUsdNumber(12_340_000)).toBe(12.34);
  });

  it('refuses a non-integer amount', () => {
    expect(() => microsToUsd(1.5)).toThrow(RangeError);
  });

  it('round-trips every amount it formats', () => {
    for (const micros of [1, 7, 99, 100_001, 987_654_321, 2 ** 40]) expect(usdToMicros(microsToUsd(micros))).toBe(micros);
  });
});
