// Input rules for accounts' objects, shared by create and update.
import { badInput } from '../../common/errors';
import { usdToMicros } from '../../common/money';
import { formatCidr, parseCidr } from '../../common/cidr';

export const MAX_NAME = 100;
const MAX_LIST = 100;
/** $1,000,000,000: a ceiling that catches a misplaced decimal point. */
const MAX_USD_MICROS = 1_000_000_000 * 1_000_000;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,199}$/;

export function validName(value: unknown, field = 'name'): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME) throw badInput(`${field} must be 1 to ${MAX_NAME} characters`, { field });
  return name;
}

export function validUsd(value: string, field: string): number {
  let micros: number;
  try {
    micros = usdToMicros(value);
  } catch {
    throw badInput(`${field} must be a USD amount with at most 6 decimals`, { field });
  }
  if (micros < 0) throw badInput(`${field} must not be negative`, { field });
  if (micros > MAX_USD_MICROS) throw badInput(`${field} is too large`, { field });
  return micros;
}

export function validFutureDate(value: Date, now: Date, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw badInput(`${field} must be an ISO 8601 UTC timestamp`, { field });
  if (value.getTime() <= now.getTime()) throw badInput(`${field} must be in the future`, { field });
  return value;
}

export function validCidrs(values: readonly string[], field: string): string[] {
  if (values.length > MAX_LIST) throw badInput(`${field} takes at most ${MAX_LIST} entries`, { field });
  return values.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw badInput(`${field} entry "${String(text).slice(0, 60)}" is not an IPv4 or IPv6 CIDR block`, { field });
    return formatCidr(cidr);
  });
}

export function validModels(values: readonly string[], field: string): string[] {
  if (values.length > MAX_LIST) throw badInput(`${field} takes at most ${MAX_LIST} entries`, { field });
  return [
    ...new Set(
      values.map((model) => {
        if (!MODEL_ID.test(model)) throw badInput(`${field} entry "${String(model).slice(0, 60)}" is not a model id`, { field });
        return model;
      }),
    ),
  ];
}

export function validId(value: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw badInput(`${field} is not a valid id`, { field });
  return value;
}

export function validPage(page: number, pageSize: number, maxPageSize = 100): { page: number; pageSize: number } {
  if (!Number.isInteger(page) || page < 1) throw badInput('page must be an integer ≥ 1', { field: 'page' });
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize)
    throw badInput(`page size must be an integer from 1 to ${maxPageSize}`, { field: 'pageSize' });
  return { page, pageSize };
}

/** Rate limits of a key or a key group; absent = unchanged, null = unlimited. */
export interface RateLimitsInput {
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
}

/** Ceilings that catch a typo (an extra digit or three) rather than any real plan. */
export const RATE_LIMIT_MAXIMA: Record<keyof RateLimitsInput, number> = {
  rpmLimit: 1_000_000,
  tpmLimit: 1_000_000_000,
  maxParallelRequests: 10_000,
};

/** Applies the rate limits present in `input` to `target`: each a positive integer up to its ceiling, or null. */
export function applyRateLimits(target: RateLimitsInput, input: RateLimitsInput): void {
  for (const field of Object.keys(RATE_LIMIT_MAXIMA) as (keyof RateLimitsInput)[]) {
    const value = input[field];
    if (value === undefined) continue;
    if (value === null) {
      target[field] = null;
      continue;
    }
    const max = RATE_LIMIT_MAXIMA[field];
    if (!Number.isSafeInteger(value) || value < 1 || value > max)
      throw badInput(`${field} must be an integer from 1 to ${max.toLocaleString('en-US')}, or null for no limit`, { field });
    target[field] = value;
  }
}
