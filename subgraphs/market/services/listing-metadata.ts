// Listing metadata: what a seller declares about its supply (context length, output cap, request
// parameters, quantization, region, data policy) and what the market shows, routes and verifies by.
// One function, effectiveMetadata, is the view every reader uses (the Listing fields, the routing
// table, the public endpoints, the verification claims): a canonical model fills in what the
// listing leaves undeclared, and its parameters are the listing's too. The input rules live here
// as well, so create and update refuse the same values with the same field names.
import { badInput } from '../../common/errors';
import { QUANTIZATIONS } from '../../common/supply';
import { Capability, type Listing } from '../entities/Listing';
import { SUPPORTED_PARAMETERS, type ModelRegistry } from './registry';

export { QUANTIZATIONS };
export const MAX_CONTEXT_LENGTH = 10_000_000;
const REGION = /^[a-z0-9-]{2,32}$/;
/** More entries than there are parameters is a mistake, not a list to walk. */
const MAX_PARAMETER_ENTRIES = 50;

export interface DataPolicy {
  retainsPrompts: boolean;
  trainsOnPrompts: boolean;
  zeroRetention: boolean;
}

export interface ListingMetadata {
  contextLength: number | null;
  maxOutputTokens: number | null;
  /** Chat only (else empty): the canonical model's ∪ the declared, in SUPPORTED_PARAMETERS order. */
  supportedParameters: string[];
  quantization: string | null;
  region: string | null;
  dataPolicy: DataPolicy;
}

type MetadataColumns =
  | 'contextLength'
  | 'maxOutputTokens'
  | 'supportedParameters'
  | 'quantization'
  | 'region'
  | 'dataRetainsPrompts'
  | 'dataTrainsOnPrompts'
  | 'dataZeroRetention';
/** A listing row, or just its model and capability (then nothing is declared). */
export type MetadataSource = Pick<Listing, 'model' | 'capability'> & Partial<Pick<Listing, MetadataColumns>>;

/** The listing's metadata as buyers, routing and verification see it. Pure. */
export function effectiveMetadata(listing: MetadataSource, registry: ModelRegistry): ListingMetadata {
  const canonical = registry.get(listing.model);
  const declared = new Set([...(canonical?.supportedParameters ?? []), ...(listing.supportedParameters ?? [])]);
  return {
    contextLength: listing.contextLength ?? canonical?.contextLength ?? null,
    maxOutputTokens: listing.maxOutputTokens ?? canonical?.maxOutputTokens ?? null,
    supportedParameters: listing.capability === Capability.CHAT ? SUPPORTED_PARAMETERS.filter((p) => declared.has(p)) : [],
    quantization: listing.quantization ?? null,
    region: listing.region ?? null,
    dataPolicy: {
      retainsPrompts: listing.dataRetainsPrompts ?? false,
      trainsOnPrompts: listing.dataTrainsOnPrompts ?? false,
      zeroRetention: listing.dataZeroRetention ?? false,
    },
  };
}

export interface DataPolicyInput {
  retainsPrompts?: boolean | null;
  trainsOnPrompts?: boolean | null;
  zeroRetention?: boolean | null;
}

/** The metadata fields of create and update: absent stays, null clears (back to unknown / none / false). */
export interface MetadataInput {
  contextLength?: number | null;
  maxOutputTokens?: number | null;
  supportedParameters?: string[] | null;
  quantization?: string | null;
  region?: string | null;
  dataPolicy?: DataPolicyInput | null;
}

/**
 * Applies the given metadata fields to the listing after checking the result as a whole (the
 * output cap within the context, a canonical model's limits, the data policy consistent). Nothing
 * is written to the listing unless every rule holds.
 */
export function applyMetadata(listing: Listing, input: MetadataInput, registry: ModelRegistry): void {
  const next = {
    contextLength:
      input.contextLength === undefined
        ? (listing.contextLength ?? null)
        : validCount(input.contextLength, 'contextLength', MAX_CONTEXT_LENGTH),
    maxOutputTokens:
      input.maxOutputTokens === undefined
        ? (listing.maxOutputTokens ?? null)
        : validCount(input.maxOutputTokens, 'maxOutputTokens', MAX_CONTEXT_LENGTH),
    supportedParameters:
      input.supportedParameters === undefined ? (listing.supportedParameters ?? null) : validParameters(input.supportedParameters),
    quantization: input.quantization === undefined ? (listing.quantization ?? null) : validQuantization(input.quantization),
    region: input.region === undefined ? (listing.region ?? null) : validRegion(input.region),
    ...nextDataPolicy(listing, input.dataPolicy),
  };
  const capability = listing.capability;
  if (input.contextLength != null && capability === Capability.SPEECH)
    throw badInput('contextLength is for CHAT and EMBEDDINGS listings only', { field: 'contextLength' });
  if (input.maxOutputTokens != null && capability !== Capability.CHAT)
    throw badInput('maxOutputTokens is for CHAT listings only', { field: 'maxOutputTokens' });
  if (next.supportedParameters?.length && capability !== Capability.CHAT)
    throw badInput('supportedParameters is for CHAT listings only', { field: 'supportedParameters' });

  const canonical = registry.get(listing.model);
  if (canonical?.contextLength != null && next.contextLength !== null && next.contextLength > canonical.contextLength) {
    throw badInput(`contextLength ${next.contextLength} is above ${canonical.id}'s ${canonical.contextLength}`, { field: 'contextLength' });
  }
  if (canonical?.maxOutputTokens != null && next.maxOutputTokens !== null && next.maxOutputTokens > canonical.maxOutputTokens) {
    throw badInput(`maxOutputTokens ${next.maxOutputTokens} is above ${canonical.id}'s ${canonical.maxOutputTokens}`, {
      field: 'maxOutputTokens',
    });
  }
  const context = next.contextLength ?? canonical?.contextLength ?? null;
  if (next.maxOutputTokens !== null && context !== null && next.maxOutputTokens > context) {
    throw badInput(`maxOutputTokens must be at most the context length (${context})`, { field: 'maxOutputTokens' });
  }
  if (next.dataZeroRetention && (next.dataRetainsPrompts || next.dataTrainsOnPrompts)) {
    throw badInput(
      `dataPolicy.zeroRetention cannot be true while ${next.dataRetainsPrompts ? 'retainsPrompts' : 'trainsOnPrompts'} is true`,
      { field: 'dataPolicy.zeroRetention' },
    );
  }
  Object.assign(listing, next);
}

function nextDataPolicy(
  listing: Listing,
  policy: DataPolicyInput | null | undefined,
): Pick<Listing, 'dataRetainsPrompts' | 'dataTrainsOnPrompts' | 'dataZeroRetention'> {
  const current = {
    dataRetainsPrompts: listing.dataRetainsPrompts ?? false,
    dataTrainsOnPrompts: listing.dataTrainsOnPrompts ?? false,
    dataZeroRetention: listing.dataZeroRetention ?? false,
  };
  if (policy === undefined) return current;
  if (policy === null) return { dataRetainsPrompts: false, dataTrainsOnPrompts: false, dataZeroRetention: false };
  const flag = (value: boolean | null | undefined, now: boolean, field: string) => {
    if (value === undefined) return now;
    if (value !== null && typeof value !== 'boolean')
      throw badInput(`dataPolicy.${field} must be true or false`, { field: `dataPolicy.${field}` });
    return value ?? false;
  };
  return {
    dataRetainsPrompts: flag(policy.retainsPrompts, current.dataRetainsPrompts, 'retainsPrompts'),
    dataTrainsOnPrompts: flag(policy.trainsOnPrompts, current.dataTrainsOnPrompts, 'trainsOnPrompts'),
    dataZeroRetention: flag(policy.zeroRetention, current.dataZeroRetention, 'zeroRetention'),
  };
}

function validCount(value: number | null, field: string, max: number): number | null {
  if (value === null) return null;
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw badInput(`${field} must be an integer from 1 to ${max.toLocaleString('en-US')}`, { field });
  return value;
}

/** Known parameters, duplicates dropped, in SUPPORTED_PARAMETERS order; null clears (none declared). */
function validParameters(values: readonly string[] | null): string[] | null {
  if (values === null) return null;
  if (!Array.isArray(values) || values.length > MAX_PARAMETER_ENTRIES)
    throw badInput(`supportedParameters takes at most ${MAX_PARAMETER_ENTRIES} entries`, { field: 'supportedParameters' });
  const known: readonly string[] = SUPPORTED_PARAMETERS;
  for (const value of values) {
    if (typeof value !== 'string' || !known.includes(value)) {
      throw badInput(
        `supportedParameters entry ${JSON.stringify(String(value).slice(0, 40))} is not a parameter (known: ${known.join(', ')})`,
        { field: 'supportedParameters' },
      );
    }
  }
  return known.filter((parameter) => values.includes(parameter));
}

function validQuantization(value: string | null): string | null {
  if (value === null) return null;
  const known: readonly string[] = QUANTIZATIONS;
  if (typeof value !== 'string' || !known.includes(value))
    throw badInput(`quantization must be one of ${known.join(', ')}`, { field: 'quantization' });
  return value;
}

function validRegion(value: string | null): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !REGION.test(value))
    throw badInput('region must be 2 to 32 lowercase letters, digits and `-` (e.g. `us`, `eu-west`)', { field: 'region' });
  return value;
}
