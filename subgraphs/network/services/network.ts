// The network domain rules: jobs in, feed out.
import type { EntityManager } from '@mikro-orm/knex';
import type { EventBus } from '../../common/bus';
import type { JobFinishedEvent } from '../../common/events';
import { badInput } from '../../common/errors';
import { JobFeedEntry } from '../entities/JobFeedEntry';
import { addToRollup, type NetworkJobEvent } from './rollups';

export const JOB_FEED_MAX_LIMIT = 200;

export class NetworkService {
  constructor(private readonly em: EntityManager) {}

  async recentJobs(limit: number): Promise<JobFeedEntry[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > JOB_FEED_MAX_LIMIT) throw badInput(`limit must be an integer from 1 to ${JOB_FEED_MAX_LIMIT}`, { field: 'limit' });
    return this.em.find(JobFeedEntry, {}, { orderBy: { startedAt: 'desc', id: 'desc' }, limit });
  }
}

/**
 * Stores each finished job once (the request id is the key; a redelivered event is ignored), adds
 * it to its hourly rollup in the same transaction, and announces it to this replica's feed subscribers.
 */
export async function recordJob(em: EntityManager, bus: EventBus, event: JobFinishedEvent | NetworkJobEvent): Promise<void> {
  const fresh = await em.transactional(async (tx) => {
    const inserted = await insertJob(tx as EntityManager, event);
    if (inserted) await addToRollup(tx as EntityManager, event);
    return inserted;
  });
  if (!fresh) return;
  await bus.publish('job.recorded', { id: event.id, pipeline: event.pipeline, model: event.model });
}

async function insertJob(em: EntityManager, event: JobFinishedEvent): Promise<boolean> {
  const inserted = await em
    .createQueryBuilder(JobFeedEntry)
    .insert({
      id: event.id,
      pipeline: event.pipeline,
      model: event.model,
      status: event.status,
      startedAt: new Date(event.startedAt),
      finishedAt: new Date(event.finishedAt),
      latencyMs: Math.max(0, Math.round(event.latencyMs)),
      timeToFirstTokenMs: event.timeToFirstTokenMs ?? null,
      outputUnits: event.outputUnits ?? null,
      listingId: event.listingId ?? null,
      sellerId: event.sellerId ?? null,
      gateway: event.gateway ?? null,
    })
    .onConflict('id')
    .ignore()
    .execute('run');
  return (inserted as { affectedRows?: number }).affectedRows !== 0;
}
