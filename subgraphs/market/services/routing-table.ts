// The routing table the data plane caches per model (and profile): every routable listing of the
// model with what the data plane needs to call it (base URL, upstream model, the sealed key and
// its seal context), ranked by the profile (routing.ts). Platform only: it carries sealed keys.
import type { EntityManager } from '@mikro-orm/core';
import { badInput } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { ContractState } from '../entities/Contract';
import type { Capability } from '../entities/Listing';
import { VerificationStatus } from '../entities/ListingVerification';
import { PoolKeyStatus } from '../entities/PoolKey';
import { RoutingSort, type RoutingProfile } from '../entities/RoutingProfile';
import type { MarketLoaders } from '../loaders';
import { requireService } from './access';
import { sealContext, type MarketCoreDeps } from './deps';
import { effectiveMetadata, type ListingMetadata } from './listing-metadata';
import { currentVerification } from './verification';
import { blendedPrice } from './pricing';
import { rankCandidates, type RankableCandidate, type RoutingPolicy } from './routing';

export interface RoutingCandidateView extends RankableCandidate, ListingMetadata {
  sellerId: string;
  sellerHandle: string | null;
  contractId: string;
  baseUrl: string;
  upstreamModel: string;
  sealedApiKey: string;
  sealContext: string;
  ttftMs: number | null;
  cacheReadPriceMicrosPerMTok: number | null;
  /** What the listing is compared by: input + output per MTok (per MChars for speech). */
  blendedPriceMicros: number;
  caps: { rpm: number | null; tpm: number | null; maxConcurrency: number | null; dailyTokens: number | null };
  /** false only when a canonical claim failed or is pending; such listings are left out of the table. */
  verified: boolean;
}

export interface RoutingTableView {
  model: string;
  capability: Capability | null;
  /** The profile applied; null without one, or when the id names no profile (keys then route by default). */
  profileId: string | null;
  candidates: RoutingCandidateView[];
  allowFallbacks: boolean;
  fallbackModels: string[];
  timeoutMs: number | null;
  maxRetries: number | null;
  streamIdleTimeoutMs: number | null;
  /** Whether the data plane may draw among comparable listings (false: try them in this order). */
  loadBalanced: boolean;
}

export class RoutingTableService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: MarketLoaders,
    private readonly deps: MarketCoreDeps,
  ) {}

  async table(principal: Principal, model: string, profileId: string | null | undefined): Promise<RoutingTableView> {
    requireService(principal);
    if (typeof model !== 'string' || model.length === 0 || model.length > 200)
      throw badInput('model must be 1 to 200 characters', { field: 'model' });
    if (profileId != null && (profileId.length === 0 || profileId.length > 64))
      throw badInput('profileId is not a valid id', { field: 'profileId' });
    const [profile, listings] = await Promise.all([
      profileId ? this.loaders.routingProfileById.load(profileId) : null,
      this.loaders.routableListingsByModel.load(model),
    ]);
    // Only canonical listings need their verification read: the claim to be that model decides routing.
    const canonical = this.deps.registry.get(model) !== null;
    const [contracts, keys, verifications, sellers] = await Promise.all([
      Promise.all(listings.map((listing) => (listing.contractId ? this.loaders.contractById.load(listing.contractId) : null))),
      Promise.all(listings.map((listing) => (listing.poolKeyId ? this.loaders.poolKeyById.load(listing.poolKeyId) : null))),
      Promise.all(listings.map((listing) => (canonical ? this.loaders.verificationByListing.load(listing.id) : null))),
      // One statement for every seller of the model (profiles name supply by handle).
      Promise.all(listings.map((listing) => this.loaders.sellerById.load(listing.sellerId))),
    ]);
    const candidates: RoutingCandidateView[] = [];
    listings.forEach((listing, i) => {
      const contract = contracts[i];
      if (!listing.poolKeyId) return;
      const key = keys[i];
      if (!contract || (contract.state !== ContractState.ACTIVE && contract.state !== ContractState.DEGRADED)) return;
      if (!key || key.status === PoolKeyStatus.DELETED || !key.sealedKey) return;
      const baseUrl = this.deps.catalog.baseUrlOf(key);
      if (!baseUrl) return;
      // Checks of claims the listing no longer makes (it changed them since) do not count.
      const verified =
        !canonical || currentVerification(verifications[i], listing, this.deps.registry).status === VerificationStatus.PASSED;
      if (!verified) return;
      candidates.push({
        listingId: listing.id,
        sellerId: listing.sellerId,
        contractId: contract.id,
        provider: key.provider,
        capability: listing.capability,
        baseUrl,
        upstreamModel: listing.upstreamModel,
        sealedApiKey: key.sealedKey,
        sealContext: sealContext(key.id),
        inputPriceMicrosPerMTok: Number(listing.inputPriceMicrosPerMTok),
        outputPriceMicrosPerMTok: Number(listing.outputPriceMicrosPerMTok),
        priceMicrosPerMChars: listing.priceMicrosPerMChars == null ? null : Number(listing.priceMicrosPerMChars),
        blendedPriceMicros: blendedPrice(listing.capability, {
          input: Number(listing.inputPriceMicrosPerMTok),
          output: Number(listing.outputPriceMicrosPerMTok),
          perMChars: listing.priceMicrosPerMChars == null ? null : Number(listing.priceMicrosPerMChars),
        }),
        cacheReadPriceMicrosPerMTok:
          listing.cacheReadPriceMicrosPerMTok == null
            ? null
            : Math.min(Number(listing.cacheReadPriceMicrosPerMTok), Number(listing.inputPriceMicrosPerMTok)),
        caps: {
          rpm: listing.capRpm ?? null,
          tpm: listing.capTpm ?? null,
          maxConcurrency: listing.capMaxConcurrency ?? null,
          dailyTokens: listing.capDailyTokens == null ? null : Number(listing.capDailyTokens),
        },
        latencyMs: contract.latencyMs ?? null,
        ttftMs: contract.ttftMs ?? null,
        tokensPerSecond: contract.tokensPerSecond ?? null,
        contractState: contract.state,
        verified,
        sellerHandle: sellers[i]?.handle ?? null,
        ...effectiveMetadata(listing, this.deps.registry),
      });
    });
    const ranked = rankCandidates(candidates, profile ? policyOf(profile) : null);
    return {
      model,
      capability: ranked[0]?.capability ?? listings[0]?.capability ?? null,
      profileId: profile?.id ?? null,
      // A profile that sorts by anything but price, or orders supply itself, is followed as ranked.
      loadBalanced:
        !profile || (profile.sort === RoutingSort.PRICE && profile.providerOrder.length === 0 && (profile.supplyOrder ?? []).length === 0),
      candidates: ranked,
      allowFallbacks: profile?.allowFallbacks ?? true,
      fallbackModels: profile && profile.allowFallbacks ? profile.fallbackModels : [],
      timeoutMs: profile?.timeoutMs ?? null,
      maxRetries: profile?.maxRetries ?? null,
      streamIdleTimeoutMs: profile?.streamIdleTimeoutMs ?? null,
    };
  }
}

export function policyOf(profile: RoutingProfile): RoutingPolicy {
  return {
    sort: profile.sort,
    providerOrder: profile.providerOrder,
    allowProviders: profile.allowProviders ?? null,
    denyProviders: profile.denyProviders,
    maxInputPriceMicrosPerMTok: profile.maxInputPriceMicrosPerMTok == null ? null : Number(profile.maxInputPriceMicrosPerMTok),
    maxOutputPriceMicrosPerMTok: profile.maxOutputPriceMicrosPerMTok == null ? null : Number(profile.maxOutputPriceMicrosPerMTok),
    allowSupply: profile.allowSupply ?? null,
    denySupply: profile.denySupply ?? [],
    supplyOrder: profile.supplyOrder ?? [],
  };
}
