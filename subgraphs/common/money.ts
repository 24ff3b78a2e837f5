// Money is integer micro-units of USD (1 USD = 1,000,000 micros). No float ever holds an amount:
// parsing and formatting work on the decimal string.
export const MICROS_PER_USD = 1_000_000;

const DECIMAL_USD = /^(-)?(\d{1,12})(?:\.(\d{1,6}))?$/;

/** "12.34" | 12.34 → 12340000. Accepts at most 6 decimals; anything else is refused, not rounded. */
export function usdToMicros(value: string | number): number {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = DECIMAL_USD.exec(text);
  if (!match) throw new RangeError(`not a USD amount with at most 6 decimals: ${String(value)}`);
  const [, sign, whole, fraction = ''] = match;
  const micros = Number(whole) * MICROS_PER_USD + Number(fraction.padEnd(6, '0'));
  return sign ? -micros : micros;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError('amount must be finite');
  // JSON numbers arrive as doubles; their shortest round-trip text is the amount the client wrote.
  return String(value).includes('e') ? value.toFixed(6) : String(value);
}

/** 12340000 → "12.340000" (fixed 6 decimals), or with `decimals` fewer, truncated toward zero. */
export function microsToUsd(micros: number, decimals = 6): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError('micros must be a safe integer');
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const fraction = String(abs % MICROS_PER_USD)
    .padStart(6, '0')
    .slice(0, decimals);
  return decimals > 0 ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

/** For JSON views that document a number (e.g. DGrid's `usageInCycle: 12.34`): exact up to 6 decimals. */
export function microsToUsdNumber(micros: number): number {
  return Number(microsToUsd(micros));
}
