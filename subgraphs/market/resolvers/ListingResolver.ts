import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { Contract } from '../entities/Contract';
import { Listing } from '../entities/Listing';
import { ListingVerification } from '../entities/ListingVerification';
import { PoolKey } from '../entities/PoolKey';
import { PriceReview } from '../entities/PriceReview';
import { seesSupplyOf } from '../services/access';
import { CreateListingInput, Hardware, ListingCaps, ListingDataPolicy, UpdateListingInput } from '../types/listings';
import { Account } from '../types/references';
import type { MarketContext } from '../context';

@Resolver(() => Listing)
export class ListingResolver {
  @Query(() => [Listing], { description: 'Your listings, newest first (deleted ones omitted).' })
  myListings(@Ctx() ctx: MarketContext): Promise<Listing[]> {
    return ctx.listings.myListings(ctx.principal);
  }

  @Query(() => Listing, { description: 'One of your listings.' })
  listing(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<Listing> {
    return ctx.listings.get(ctx.principal, id);
  }

  @Mutation(() => Listing, {
    description:
      'List a model for sale through one of your pool keys. It starts PENDING; an admission probe runs right away in the background, and it is routable once admitted.',
  })
  createListing(@Arg('input', () => CreateListingInput) input: CreateListingInput, @Ctx() ctx: MarketContext): Promise<Listing> {
    return ctx.listings.create(ctx.principal, input);
  }

  @Mutation(() => Listing, {
    description:
      'Change caps, price floor, prices, hardware, metadata or pool key. A changed context length or parameter list is verified again (the old checks no longer count). Decreases apply at once; an increase above the review threshold waits for confirmListingPrice.',
  })
  updateListing(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateListingInput) input: UpdateListingInput,
    @Ctx() ctx: MarketContext,
  ): Promise<Listing> {
    return ctx.listings.update(ctx.principal, id, input);
  }

  @Mutation(() => Listing, { description: 'Apply the price change waiting in review. CONFLICT when none waits.' })
  confirmListingPrice(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<Listing> {
    return ctx.listings.confirmPrice(ctx.principal, id);
  }

  @Mutation(() => Listing, { description: 'Pause (not routed, not re-checked) or resume a listing; its contract is kept.' })
  setListingPaused(
    @Arg('id', () => ID) id: string,
    @Arg('paused', () => Boolean) paused: boolean,
    @Ctx() ctx: MarketContext,
  ): Promise<Listing> {
    return ctx.listings.setPaused(ctx.principal, id, paused);
  }

  @Mutation(() => Listing, { description: 'Delete a listing (soft: never routed again; status DELETED).' })
  deleteListing(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<Listing> {
    return ctx.listings.delete(ctx.principal, id);
  }

  @FieldResolver(() => Account)
  seller(@Root() listing: Listing): Account {
    return { id: listing.sellerId };
  }

  @FieldResolver(() => Money, { description: 'USD per million input tokens (the live price).' })
  inputPricePerMTok(@Root() listing: Listing): Money {
    return Money.of(Number(listing.inputPriceMicrosPerMTok));
  }

  @FieldResolver(() => Money, { description: 'USD per million output tokens (the live price).' })
  outputPricePerMTok(@Root() listing: Listing): Money {
    return Money.of(Number(listing.outputPriceMicrosPerMTok));
  }

  @FieldResolver(() => Money, {
    nullable: true,
    description: 'Chat: USD per million cached prompt tokens (null: they cost the input price).',
  })
  cacheReadPricePerMTok(@Root() listing: Listing): Money | null {
    return listing.cacheReadPriceMicrosPerMTok == null ? null : Money.of(Number(listing.cacheReadPriceMicrosPerMTok));
  }

  @FieldResolver(() => Money, { nullable: true, description: 'Speech: USD per million characters (the live price).' })
  pricePerMChars(@Root() listing: Listing): Money | null {
    return listing.priceMicrosPerMChars == null ? null : Money.of(Number(listing.priceMicrosPerMChars));
  }

  @FieldResolver(() => ListingCaps)
  caps(@Root() listing: Listing): ListingCaps {
    return {
      rpm: listing.capRpm ?? null,
      tpm: listing.capTpm ?? null,
      maxConcurrency: listing.capMaxConcurrency ?? null,
      dailyTokens: listing.capDailyTokens == null ? null : Number(listing.capDailyTokens),
    };
  }

  @FieldResolver(() => Hardware, { nullable: true, description: 'Declared GPUs; null when none were declared.' })
  hardware(@Root() listing: Listing): Hardware | null {
    return listing.gpuModel == null && listing.gpuCount == null
      ? null
      : { gpuModel: listing.gpuModel ?? null, gpuCount: listing.gpuCount ?? null };
  }

  // Metadata: public (buyers choose supply by it); what a canonical model fills in shows as the listing's own.
  @FieldResolver(() => Int, {
    nullable: true,
    description: "Tokens of context the supply takes (a canonical model's when not declared); null: unknown.",
  })
  contextLength(@Root() listing: Listing, @Ctx() ctx: MarketContext): number | null {
    return ctx.listings.metadataOf(listing).contextLength;
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: "The longest completion in tokens (a canonical model's when not declared); null: unknown.",
  })
  maxOutputTokens(@Root() listing: Listing, @Ctx() ctx: MarketContext): number | null {
    return ctx.listings.metadataOf(listing).maxOutputTokens;
  }

  @FieldResolver(() => [String], {
    description:
      "CHAT: the request parameters it honours, a canonical model's and the declared ones (what routing and verification go by); other capabilities: [].",
  })
  supportedParameters(@Root() listing: Listing, @Ctx() ctx: MarketContext): string[] {
    return ctx.listings.metadataOf(listing).supportedParameters;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'int4, int8, fp4, fp6, fp8, fp16, bf16, fp32 or unknown; null: not declared.',
  })
  quantization(@Root() listing: Listing): string | null {
    return listing.quantization ?? null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Where the supply runs, e.g. `us`, `eu-west`; null: not declared.' })
  region(@Root() listing: Listing): string | null {
    return listing.region ?? null;
  }

  @FieldResolver(() => ListingDataPolicy, {
    description: 'What happens to prompts at the provider, as declared (all false unless the seller says otherwise).',
  })
  dataPolicy(@Root() listing: Listing, @Ctx() ctx: MarketContext): ListingDataPolicy {
    return ctx.listings.metadataOf(listing).dataPolicy;
  }

  @FieldResolver(() => ListingVerification, {
    description:
      'The latest verification of its claims (the canonical model it lists, the capabilities it declares): public, so buyers see it too.',
  })
  verification(@Root() listing: Listing, @Ctx() ctx: MarketContext): Promise<ListingVerification> {
    return ctx.listings.verificationOf(listing);
  }

  @FieldResolver(() => Boolean)
  paused(@Root() listing: Listing): boolean {
    return listing.paused;
  }

  @FieldResolver(() => String, { nullable: true, description: 'The model name at the provider (the seller only; null for anyone else).' })
  upstreamModel(@Root() listing: Listing, @Ctx() ctx: MarketContext): string | null {
    return seesSupplyOf(ctx.principal, listing.sellerId) ? listing.upstreamModel : null;
  }

  @FieldResolver(() => Money, { nullable: true, description: 'The price floor (the seller only).' })
  priceFloor(@Root() listing: Listing, @Ctx() ctx: MarketContext): Money | null {
    return seesSupplyOf(ctx.principal, listing.sellerId) && listing.priceFloorMicros != null
      ? Money.of(Number(listing.priceFloorMicros))
      : null;
  }

  @FieldResolver(() => PoolKey, { nullable: true, description: 'The pool key it calls through (the seller only; null for a draft).' })
  poolKey(@Root() listing: Listing, @Ctx() ctx: MarketContext): Promise<PoolKey | null> | null {
    return listing.poolKeyId && seesSupplyOf(ctx.principal, listing.sellerId) ? ctx.loaders.poolKeyById.load(listing.poolKeyId) : null;
  }

  @FieldResolver(() => Contract, { nullable: true, description: 'Its current contract (the seller only).' })
  contract(@Root() listing: Listing, @Ctx() ctx: MarketContext): Promise<Contract | null> | null {
    return listing.contractId && seesSupplyOf(ctx.principal, listing.sellerId) ? ctx.loaders.contractById.load(listing.contractId) : null;
  }

  @FieldResolver(() => PriceReview, {
    nullable: true,
    description: 'The price increase waiting for confirmation, if any (the seller only).',
  })
  pendingPriceReview(@Root() listing: Listing, @Ctx() ctx: MarketContext): Promise<PriceReview | null> | null {
    return seesSupplyOf(ctx.principal, listing.sellerId) ? ctx.loaders.pendingReviewByListing.load(listing.id) : null;
  }
}
