// The network domain rules: jobs in, feed out.
import type { EntityManager } from '@mikro-orm/knex';
import type { EventBus } from '../../common/bus';
import type { JobFinishedEvent } from '../../common/events';
import { badInput } from '../../common/errors';
import { JobFeedEntry } from '../entities/JobFeedEntry';
import { fps } from './dashboard';
import { addToRollup, mergeRollupRows, rollupRowsFor, type NetworkJobEvent } from './rollups';

export const JOB_FEED_MAX_LIMIT = 200;

export class NetworkService {
  constructor(private readonly em: EntityManager) {}

  async recentJobs(limit: number): Promise<JobFeedEntry[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > JOB_FEED_MAX_LIMIT)
      throw badInput(`limit must be an integer from 1 to ${JOB_FEED_MAX_LIMIT}`, { field: 'limit' });
    return this.em.find(JobFeedEntry, {}, { orderBy: { startedAt: 'desc', id: 'desc' }, limit });
  }
}

/** Output units (tokens or characters) per second over a job, 1 decimal; null without units or time. */
export function outputPerSecond(job: Pick<JobFeedEntry, 'outputUnits' | 'startedAt' | 'finishedAt'>): number | null {
  const ms = job.finishedAt ? new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime() : 0;
  return job.outputUnits && ms > 0 ? fps(job.outputUnits, ms) : null;
}

/** A duration as the NaaP feed shows it: "850ms", "42s", "2m 22s", "1h 3m 4s". */
export function formatRunningFor(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const total = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/**
 * Stores finished jobs once each (the request id is the key; a redelivered event is ignored),
 * adds the new ones to their rollup rows (one upsert per distinct row, not per job), and
 * announces them to this replica's feed subscribers. One transaction per batch.
 */
export async function recordJobs(em: EntityManager, bus: EventBus, events: readonly NetworkJobEvent[]): Promise<void> {
  const fresh = await em.transactional(async (tx) => {
    const stored: NetworkJobEvent[] = [];
    for (const event of events) if (await insertJob(tx as EntityManager, event)) stored.push(event);
    for (const row of mergeRollupRows(stored.flatMap(rollupRowsFor))) await addToRollup(tx as EntityManager, row);
    return stored;
  });
  for (const event of fresh) await bus.publish('job.recorded', { id: event.id, pipeline: event.pipeline, model: event.model });
}

export function recordJob(em: EntityManager, bus: EventBus, event: NetworkJobEvent): Promise<void> {
  return recordJobs(em, bus, [event]);
}

/** Buffers job events for a few milliseconds so that a busy network writes them in batches. */
export class JobRecorder {
  private queue: NetworkJobEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (events: NetworkJobEvent[]) => Promise<void>,
    private readonly onLost: (error: unknown, jobs: number) => void = () => {},
    private readonly delayMs = 20,
    private readonly maxBatch = 500,
  ) {}

  push(event: NetworkJobEvent): void {
    this.queue.push(event);
    if (this.queue.length >= this.maxBatch)
      void this.flush(); // never rejects: a lost batch is reported through onLost
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Writes what is queued (batches one after another); resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0)
      this.writing = this.writing
        .then(() => this.write(batch))
        .catch((error: unknown) => {
          // A batch that cannot be stored is dropped (the job feed is not money), and said so.
          this.onLost(error, batch.length);
        });
    return this.writing;
  }
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
      failureClass: event.failure ? event.failure.slice(0, 32) : null,
      swappedFrom: event.swappedFrom?.length ? event.swappedFrom.join(',') : null,
    })
    .onConflict('id')
    .ignore()
    .execute('run');
  return (inserted as { affectedRows?: number }).affectedRows !== 0;
}
