// Money is integer micro-units (1 USD = 1,000,000). Dollars typed by a person are turned into micros,
// and micros into text, with string and BigInt arithmetic only: a float would turn "0.29" into
// 289,999 micros, and "0.1" + "0.2" must be exactly 300,000.

// An optional sign and dollar sign, digits, at most one point; thousands commas are dropped first.
const DOLLARS = /^([+-]?)\$?\s*(\d*)(?:\.(\d*))?$/;

/**
 * "12.50" / "$12.5" / "-1" → micros as a bigint; null when the text is not a dollar amount with at
 * most 6 decimals. Only a well-formed amount is normalised: anything else goes to the API as typed,
 * so that the form shows the API's own message for it.
 */
export function parseUsdToMicros(text: string): bigint | null {
  const match = DOLLARS.exec(text.trim().replace(/,/g, ''));
  if (!match) return null;
  const [, sign, whole = '', fraction = ''] = match;
  if (whole === '' && fraction === '') return null;
  if (fraction.length > 6) return null;
  const micros = BigInt(whole || '0') * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return sign === '-' ? -micros : micros;
}

/** 12500000 → "12.5": the exact decimal string the API's USD inputs take. */
export function microsToDecimal(micros: bigint | number | string): string {
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / 1_000_000n}${fraction ? `.${fraction}` : ''}`;
}

/** 12500000 → "12.50" for an edit field: cents always, further decimals only when present. */
export function microsToInput(micros: bigint | number | string | null | undefined): string {
  if (micros === null || micros === undefined) return '';
  const [whole, fraction = ''] = microsToDecimal(micros).split('.');
  return `${whole}.${fraction.padEnd(2, '0')}`;
}

/**
 * The USD string a form field sends: null when left empty, the exact decimal when it is a dollar
 * amount, else the text as typed (the API then refuses it in its own words).
 */
export function usdField(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const micros = parseUsdToMicros(trimmed);
  return micros === null ? trimmed : microsToDecimal(micros);
}

/** Integer micro-units as dollars ("$1,234.50", "−$0.000125"), without floating-point arithmetic. */
export function formatMicros(micros: number | bigint | string | null | undefined, currency = 'USD'): string {
  if (micros === null || micros === undefined) return '—';
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 1_000_000n;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0');
  const cents = fraction.slice(0, 2);
  const rest = fraction.slice(2).replace(/0+$/, '');
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${negative ? '−' : ''}${symbol}${whole.toLocaleString('en-US')}.${cents}${rest}`;
}
