// Dollar amounts as the seller types them, turned into integer micro-units by string arithmetic
// (no floating point: "0.1" + "0.2" must be exactly 300,000 micros).

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * "12.50" → 12,500,000n; null when the text is not a plain decimal or has more than 6 decimals.
 * Only a well-formed amount is normalised: anything else goes to the API as typed, so the form
 * shows the API's own message for it.
 */
export function parseUsdToMicros(text: string): bigint | null {
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const [, sign, whole = '', fraction = ''] = match;
  if (whole === '' && fraction === '') return null;
  if (fraction.length > 6) return null;
  const micros = BigInt(whole || '0') * 1_000_000n + BigInt(fraction.padEnd(6, '0') || '0');
  return sign === '-' ? -micros : micros;
}

/** 12,500,000n → "12.5": the decimal string the API's USD inputs take, exact. */
export function microsToUsdString(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = (abs / 1_000_000n).toString();
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * What a USD field sends: undefined when left empty, the exact normalised decimal when it parses,
 * else the text as typed (the API then refuses it in its own words).
 */
export function usdInput(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const micros = parseUsdToMicros(trimmed);
  return micros === null ? trimmed : microsToUsdString(micros);
}

/** A number field (type="number" gives "" for anything else): undefined when empty; out-of-range values go to the API, which refuses them in its words. */
export function intInput(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}
