// Public models: what the market sells right now, computed from ACTIVE supply (a model is listed
// while at least one of its contracts is ACTIVE). Figures are over ACTIVE listings only.
import type { EntityManager } from '@mikro-orm/core';
import { ContractState, type Contract } from '../entities/Contract';
import { Capability, Listing, ListingStatus } from '../entities/Listing';
import { VerificationStatus } from '../entities/ListingVerification';
import type { MarketLoaders } from '../loaders';
import { declaredGpus } from './capacity';
import { effectiveMetadata, type ListingMetadata } from './listing-metadata';
import { modelMetadata, PIPELINE_OF, type ModelMetadata } from './model-catalog';
import { SUPPORTED_PARAMETERS, type ModelRegistry } from './registry';
import { currentVerification } from './verification';

export interface MoneyStats {
  min: number;
  max: number;
  avg: number;
}

export interface ModelView extends ModelMetadata {
  id: string;
  capability: Capability;
  pipeline: string;
  realtime: boolean;
  badges: string[];
  activeListings: number;
  /** Distinct sellers with an ACTIVE listing of the model ("warm orchestrators"). */
  warmSupply: number;
  /** Sum of maxConcurrency over ACTIVE listings; a listing without that cap counts as 1. */
  totalCapacity: number;
  gpuCount: number;
  inputPrice: MoneyStats;
  outputPrice: MoneyStats;
  pricePerMChars: MoneyStats | null;
  costPerMinute: MoneyStats | null;
  latencyP50Ms: number | null;
  ttftP50Ms: number | null;
  tokensPerSecond: number | null;
  /** The largest effective context length over ACTIVE listings (null: none known). */
  contextLength: number | null;
  /** Chat: every parameter some ACTIVE listing honours (registry order). */
  supportedParameters: string[];
  /** Distinct declared quantizations of ACTIVE listings, sorted. */
  quantizations: string[];
}

export interface ActiveSupply {
  listing: Pick<
    Listing,
    | 'id'
    | 'sellerId'
    | 'model'
    | 'capability'
    | 'inputPriceMicrosPerMTok'
    | 'outputPriceMicrosPerMTok'
    | 'priceMicrosPerMChars'
    | 'capMaxConcurrency'
    | 'gpuCount'
  >;
  contract: Pick<Contract, 'latencyMs' | 'ttftMs' | 'tokensPerSecond'>;
  /** The listing's effective metadata (none known when absent). */
  metadata?: ListingMetadata;
}

const LOW_LATENCY_TTFT_MS = 500;

/** A catalog filter; an absent field filters nothing. */
export interface ModelFilter {
  /** A pipeline as NaaP names it (`llm`, `embeddings`, `text-to-speech`) or a capability (`chat`, `embeddings`, `speech`), any case. */
  type?: string | null;
  featured?: boolean | null;
  realtime?: boolean | null;
}

export function matchesFilter(model: Pick<ModelView, 'pipeline' | 'capability' | 'featured' | 'realtime'>, filter: ModelFilter): boolean {
  const type = filter.type?.toLowerCase();
  if (type && model.pipeline !== type && model.capability.toLowerCase() !== type) return false;
  if (filter.featured != null && model.featured !== filter.featured) return false;
  if (filter.realtime != null && model.realtime !== filter.realtime) return false;
  return true;
}

/** A public page lists this many endpoints of a model at most (GraphQL bounds Model.endpoints by it). */
export const MAX_ENDPOINTS = 10;

export class ModelService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: MarketLoaders,
    private readonly registry: ModelRegistry,
  ) {}

  /** Public: every caller may read the catalog (it is what the market sells). */
  async list(filter: ModelFilter = {}): Promise<ModelView[]> {
    return summarizeModels(await this.activeSupply()).filter((model) => matchesFilter(model, filter));
  }

  async get(id: string): Promise<ModelView | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) return null;
    return summarizeModels(await this.activeSupply(id))[0] ?? null;
  }

  /**
   * Public: every routable listing of the model (its contract ACTIVE, or DEGRADED: still routed,
   * after the healthy ones; a canonical one only with its claims verified), cheapest first
   * (output, then input price; the oldest on a tie), at most MAX_ENDPOINTS.
   */
  async endpoints(id: string): Promise<Listing[]> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) return [];
    const listings = await this.verifiedListings(id);
    const contracts = await Promise.all(
      listings.map((listing) => (listing.contractId ? this.loaders.contractById.load(listing.contractId) : null)),
    );
    const routable = listings.filter(
      (_, i) => contracts[i]?.state === ContractState.ACTIVE || contracts[i]?.state === ContractState.DEGRADED,
    );
    const price = (l: Listing) => [Number(l.outputPriceMicrosPerMTok), Number(l.inputPriceMicrosPerMTok)];
    return routable
      .sort((a, b) => {
        const [ao, ai] = price(a);
        const [bo, bi] = price(b);
        return ao - bo || ai - bi;
      })
      .slice(0, MAX_ENDPOINTS);
  }

  private async activeSupply(model?: string): Promise<ActiveSupply[]> {
    const listings = model
      ? await this.verifiedListings(model)
      : await this.verified(
          await this.em.find(
            Listing,
            { status: ListingStatus.ACTIVE, deletedAt: null, paused: false },
            { orderBy: { createdAt: 'asc', id: 'asc' } },
          ),
        );
    const contracts = await Promise.all(
      listings.map((listing) => (listing.contractId ? this.loaders.contractById.load(listing.contractId) : null)),
    );
    return listings.flatMap((listing, i) => {
      const contract = contracts[i];
      return contract && contract.state === ContractState.ACTIVE
        ? [{ listing, contract, metadata: effectiveMetadata(listing, this.registry) }]
        : [];
    });
  }

  private async verifiedListings(model: string): Promise<Listing[]> {
    return this.verified(await this.loaders.routableListingsByModel.load(model));
  }

  /** What is sold is what is verified: a canonical listing whose claims failed or are pending is left out, as routing leaves it out. */
  private async verified(listings: Listing[]): Promise<Listing[]> {
    const verifications = await Promise.all(
      listings.map((listing) => (this.registry.get(listing.model) ? this.loaders.verificationByListing.load(listing.id) : null)),
    );
    return listings.filter(
      (listing, i) =>
        !this.registry.get(listing.model) ||
        currentVerification(verifications[i], listing, this.registry).status === VerificationStatus.PASSED,
    );
  }
}

/** Groups ACTIVE supply by model, sorted by model id. Pure. */
export function summarizeModels(supply: readonly ActiveSupply[]): ModelView[] {
  const byModel = new Map<string, ActiveSupply[]>();
  for (const row of supply) byModel.set(row.listing.model, [...(byModel.get(row.listing.model) ?? []), row]);
  return [...byModel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, rows]) => {
      const capability = rows[0].listing.capability;
      const sellers = new Set(rows.map((r) => r.listing.sellerId)).size;
      const perMinute = rows.flatMap(({ listing, contract }) =>
        capability === Capability.CHAT && contract.tokensPerSecond
          ? [Math.round((Number(listing.outputPriceMicrosPerMTok) * contract.tokensPerSecond * 60) / 1_000_000)]
          : [],
      );
      const ttftP50Ms = median(rows.map((r) => r.contract.ttftMs));
      const badges = [
        ...(capability === Capability.CHAT ? ['streaming'] : []),
        ...(sellers > 1 ? ['multi-seller'] : []),
        ...(ttftP50Ms !== null && ttftP50Ms < LOW_LATENCY_TTFT_MS ? ['low-latency'] : []),
      ];
      return {
        ...modelMetadata(id, capability),
        id,
        capability,
        pipeline: PIPELINE_OF[capability],
        realtime: capability !== Capability.EMBEDDINGS,
        badges,
        activeListings: rows.length,
        warmSupply: sellers,
        totalCapacity: rows.reduce((sum, r) => sum + (r.listing.capMaxConcurrency ?? 1), 0),
        gpuCount: rows.reduce((sum, r) => sum + declaredGpus(r.listing), 0),
        inputPrice: stats(rows.map((r) => Number(r.listing.inputPriceMicrosPerMTok)))!,
        outputPrice: stats(rows.map((r) => Number(r.listing.outputPriceMicrosPerMTok)))!,
        pricePerMChars:
          capability === Capability.SPEECH
            ? stats(rows.flatMap((r) => (r.listing.priceMicrosPerMChars == null ? [] : [Number(r.listing.priceMicrosPerMChars)])))
            : null,
        costPerMinute: stats(perMinute),
        latencyP50Ms: median(rows.map((r) => r.contract.latencyMs)),
        ttftP50Ms,
        tokensPerSecond: median(rows.map((r) => r.contract.tokensPerSecond)),
        contextLength: rows.reduce<number | null>(
          (most, r) =>
            r.metadata?.contextLength != null && (most === null || r.metadata.contextLength > most) ? r.metadata.contextLength : most,
          null,
        ),
        supportedParameters: SUPPORTED_PARAMETERS.filter((p) => rows.some((r) => r.metadata?.supportedParameters.includes(p))),
        quantizations: [...new Set(rows.flatMap((r) => (r.metadata?.quantization ? [r.metadata.quantization] : [])))].sort(),
      };
    });
}

function stats(values: number[]): MoneyStats | null {
  if (values.length === 0) return null;
  return { min: Math.min(...values), max: Math.max(...values), avg: Math.round(values.reduce((a, b) => a + b, 0) / values.length) };
}

/** The median of the known values (the lower middle for an even count, so it is a value seen); null when none. */
function median(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  return known.length === 0 ? null : known[Math.floor((known.length - 1) / 2)];
}
