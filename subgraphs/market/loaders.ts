import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/core';
import { Listing } from './entities/Listing';

export function createMarketLoaders(em: EntityManager) {
  return {
    listingById: new DataLoader<string, Listing | null>(async (ids) => {
      const rows = await em.find(Listing, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    listingsBySeller: new DataLoader<string, Listing[]>(async (sellerIds) => {
      const rows = await em.find(Listing, { sellerId: { $in: [...sellerIds] } }, { orderBy: { createdAt: 'desc', id: 'desc' } });
      return sellerIds.map((sellerId) => rows.filter((row) => row.sellerId === sellerId));
    }),
  };
}
export type MarketLoaders = ReturnType<typeof createMarketLoaders>;
