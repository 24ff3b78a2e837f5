// Display of the overview's figures. The dashboard schema sends NaaP's shapes: plain numbers
// (minutes, percentages, USD and ETH as floats). They are only shown here, never summed or priced;
// the one rescaling (price per unit → per million units) shifts the decimal point in the text.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return integer.format(value);
}

export function formatNumber(value: number, maxDecimals = 2): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: maxDecimals }).format(value);
}

/** Inference minutes: two decimals, or two significant digits for the sub-second jobs of a quiet network. */
export function formatMinutes(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 }).format(value);
  return formatNumber(value, 2);
}

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${formatNumber(value, 1)}%`;
}

/** A USD float as the API sent it: cents, or two significant digits below a cent (tiny fees stay visible). */
export function formatUsd(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return `$${new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 }).format(value)}`;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(value);
}

export function formatEth(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.000001)
    return `${new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 }).format(value)} ETH`;
  return `${formatNumber(value, 6)} ETH`;
}

/**
 * The decimal text of `value × 10^places`, computed on the digits of the number's own text
 * (which may be exponent notation) so that no binary rounding creeps in.
 */
export function shiftDecimal(value: number, places: number): string {
  const [mantissa, exponent = '0'] = value.toString().toLowerCase().split('e');
  const negative = mantissa.startsWith('-');
  const [intPart, fracPart = ''] = mantissa.replace('-', '').split('.');
  let digits = intPart + fracPart;
  let point = intPart.length + Number(exponent) + places;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(point).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** USD per unit → "$1.50" per million units (at least cents, every further digit the API sent). */
export function formatPerMillion(pricePerUnit: number): string {
  const text = shiftDecimal(pricePerUnit, 6);
  const [whole, fraction = ''] = text.split('.');
  return `$${Number(whole).toLocaleString('en-US')}.${fraction.padEnd(2, '0')}`;
}

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return new Date(iso).toLocaleDateString();
}

export function formatHour(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** NaaP's timeframe values, in hours, as the control offers them. */
export const TIMEFRAMES = [
  { hours: '1', label: '1 hour' },
  { hours: '6', label: '6 hours' },
  { hours: '12', label: '12 hours' },
  { hours: '18', label: '18 hours' },
  { hours: '24', label: '24 hours' },
  { hours: '48', label: '48 hours' },
  { hours: '72', label: '72 hours' },
  { hours: '168', label: '7 days' },
] as const;
export type Timeframe = (typeof TIMEFRAMES)[number]['hours'];
export const DEFAULT_TIMEFRAME: Timeframe = '24';

export function isTimeframe(value: string | null): value is Timeframe {
  return TIMEFRAMES.some((option) => option.hours === value);
}

/** The window in words, for headings and empty states: "the last 24 hours", "the last 7 days". */
export function windowText(timeframe: Timeframe): string {
  const option = TIMEFRAMES.find((entry) => entry.hours === timeframe)!;
  return timeframe === '1' ? 'the last hour' : `the last ${option.label}`;
}

/** The orchestrators' period for a timeframe, as the document derives it: `${hours}h`. */
export function periodOf(timeframe: Timeframe): string {
  return `${timeframe}h`;
}
