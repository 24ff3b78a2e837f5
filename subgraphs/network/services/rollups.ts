// Hourly rollups: each recorded job is added to its (hour, pipeline, model, listing) row, and old
// jobs and rollups are deleted on a schedule. Every dashboard figure reads these rows only.
import { raw, type EntityManager } from '@mikro-orm/knex';
import type { JobFinishedEvent } from '../../common/events';
import { HourlyRollup } from '../entities/HourlyRollup';
import { JobFeedEntry } from '../entities/JobFeedEntry';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A job event as network reads it: `costMicros` (what the buyer paid) feeds fees and pricing; without it a job adds no fees. */
export type NetworkJobEvent = JobFinishedEvent;

export const hourOf = (time: Date | number): Date => new Date(Math.floor(new Date(time).getTime() / HOUR_MS) * HOUR_MS);

const nonNegativeInt = (value: number | null | undefined): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;

/**
 * The rollup rows one job adds to: the row of the listing that served it (or '' when none did),
 * and for each listing it was sent to first that failed it, that listing's row with one swap away.
 */
export function rollupRowsFor(event: NetworkJobEvent): HourlyRollup[] {
  const served = rollupRowFor(event);
  const swaps = [...new Set(event.swappedFrom ?? [])].filter((listingId) => listingId && listingId !== event.listingId);
  return [
    served,
    ...swaps.map((listingId) => {
      const row = new HourlyRollup();
      row.id = `${served.hour.toISOString()}|${event.pipeline}|${event.model}|${listingId}`;
      Object.assign(row, {
        hour: served.hour,
        pipeline: event.pipeline,
        model: event.model,
        listingId,
        sellerId: null,
        sessions: 0,
        successes: 0,
        durationMs: 0,
        outputUnits: 0,
        latencyMsSum: 0,
        feesMicros: 0,
        swapsAway: 1,
        lastSeenAt: served.lastSeenAt,
      });
      return row;
    }),
  ];
}

/** Rows with the same id summed into one (a batch of jobs becomes one upsert per row). Pure. */
export function mergeRollupRows(rows: readonly HourlyRollup[]): HourlyRollup[] {
  const merged = new Map<string, HourlyRollup>();
  for (const next of rows) {
    const row = merged.get(next.id);
    if (!row) {
      merged.set(next.id, Object.assign(new HourlyRollup(), next));
      continue;
    }
    row.sessions += next.sessions;
    row.successes += next.successes;
    row.durationMs += next.durationMs;
    row.outputUnits += next.outputUnits;
    row.latencyMsSum += next.latencyMsSum;
    row.feesMicros += next.feesMicros;
    row.swapsAway += next.swapsAway;
    row.sellerId ??= next.sellerId;
    if (next.lastSeenAt > row.lastSeenAt) row.lastSeenAt = next.lastSeenAt;
  }
  return [...merged.values()];
}

export function rollupRowFor(event: NetworkJobEvent): HourlyRollup {
  const started = new Date(event.startedAt);
  const finished = new Date(event.finishedAt);
  const hour = hourOf(started);
  const listingId = event.listingId ?? '';
  const row = new HourlyRollup();
  row.id = `${hour.toISOString()}|${event.pipeline}|${event.model}|${listingId}`;
  row.hour = hour;
  row.pipeline = event.pipeline;
  row.model = event.model;
  row.listingId = listingId;
  row.sellerId = event.sellerId ?? null;
  row.sessions = 1;
  // A buyer's cancellation is not the seller's failure: it counts as served.
  row.successes = event.status === 'failed' ? 0 : 1;
  row.durationMs = nonNegativeInt(finished.getTime() - started.getTime());
  row.outputUnits = nonNegativeInt(event.outputUnits);
  row.latencyMsSum = nonNegativeInt(event.latencyMs);
  row.feesMicros = event.status === 'failed' ? 0 : nonNegativeInt(event.costMicros);
  row.swapsAway = 0;
  row.lastSeenAt = finished;
  return row;
}

/** Adds a merged row to the stored one: one atomic upsert, safe with concurrent writers. */
export async function addToRollup(em: EntityManager, row: HourlyRollup): Promise<void> {
  const sum = (column: string) => raw(`"job_hourly"."${column}" + excluded."${column}"`);
  await em
    .createQueryBuilder(HourlyRollup)
    .insert({ ...row })
    .onConflict('id')
    .merge({
      sessions: sum('sessions'),
      successes: sum('successes'),
      durationMs: sum('duration_ms'),
      outputUnits: sum('output_units'),
      latencyMsSum: sum('latency_ms_sum'),
      feesMicros: sum('fees_micros'),
      swapsAway: sum('swaps_away'),
      sellerId: raw(`coalesce("job_hourly"."seller_id", excluded."seller_id")`),
      lastSeenAt: raw(
        `case when excluded."last_seen_at" > "job_hourly"."last_seen_at" then excluded."last_seen_at" else "job_hourly"."last_seen_at" end`,
      ),
    } as never)
    .execute('run');
}

export interface RetentionSettings {
  jobRetentionDays: number;
  rollupRetentionDays: number;
}

/** Deletes jobs (the feed) older than jobRetentionDays and rollups older than rollupRetentionDays. */
export async function applyRetention(
  em: EntityManager,
  now: Date,
  settings: RetentionSettings,
): Promise<{ jobs: number; rollups: number }> {
  const jobs = await em.nativeDelete(JobFeedEntry, { startedAt: { $lt: new Date(now.getTime() - settings.jobRetentionDays * DAY_MS) } });
  const rollups = await em.nativeDelete(HourlyRollup, { hour: { $lt: new Date(now.getTime() - settings.rollupRetentionDays * DAY_MS) } });
  return { jobs, rollups };
}

export interface RollupFilter {
  pipeline?: string | null;
  model?: string | null;
}

/** The rollup rows of hours in [from, to). */
export function rowsBetween(em: EntityManager, from: Date, to: Date, filter: RollupFilter = {}): Promise<HourlyRollup[]> {
  return em.find(
    HourlyRollup,
    {
      hour: { $gte: from, $lt: to },
      ...(filter.pipeline ? { pipeline: filter.pipeline } : {}),
      ...(filter.model ? { model: filter.model } : {}),
    },
    { disableIdentityMap: true },
  );
}
