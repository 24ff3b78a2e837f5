// The market domain rules: who may list what, at which price.
import type { EntityManager } from '@mikro-orm/core';
import type { Clock, IdGenerator } from '../../common/runtime';
import { accountOf, type Principal } from '../../common/principal';
import { badInput, forbidden, unauthenticated } from '../../common/errors';
import { usdToMicros } from '../../common/money';
import { Capability, Listing, ListingStatus } from '../entities/Listing';
import type { MarketLoaders } from '../loaders';

export interface MarketDeps {
  clock: Clock;
  ids: IdGenerator;
}

const PUBLIC_MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,63}\/[a-z0-9][a-z0-9._:-]{0,127}$/;
/** $10,000 per million tokens: a ceiling that catches a misplaced decimal point. */
const MAX_PRICE_MICROS = 10_000 * 1_000_000;

export class MarketService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: MarketLoaders,
    private readonly deps: MarketDeps,
  ) {}

  async createListing(principal: Principal, input: { model: string; upstreamModel?: string | null; capability?: Capability | null; inputPricePerMTok: string; outputPricePerMTok: string }): Promise<Listing> {
    const sellerId = requireSeller(principal);
    const model = input.model.trim();
    if (!PUBLIC_MODEL_ID.test(model)) throw badInput('model must look like `vendor/name` (lowercase letters, digits, `.`, `-`, `_`)', { field: 'model' });
    const upstreamModel = (input.upstreamModel ?? model).trim();
    if (upstreamModel.length === 0 || upstreamModel.length > 200) throw badInput('upstreamModel must be 1 to 200 characters', { field: 'upstreamModel' });
    const listing = this.em.create(Listing, {
      id: this.deps.ids.newId(),
      sellerId,
      model,
      upstreamModel,
      capability: input.capability ?? Capability.CHAT,
      inputPriceMicrosPerMTok: parsePrice(input.inputPricePerMTok, 'inputPricePerMTok'),
      outputPriceMicrosPerMTok: parsePrice(input.outputPricePerMTok, 'outputPricePerMTok'),
      status: ListingStatus.PENDING,
      createdAt: this.deps.clock.now(),
    });
    await this.em.flush();
    return listing;
  }

  async myListings(principal: Principal): Promise<Listing[]> {
    return this.loaders.listingsBySeller.load(requireSeller(principal));
  }

  /** A seller's listings, shown to the seller only. */
  async listingsOf(principal: Principal, sellerId: string): Promise<Listing[]> {
    return accountOf(principal) === sellerId && principal.kind !== 'buyer-key' ? this.loaders.listingsBySeller.load(sellerId) : [];
  }
}

function requireSeller(principal: Principal): string {
  const accountId = accountOf(principal);
  if (!accountId) throw unauthenticated();
  if (principal.kind === 'buyer-key') throw forbidden('A buyer key can only call inference routes');
  if (principal.kind === 'management' && principal.scope === 'buyer') throw forbidden('This management key has buyer scope');
  return accountId;
}

function parsePrice(value: string, field: string): number {
  let micros: number;
  try {
    micros = usdToMicros(value);
  } catch {
    throw badInput(`${field} must be a USD amount with at most 6 decimals`, { field });
  }
  if (micros < 0 || micros > MAX_PRICE_MICROS) throw badInput(`${field} must be between 0 and 10000`, { field });
  return micros;
}
