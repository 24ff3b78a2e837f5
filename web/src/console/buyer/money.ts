// Dollars typed by a person ↔ the API's integer micro-units, with string arithmetic only (a float
// would turn "0.29" into 289999 micros).

const DOLLARS = /^\$?\s*(\d+)(?:\.(\d{0,6}))?$/;

/** "12.5" / "$12.50" → 12500000n; null when the text is not a dollar amount with at most 6 decimals. */
export function dollarsToMicros(text: string): bigint | null {
  const match = DOLLARS.exec(text.trim().replace(/,/g, ''));
  if (!match) return null;
  const [, whole, fraction = ''] = match;
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

/** 12500000n → "12.500000": the decimal string the API's USD inputs take. */
export function microsToDecimal(micros: bigint | number | string): string {
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  return `${negative ? '-' : ''}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`;
}

/** 12500000 → "12.50" for an edit field: cents always, further decimals only when present. */
export function microsToInput(micros: bigint | number | string | null | undefined): string {
  if (micros === null || micros === undefined) return '';
  const [whole, fraction] = microsToDecimal(micros).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}.${trimmed.padEnd(2, '0')}`;
}

/**
 * The USD string sent for a form field: empty → null, a dollar amount → its exact decimal, anything
 * else as typed, so that the API answers with its own message for it.
 */
export function usdField(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const micros = dollarsToMicros(trimmed);
  return micros === null ? trimmed : microsToDecimal(micros);
}
