// Input rules for market's objects, shared by create and update. Each failure names its field.
import { isIP } from 'node:net';
import { badInput } from '../../common/errors';
import { addressClass } from '../../common/outbound';
import { usdToMicros } from '../../common/money';

const MAX_NAME = 100;
const PUBLIC_MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,63}\/[a-z0-9][a-z0-9._:-]{0,127}$/;
/** $10,000 per million tokens (or characters): a ceiling that catches a misplaced decimal point. */
export const MAX_PRICE_MICROS = 10_000 * 1_000_000;
const MAX_LIST = 50;

export function validId(value: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw badInput(`${field} is not a valid id`, { field });
  return value;
}

export function validName(value: unknown, field = 'name', max = MAX_NAME): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name.length === 0 || name.length > max) throw badInput(`${field} must be 1 to ${max} characters`, { field });
  return name;
}

export function validPublicModel(value: unknown, field = 'model'): string {
  const model = typeof value === 'string' ? value.trim() : '';
  if (!PUBLIC_MODEL_ID.test(model))
    throw badInput(`${field} must look like \`vendor/name\` (lowercase letters, digits, \`.\`, \`-\`, \`_\`)`, { field });
  return model;
}

export function validUpstreamModel(value: unknown, field = 'upstreamModel'): string {
  const model = typeof value === 'string' ? value.trim() : '';
  if (model.length === 0 || model.length > 200 || /[\s\u0000-\u001f]/.test(model))
    throw badInput(`${field} must be 1 to 200 characters without spaces`, { field });
  return model;
}

/** A decimal-USD string (at most 6 decimals) → micro-USD, 0 to $10,000. */
export function validPrice(value: string, field: string): number {
  let micros: number;
  try {
    micros = usdToMicros(value);
  } catch {
    throw badInput(`${field} must be a USD amount with at most 6 decimals`, { field });
  }
  if (micros < 0 || micros > MAX_PRICE_MICROS) throw badInput(`${field} must be between 0 and 10000`, { field });
  return micros;
}

/** An optional whole number in [min, max]; null and undefined pass through. */
export function validInt(value: number | null | undefined, field: string, min: number, max: number): number | null | undefined {
  if (value === null || value === undefined) return value;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw badInput(`${field} must be an integer from ${min} to ${max}`, { field });
  return value;
}

export interface BaseUrlRules {
  /** Production takes https only. */
  production: boolean;
  /** OUTBOUND_ALLOW_PRIVATE: local names and non-public literal addresses pass. */
  allowPrivate: boolean;
}

/**
 * A provider base URL: http(s), no credentials, query or fragment; the trailing slash dropped.
 * Unless private addresses are allowed, it must not name a local host or a non-public address
 * literally (the outbound rule of common/outbound.ts), so a seller hears at once that the platform
 * will not call into its own network. Names are not resolved here: the outbound agents check the
 * resolved address on every connection, which is the check that holds.
 */
export function validBaseUrl(value: string, field: string, rules: BaseUrlRules): string {
  let url: URL;
  try {
    url = new URL(String(value).trim());
  } catch {
    throw badInput(`${field} must be an http(s) URL`, { field });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`${field} must be an http(s) URL`, { field });
  if (url.username || url.password) throw badInput(`${field} must not carry credentials; give the key as apiKey`, { field });
  if (url.search || url.hash) throw badInput(`${field} must not have a query or fragment`, { field });
  if (url.href.length > 500) throw badInput(`${field} must be at most 500 characters`, { field });
  if (rules.production && url.protocol !== 'https:') throw badInput(`${field} must be an https URL`, { field });
  if (!rules.allowPrivate) {
    const refused = nonPublicHost(url.hostname);
    if (refused) throw badInput(`${field} must be a public address (${refused})`, { field });
  }
  return url.href.replace(/\/+$/, '');
}

// Names that only mean something inside a network: special-use and private-use suffixes, and
// single labels (resolved through the platform's own search domains).
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'home.arpa', 'lan', 'intranet', 'corp'];

/** Why a URL's host is not public, or null. WHATWG URL parsing has already turned 2130706433, 0x7f.1 and the like into dotted IPv4. */
export function nonPublicHost(hostname: string): string | null {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(host)) return addressClass(host);
  const name = host.replace(/\.$/, '');
  if (name === '' || !name.includes('.')) return 'a local name';
  if (LOCAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))) return 'a local name';
  return null;
}

/** A list of provider ids, each one the catalog knows; duplicates dropped, order kept. */
export function validProviderList(values: readonly string[], field: string, known: ReadonlySet<string>): string[] {
  if (values.length > MAX_LIST) throw badInput(`${field} takes at most ${MAX_LIST} entries`, { field });
  return [
    ...new Set(
      values.map((value) => {
        const id = typeof value === 'string' ? value.trim().toLowerCase() : '';
        if (!known.has(id))
          throw badInput(`${field} entry "${String(value).slice(0, 40)}" is not a provider (known: ${[...known].join(', ')})`, { field });
        return id;
      }),
    ),
  ];
}

export function validModelList(values: readonly string[], field: string, max = 10): string[] {
  if (values.length > max) throw badInput(`${field} takes at most ${max} entries`, { field });
  return [...new Set(values.map((value) => validPublicModel(value, field)))];
}

/** Supply entries of a routing profile (seller handles, seller ids, listing ids): trimmed, 1 to 64 characters, duplicates dropped, order kept. */
export function validSupplyList(values: readonly string[], field: string): string[] {
  if (!Array.isArray(values) || values.length > MAX_LIST) throw badInput(`${field} takes at most ${MAX_LIST} entries`, { field });
  return [
    ...new Set(
      values.map((value) => {
        const entry = typeof value === 'string' ? value.trim() : '';
        if (entry.length === 0 || entry.length > 64)
          throw badInput(`${field} entries must be a seller handle, a seller id or a listing id (1 to 64 characters)`, { field });
        return entry;
      }),
    ),
  ];
}
