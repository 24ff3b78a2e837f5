// Listings: a seller's offer of one model at a price through one of its pool keys. Created with a
// PENDING contract and admitted by a probe (run in the background right away); prices follow the
// review rule (pricing.ts); deleting is soft. Every change that can affect routing is announced.
import { OptimisticLockError, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { badInput, conflict, DomainError, forbidden } from '../../common/errors';
import type { Principal } from '../../common/principal';
import type { ListingChangedEvent } from '../../common/events';
import { Contract, ContractState } from '../entities/Contract';
import { CheckKind } from '../entities/ContractCheck';
import { Capability, Listing, ListingStatus } from '../entities/Listing';
import { Seller } from '../entities/Seller';
import { ListingVerification } from '../entities/ListingVerification';
import { PoolKey } from '../entities/PoolKey';
import { PriceReview, PriceReviewStatus } from '../entities/PriceReview';
import type { MarketLoaders } from '../loaders';
import { requireSeller, seesSupplyOf } from './access';
import { listingStatusFor, serialized } from './checks';
import type { MarketCoreDeps } from './deps';
import { ownedListing, ownedPoolKey } from './ownership';
import { blendedPrice, increasePercent, planPriceChange, PRICE_FIELDS, type PriceField, type Prices } from './pricing';
import type { ProbeRunner } from './probe-runner';
import type { SellerService } from './sellers';
import { applyMetadata, effectiveMetadata, type ListingMetadata, type MetadataInput } from './listing-metadata';
import { claimsKeyOf, claimsOf, currentVerification } from './verification';
import { validInt, validName, validPrice, validPublicModel, validUpstreamModel } from './validation';

/** Tries of a listing update whose contract keeps changing under it. */
const UPDATE_ATTEMPTS = 3;

export interface CapsInput {
  rpm?: number | null;
  tpm?: number | null;
  maxConcurrency?: number | null;
  dailyTokens?: number | null;
}

export interface HardwareInput {
  gpuModel?: string | null;
  gpuCount?: number | null;
}

export interface ListingSettingsInput extends MetadataInput {
  inputPricePerMTok?: string | null;
  outputPricePerMTok?: string | null;
  pricePerMChars?: string | null;
  cacheReadPricePerMTok?: string | null;
  priceFloor?: string | null;
  caps?: CapsInput | null;
  hardware?: HardwareInput | null;
}

export interface CreateListingInput extends ListingSettingsInput {
  poolKeyId?: string | null;
  model: string;
  upstreamModel?: string | null;
  capability?: Capability | null;
}

export interface UpdateListingInput extends ListingSettingsInput {
  poolKeyId?: string | null;
}

const PRICE_INPUT_FIELD: Record<PriceField, keyof ListingSettingsInput> = {
  input: 'inputPricePerMTok',
  output: 'outputPricePerMTok',
  perMChars: 'pricePerMChars',
};

export class ListingService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: MarketLoaders,
    private readonly deps: MarketCoreDeps,
    private readonly probes: ProbeRunner,
    private readonly sellers: SellerService,
  ) {}

  async myListings(principal: Principal): Promise<Listing[]> {
    return this.loaders.listingsBySeller.load(requireSeller(principal));
  }

  /** A seller's listings, shown to the seller only (empty for anyone else). */
  async listingsOf(principal: Principal, sellerId: string): Promise<Listing[]> {
    return principal.kind !== 'service' && seesSupplyOf(principal, sellerId) ? this.loaders.listingsBySeller.load(sellerId) : [];
  }

  /**
   * The verification of the listing's current claims: the stored one, or what it is before any ran
   * (or after the claims changed): PENDING with claims to check, else NOT_REQUIRED.
   */
  async verificationOf(listing: Listing): Promise<ListingVerification> {
    return currentVerification(await this.loaders.verificationByListing.load(listing.id), listing, this.deps.registry);
  }

  /** The listing's metadata as everyone sees it (a canonical model fills in what is not declared). */
  metadataOf(listing: Listing): ListingMetadata {
    return effectiveMetadata(listing, this.deps.registry);
  }

  async get(principal: Principal, id: string): Promise<Listing> {
    return ownedListing(this.em, requireSeller(principal), id);
  }

  async create(principal: Principal, input: CreateListingInput, retried = false): Promise<Listing> {
    const sellerId = requireSeller(principal);
    // Every list of a seller's listings is bounded (and GraphQL's cost estimate counts on it).
    const max = this.deps.accountLimits.listings;
    if ((await this.em.count(Listing, { sellerId, deletedAt: null })) >= max)
      throw new DomainError('QUOTA_EXCEEDED', `An account can have at most ${max} listings; delete one first`);
    const model = validPublicModel(input.model);
    const upstreamModel = validUpstreamModel(input.upstreamModel ?? model);
    // No GraphQL default on the enum (see types/listings.ts): the default lives here.
    const capability = input.capability ?? Capability.CHAT;
    // A listing without a pool key is a draft: stored, never probed or routed until it gets one.
    const key = input.poolKeyId == null ? null : await this.usableKey(sellerId, input.poolKeyId, capability);
    // A registry id (verified at admission) or the seller's own namespace.
    const newHandle = await this.sellers.authorizeModel(sellerId, model, capability);
    const prices = initialPrices(capability, input);
    const floor = input.priceFloor == null ? null : validPrice(input.priceFloor, 'priceFloor');
    if (floor !== null && blendedPrice(capability, prices) < floor)
      throw badInput('priceFloor is above the listing price', { field: 'priceFloor' });
    // One public model id means one thing to buyers: it has one capability across the market.
    if (await this.em.count(Listing, { model, deletedAt: null, capability: { $ne: capability } })) {
      throw badInput(`${model} is already listed with another capability; a model id has one capability`, { field: 'capability' });
    }
    if (key && (await this.em.count(Listing, { sellerId, model, upstreamModel, poolKeyId: key.id, deletedAt: null }))) {
      throw conflict(`You already list ${model} (${upstreamModel}) with this pool key`);
    }

    const now = this.deps.clock.now();
    const listing = this.em.create(Listing, {
      id: this.deps.ids.newId(),
      sellerId,
      poolKeyId: key?.id ?? null,
      model,
      upstreamModel,
      capability,
      inputPriceMicrosPerMTok: prices.input,
      outputPriceMicrosPerMTok: prices.output,
      priceMicrosPerMChars: prices.perMChars,
      cacheReadPriceMicrosPerMTok: cacheReadPrice(capability, input.cacheReadPricePerMTok),
      priceFloorMicros: floor,
      status: ListingStatus.PENDING,
      paused: false,
      dataRetainsPrompts: false,
      dataTrainsOnPrompts: false,
      dataZeroRetention: false,
      createdAt: now,
      updatedAt: now,
    });
    applyCaps(listing, input.caps);
    applyHardware(listing, input.hardware);
    applyMetadata(listing, input, this.deps.registry);
    const contract = this.em.create(Contract, {
      id: this.deps.ids.newId(),
      listingId: listing.id,
      sellerId,
      model,
      state: ContractState.PENDING,
      consecutiveFailures: 0,
      liveFailureStreak: 0,
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    listing.contractId = contract.id;
    if (newHandle) await this.sellers.stage(sellerId, newHandle);
    try {
      await this.em.flush();
    } catch (error) {
      // First listings under one new namespace at once: the unique handle decides. When the winner
      // is this seller (its own listings in parallel), the listing is made again under the handle it now has.
      if (newHandle && error instanceof UniqueConstraintViolationException) {
        const owner = await this.em.fork().findOne(Seller, { handle: newHandle });
        if (owner?.id === sellerId && !retried) {
          this.em.clear();
          return this.create(principal, input, true);
        }
        throw forbidden(`The handle ${newHandle} belongs to another seller`);
      }
      throw error;
    }
    await this.announce(listing, 'created');
    if (key) this.probes.admitInBackground(listing.id);
    return listing;
  }

  /**
   * A check recorded on the listing's contract between our read and our write (another process,
   * or the admission probe of a moment ago) makes the write stale: the update is redone on fresh
   * rows, and only a listing that keeps changing under us answers CONFLICT.
   */
  async update(principal: Principal, id: string, input: UpdateListingInput): Promise<Listing> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.updateOnce(principal, id, input);
      } catch (error) {
        if (!(error instanceof OptimisticLockError)) throw error;
        if (attempt >= UPDATE_ATTEMPTS) throw conflict('The listing changed meanwhile (a check was recorded); try again');
        this.em.clear();
      }
    }
  }

  private async updateOnce(principal: Principal, id: string, input: UpdateListingInput): Promise<Listing> {
    const sellerId = requireSeller(principal);
    const listing = await ownedListing(this.em, sellerId, id);
    const now = this.deps.clock.now();

    let newKey: PoolKey | null = null;
    if (input.poolKeyId === null)
      throw badInput('poolKeyId cannot be removed; give another pool key or delete the listing', { field: 'poolKeyId' });
    if (input.poolKeyId !== undefined && input.poolKeyId !== listing.poolKeyId)
      newKey = await this.usableKey(sellerId, input.poolKeyId, listing.capability);

    if (input.caps !== undefined) applyCaps(listing, input.caps, input.caps === null);
    if (input.hardware !== undefined) applyHardware(listing, input.hardware, input.hardware === null);
    const claimsBefore = claimsKeyOf(claimsOf(listing, this.deps.registry));
    applyMetadata(listing, input, this.deps.registry);
    const claimsChanged = claimsKeyOf(claimsOf(listing, this.deps.registry)) !== claimsBefore;
    if (claimsChanged) {
      // Checks stored before claims were keyed vouch for the old claims only: say so, so they read as stale.
      const stored = await this.em.findOne(ListingVerification, { listingId: listing.id });
      if (stored && stored.claimsKey == null) stored.claimsKey = claimsBefore;
    }
    await this.applyPrices(listing, input, now);
    // A discount on tokens the buyer already paid to cache: it can only lower a price, so no review.
    if (input.cacheReadPricePerMTok !== undefined)
      listing.cacheReadPriceMicrosPerMTok = cacheReadPrice(listing.capability, input.cacheReadPricePerMTok);

    let resetContract: Contract | null = null;
    if (newKey) {
      // New supply behind the listing: it must be admitted again before it is routed.
      listing.poolKeyId = newKey.id;
      resetContract = listing.contractId ? await this.em.findOne(Contract, { id: listing.contractId }) : null;
      if (resetContract) {
        resetContract.state = ContractState.PENDING;
        resetContract.consecutiveFailures = 0;
        resetContract.liveFailureStreak = 0;
        resetContract.updatedAt = now;
      }
      listing.status = listingStatusFor(listing, ContractState.PENDING);
    }
    listing.updatedAt = now;
    await this.flushContract(listing.contractId);
    await this.announce(listing, 'updated');
    if (resetContract)
      await this.deps.bus.publish('contract.changed', {
        contractId: resetContract.id,
        listingId: listing.id,
        model: listing.model,
        state: ContractState.PENDING,
      });
    if (newKey) this.probes.admitInBackground(listing.id);
    else if (claimsChanged && listing.poolKeyId) this.reverifyInBackground(listing);
    return listing;
  }

  /**
   * New claims (context length, parameters) are unverified until checked: the stored verification
   * reads as stale at once (verification.ts currentVerification), and a probe verifies them now:
   * a REVERIFY of an admitted contract, or an admission probe of one still pending.
   */
  private reverifyInBackground(listing: Listing): void {
    const id = listing.id;
    const contractId = listing.contractId;
    this.probes.track(async () => {
      const contract = contractId ? await this.deps.fork().findOne(Contract, { id: contractId }) : null;
      await this.probes.probe(id, contract?.state === ContractState.PENDING ? CheckKind.ADMISSION : CheckKind.REVERIFY);
    });
  }

  async setPaused(principal: Principal, id: string, paused: boolean): Promise<Listing> {
    const listing = await ownedListing(this.em, requireSeller(principal), id);
    if (listing.paused === paused) return listing;
    const contract = listing.contractId ? await this.loaders.contractById.load(listing.contractId) : null;
    listing.paused = paused;
    listing.status = listingStatusFor(listing, contract?.state ?? null);
    listing.updatedAt = this.deps.clock.now();
    await this.em.flush();
    await this.announce(listing, 'updated');
    return listing;
  }

  async confirmPrice(principal: Principal, id: string): Promise<Listing> {
    const listing = await ownedListing(this.em, requireSeller(principal), id);
    const review = await this.em.findOne(PriceReview, { listingId: listing.id, status: PriceReviewStatus.PENDING });
    if (!review) throw conflict('No price change of this listing waits for confirmation');
    const now = this.deps.clock.now();
    if (review.proposedInputMicros != null) listing.inputPriceMicrosPerMTok = review.proposedInputMicros;
    if (review.proposedOutputMicros != null) listing.outputPriceMicrosPerMTok = review.proposedOutputMicros;
    if (review.proposedPerMCharsMicros != null) listing.priceMicrosPerMChars = review.proposedPerMCharsMicros;
    review.status = PriceReviewStatus.CONFIRMED;
    review.resolvedAt = now;
    listing.updatedAt = now;
    await this.em.flush();
    await this.announce(listing, 'price-confirmed');
    return listing;
  }

  /** Soft delete: never routed again; its pending price review is cancelled; its pool key becomes deletable. */
  async delete(principal: Principal, id: string): Promise<Listing> {
    const listing = await ownedListing(this.em, requireSeller(principal), id);
    const now = this.deps.clock.now();
    listing.deletedAt = now;
    listing.updatedAt = now;
    listing.status = ListingStatus.DELETED;
    const review = await this.em.findOne(PriceReview, { listingId: listing.id, status: PriceReviewStatus.PENDING });
    if (review) {
      review.status = PriceReviewStatus.CANCELLED;
      review.resolvedAt = now;
    }
    await this.em.flush();
    await this.announce(listing, 'deleted');
    return listing;
  }

  /** The seller's review queue: price increases waiting for confirmation, newest first (with includeResolved, the history too). */
  async priceReviews(principal: Principal, includeResolved = false): Promise<PriceReview[]> {
    const sellerId = requireSeller(principal);
    const where = includeResolved ? { sellerId } : { sellerId, status: PriceReviewStatus.PENDING };
    return this.em.find(PriceReview, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 500 });
  }

  private async usableKey(sellerId: string, poolKeyId: string, capability: Capability): Promise<PoolKey> {
    const key = await ownedPoolKey(this.em, sellerId, poolKeyId, 'poolKeyId');
    if (!this.deps.catalog.serves(key.provider, capability)) {
      throw badInput(`provider ${key.provider} does not serve ${capability.toUpperCase()}`, { field: 'capability' });
    }
    return key;
  }

  /** Price fields of an update: decreases and small increases now, large increases into review (pricing.ts). */
  private async applyPrices(listing: Listing, input: ListingSettingsInput, now: Date): Promise<void> {
    const requested: Partial<Prices> = {};
    for (const field of PRICE_FIELDS) {
      const name = PRICE_INPUT_FIELD[field];
      const value = input[name];
      if (value === undefined) continue;
      if (value === null) throw badInput(`${name} cannot be cleared`, { field: name });
      requested[field] = validPrice(value as string, name);
    }
    if (requested.perMChars !== undefined && listing.capability !== Capability.SPEECH)
      throw badInput('pricePerMChars is for SPEECH listings only', { field: 'pricePerMChars' });

    const live = pricesOf(listing);
    const plan = planPriceChange(live, requested, this.deps.settings.priceReviewThresholdPercent);
    const after: Prices = { ...live, ...plan.applyNow };
    const floor =
      input.priceFloor === undefined
        ? (listing.priceFloorMicros ?? null)
        : input.priceFloor === null
          ? null
          : validPrice(input.priceFloor, 'priceFloor');
    if (floor !== null && blendedPrice(listing.capability, after) < floor) {
      const lowered = PRICE_FIELDS.find((field) => plan.applyNow[field] !== undefined && plan.applyNow[field]! < (live[field] ?? 0));
      throw badInput(
        lowered ? `${PRICE_INPUT_FIELD[lowered]} would take the listing below its price floor` : 'priceFloor is above the listing price',
        { field: lowered ? PRICE_INPUT_FIELD[lowered] : 'priceFloor' },
      );
    }
    listing.priceFloorMicros = floor;
    listing.inputPriceMicrosPerMTok = after.input;
    listing.outputPriceMicrosPerMTok = after.output;
    listing.priceMicrosPerMChars = after.perMChars;
    if (Object.keys(requested).length === 0) return;

    // One pending review per listing: a new price change replaces it (fields not touched now carry over).
    const existing = await this.em.findOne(PriceReview, { listingId: listing.id, status: PriceReviewStatus.PENDING });
    const pending: Partial<Prices> = { ...plan.pending };
    if (existing) {
      const carried: Partial<Prices> = {
        input: existing.proposedInputMicros ?? undefined,
        output: existing.proposedOutputMicros ?? undefined,
        perMChars: existing.proposedPerMCharsMicros ?? undefined,
      };
      for (const field of PRICE_FIELDS) if (requested[field] === undefined && carried[field] != null) pending[field] = carried[field];
      existing.status = PriceReviewStatus.SUPERSEDED;
      existing.resolvedAt = now;
    }
    const fields = PRICE_FIELDS.filter((field) => pending[field] !== undefined);
    if (fields.length === 0) return;
    this.em.create(PriceReview, {
      id: this.deps.ids.newId(),
      listingId: listing.id,
      sellerId: listing.sellerId,
      status: PriceReviewStatus.PENDING,
      currentInputMicros: after.input,
      currentOutputMicros: after.output,
      currentPerMCharsMicros: after.perMChars,
      proposedInputMicros: pending.input ?? null,
      proposedOutputMicros: pending.output ?? null,
      proposedPerMCharsMicros: pending.perMChars ?? null,
      increasePercent: Math.round(Math.max(...fields.map((field) => increasePercent(after[field], pending[field] as number))) * 100) / 100,
      createdAt: now,
    });
  }

  private async flushContract(contractId: string | null | undefined): Promise<void> {
    const flush = () => this.em.flush();
    await (contractId ? serialized(`contract:${contractId}`, flush) : flush());
  }

  private async announce(listing: Listing, change: ListingChangedEvent['change']): Promise<void> {
    await this.deps.bus.publish('listing.changed', { listingId: listing.id, sellerId: listing.sellerId, model: listing.model, change });
  }
}

export function pricesOf(listing: Pick<Listing, 'inputPriceMicrosPerMTok' | 'outputPriceMicrosPerMTok' | 'priceMicrosPerMChars'>): Prices {
  return {
    input: Number(listing.inputPriceMicrosPerMTok),
    output: Number(listing.outputPriceMicrosPerMTok),
    perMChars: listing.priceMicrosPerMChars == null ? null : Number(listing.priceMicrosPerMChars),
  };
}

/** The cache-read price of a chat listing (null: none); what is charged is never above the input price. */
function cacheReadPrice(capability: Capability, value: string | null | undefined): number | null {
  if (value == null) return null;
  if (capability !== Capability.CHAT) throw badInput('cacheReadPricePerMTok is for CHAT listings only', { field: 'cacheReadPricePerMTok' });
  return validPrice(value, 'cacheReadPricePerMTok');
}

/** Token prices for chat (both required) and embeddings (input required, output 0 by default); per-character price for speech. */
function initialPrices(capability: Capability, input: ListingSettingsInput): Prices {
  const price = (name: 'inputPricePerMTok' | 'outputPricePerMTok' | 'pricePerMChars', required: boolean): number | null => {
    const value = input[name];
    if (value == null) {
      if (required) throw badInput(`${name} is required for ${capability.toUpperCase()} listings`, { field: name });
      return null;
    }
    return validPrice(value, name);
  };
  if (capability === Capability.SPEECH) {
    return {
      input: price('inputPricePerMTok', false) ?? 0,
      output: price('outputPricePerMTok', false) ?? 0,
      perMChars: price('pricePerMChars', true),
    };
  }
  if (input.pricePerMChars != null) throw badInput('pricePerMChars is for SPEECH listings only', { field: 'pricePerMChars' });
  return {
    input: price('inputPricePerMTok', true)!,
    output: price('outputPricePerMTok', capability === Capability.CHAT) ?? 0,
    perMChars: null,
  };
}

/** Caps: with `replace` (caps: null) all are cleared; otherwise each given field is set (null clears it). */
function applyCaps(listing: Listing, caps: CapsInput | null | undefined, replace = false): void {
  if (replace) {
    listing.capRpm = listing.capTpm = listing.capMaxConcurrency = listing.capDailyTokens = null;
    return;
  }
  if (!caps) return;
  const set = <K extends keyof CapsInput>(name: K, min: number, max: number) => validInt(caps[name], `caps.${name}`, min, max);
  const rpm = set('rpm', 1, 1_000_000);
  const tpm = set('tpm', 1, 1_000_000_000);
  const maxConcurrency = set('maxConcurrency', 1, 100_000);
  const dailyTokens = set('dailyTokens', 1, 1_000_000_000_000);
  if (rpm !== undefined) listing.capRpm = rpm;
  if (tpm !== undefined) listing.capTpm = tpm;
  if (maxConcurrency !== undefined) listing.capMaxConcurrency = maxConcurrency;
  if (dailyTokens !== undefined) listing.capDailyTokens = dailyTokens;
}

function applyHardware(listing: Listing, hardware: HardwareInput | null | undefined, replace = false): void {
  if (replace) {
    listing.gpuModel = null;
    listing.gpuCount = null;
    return;
  }
  if (!hardware) return;
  if (hardware.gpuModel !== undefined)
    listing.gpuModel = hardware.gpuModel === null ? null : validName(hardware.gpuModel, 'hardware.gpuModel');
  const count = validInt(hardware.gpuCount, 'hardware.gpuCount', 1, 100_000);
  if (count !== undefined) listing.gpuCount = count;
}
