import DataLoader from 'dataloader';
import { raw, type EntityManager } from '@mikro-orm/knex';
import { JobFeedEntry } from './entities/JobFeedEntry';

export function createNetworkLoaders(em: EntityManager) {
  return {
    jobById: new DataLoader<string, JobFeedEntry | null>(async (ids) => {
      const rows = await em.find(JobFeedEntry, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    jobCountByListing: new DataLoader<string, number>(async (listingIds) => {
      const rows: { listing_id: string; jobs: number | string }[] = await em
        .createQueryBuilder(JobFeedEntry)
        .select(['listingId', raw('count(*) as jobs')])
        .where({ listingId: { $in: [...listingIds] } })
        .groupBy('listingId')
        .execute('all', false);
      const counts = new Map(rows.map((row) => [row.listing_id, Number(row.jobs)]));
      return listingIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}
export type NetworkLoaders = ReturnType<typeof createNetworkLoaders>;
