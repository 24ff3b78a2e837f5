// Per-request DataLoaders: every lookup by id or by parent, from a resolver or a federation
// reference, is one SQL statement per request tick however many ids ask.
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/core';
import { Contract } from './entities/Contract';
import { Listing, ListingStatus } from './entities/Listing';
import { ListingVerification } from './entities/ListingVerification';
import { PoolKey, PoolKeyStatus } from './entities/PoolKey';
import { PriceReview, PriceReviewStatus } from './entities/PriceReview';
import { RoutingProfile } from './entities/RoutingProfile';
import { Seller } from './entities/Seller';

function byId<T extends { id: string }>(em: EntityManager, entity: new () => T) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = (await em.find(entity, { id: { $in: [...ids] } } as never)) as T[];
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

function groupBy<T>(keys: readonly string[], rows: readonly T[], keyOf: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

export function createMarketLoaders(em: EntityManager) {
  return {
    /** Any listing, deleted ones included (traffic history refers to them). */
    listingById: byId(em, Listing),
    poolKeyById: byId(em, PoolKey),
    contractById: byId(em, Contract),
    routingProfileById: byId(em, RoutingProfile),
    /** A seller's public record by account id (null: it never took a handle). */
    sellerById: byId(em, Seller),
    listingsBySeller: new DataLoader<string, Listing[]>(async (sellerIds) => {
      const rows = await em.find(
        Listing,
        { sellerId: { $in: [...sellerIds] }, deletedAt: null },
        { orderBy: { createdAt: 'desc', id: 'desc' } },
      );
      return groupBy(sellerIds, rows, (row) => row.sellerId);
    }),
    poolKeysBySeller: new DataLoader<string, PoolKey[]>(async (sellerIds) => {
      const rows = await em.find(
        PoolKey,
        { sellerId: { $in: [...sellerIds] }, status: { $ne: PoolKeyStatus.DELETED } },
        { orderBy: { createdAt: 'desc', id: 'desc' } },
      );
      return groupBy(sellerIds, rows, (row) => row.sellerId);
    }),
    contractsByListing: new DataLoader<string, Contract[]>(async (listingIds) => {
      const rows = await em.find(Contract, { listingId: { $in: [...listingIds] } }, { orderBy: { createdAt: 'desc', id: 'desc' } });
      return groupBy(listingIds, rows, (row) => row.listingId);
    }),
    pendingReviewByListing: new DataLoader<string, PriceReview | null>(async (listingIds) => {
      const rows = await em.find(PriceReview, { listingId: { $in: [...listingIds] }, status: PriceReviewStatus.PENDING });
      return groupBy(listingIds, rows, (row) => row.listingId).map((group) => group[0] ?? null);
    }),
    /** Routable listings (status ACTIVE: contract ACTIVE or DEGRADED, not paused, not deleted) of each public model. */
    routableListingsByModel: new DataLoader<string, Listing[]>(async (models) => {
      const rows = await em.find(
        Listing,
        { model: { $in: [...models] }, status: ListingStatus.ACTIVE, deletedAt: null, paused: false },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      return groupBy(models, rows, (row) => row.model);
    }),
    /** Each listing's latest verification (null: never verified). */
    verificationByListing: new DataLoader<string, ListingVerification | null>(async (listingIds) => {
      const rows = await em.find(ListingVerification, { listingId: { $in: [...listingIds] } });
      const found = new Map(rows.map((row) => [row.listingId, row]));
      return listingIds.map((id) => found.get(id) ?? null);
    }),
    routingProfilesByAccount: new DataLoader<string, RoutingProfile[]>(async (accountIds) => {
      const rows = await em.find(RoutingProfile, { accountId: { $in: [...accountIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return groupBy(accountIds, rows, (row) => row.accountId);
    }),
  };
}
export type MarketLoaders = ReturnType<typeof createMarketLoaders>;
