// The network overview's figures, all computed from hourly rollups. Windows are whole UTC hours:
// a window of H hours is the current hour and the H-1 before it. Facts other subgraphs own are
// theirs to add through federation: declared GPUs (market: GPUCapacity, OrchestratorRow.gpuCount)
// and the sellers' reserve held (billing: Protocol.totalStakedLPT).
import type { EntityManager } from '@mikro-orm/knex';
import { badInput, DomainError, isDomainError } from '../../common/errors';
import type { Clock } from '../../common/runtime';
import type { HourlyRollup } from '../entities/HourlyRollup';
import type { NetworkSettings } from '../settings';
import { DAY_MS, HOUR_MS, hourOf, rowsBetween, type RollupFilter } from './rollups';
import type {
  FeesInfo,
  GPUCapacity,
  KPI,
  MetricDelta,
  OrchestratorRow,
  PipelineCatalogEntry,
  PipelinePricing,
  PipelineUsage,
  Protocol,
} from '../types/dashboard';

export const DEFAULT_TIMEFRAME_HOURS = 24;
export const MAX_TIMEFRAME_HOURS = 168;
export const DEFAULT_PIPELINE_LIMIT = 5;
export const MAX_PIPELINE_LIMIT = 200;
export const DEFAULT_FEE_DAYS = 180;
export const MIN_FEE_DAYS = 7;
export const MAX_FEE_DAYS = 365;
const PRICING_WINDOW_HOURS = 168;
const CATALOG_WINDOW_HOURS = 30 * 24;

export const PIPELINES: Record<string, { name: string; color: string; unit: string }> = {
  llm: { name: 'LLM', color: '#8b5cf6', unit: 'token' },
  embeddings: { name: 'Embeddings', color: '#06b6d4', unit: 'token' },
  'text-to-speech': { name: 'Text to speech', color: '#f59e0b', unit: 'character' },
};

// ---- argument rules ---------------------------------------------------------------------------

/** Hours, clamped to 1–168; absent or not a number → 24. Accepts "24", "24h", 24. */
export function parseTimeframe(value: string | number | null | undefined): number {
  if (value === null || value === undefined || value === '') return DEFAULT_TIMEFRAME_HOURS;
  const match = /^\s*(\d+(?:\.\d+)?)\s*h?\s*$/i.exec(String(value));
  if (!match) return DEFAULT_TIMEFRAME_HOURS;
  return Math.min(MAX_TIMEFRAME_HOURS, Math.max(1, Math.round(Number(match[1]))));
}

/** A period such as `12h`, `7d`, or bare hours; default 24h; clamped to 1–168 hours. */
export function parsePeriod(value: string | null | undefined): number {
  if (!value) return DEFAULT_TIMEFRAME_HOURS;
  const match = /^\s*(\d+)\s*([hd]?)\s*$/i.exec(value);
  if (!match) return DEFAULT_TIMEFRAME_HOURS;
  const hours = Number(match[1]) * (match[2].toLowerCase() === 'd' ? 24 : 1);
  return Math.min(MAX_TIMEFRAME_HOURS, Math.max(1, hours));
}

export function clampLimit(value: number | null | undefined): number {
  if (value === null || value === undefined || !Number.isFinite(value)) return DEFAULT_PIPELINE_LIMIT;
  return Math.min(MAX_PIPELINE_LIMIT, Math.max(1, Math.trunc(value)));
}

/** Optional; if given, an integer 7–365. */
export function checkFeeDays(value: number | null | undefined): number {
  if (value === null || value === undefined) return DEFAULT_FEE_DAYS;
  if (!Number.isInteger(value) || value < MIN_FEE_DAYS || value > MAX_FEE_DAYS)
    throw badInput(`Invalid days: ${value} (an integer from ${MIN_FEE_DAYS} to ${MAX_FEE_DAYS})`, { field: 'days' });
  return value;
}

// ---- arithmetic -------------------------------------------------------------------------------

const round = (value: number, decimals: number) => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};
const minutes = (durationMs: number) => round(durationMs / 60_000, 2);
const percentOf = (part: number, whole: number) => (whole > 0 ? round((part * 100) / whole, 1) : 0);

/** Percent change (1 decimal); 0 when both are 0, 100 when only the previous is 0. */
export function percentChange(current: number, previous: number, decimals = 1): number {
  if (previous === 0) return current === 0 ? 0 : 100;
  return round(((current - previous) * 100) / previous, decimals);
}

/** Percent change (2 decimals), or null when the previous is 0. */
const changeOrNull = (current: number, previous: number) => (previous === 0 ? null : round(((current - previous) * 100) / previous, 2));

export function formatOutputPerDollar(units: number, unit: string): string {
  const compact =
    units >= 1e9
      ? `${round(units / 1e9, 1)}B`
      : units >= 1e6
        ? `${round(units / 1e6, 1)}M`
        : units >= 1e3
          ? `${Math.round(units / 1e3)}K`
          : `${Math.round(units)}`;
  return `~${compact} ${unit}s`;
}

interface Totals {
  sessions: number;
  successes: number;
  durationMs: number;
  outputUnits: number;
  feesMicros: number;
  listings: Set<string>;
}

function totals(rows: HourlyRollup[]): Totals {
  const sum: Totals = { sessions: 0, successes: 0, durationMs: 0, outputUnits: 0, feesMicros: 0, listings: new Set() };
  for (const row of rows) {
    sum.sessions += row.sessions;
    sum.successes += row.successes;
    sum.durationMs += Number(row.durationMs);
    sum.outputUnits += Number(row.outputUnits);
    sum.feesMicros += Number(row.feesMicros);
    // A listing counts as serving only with a session (a row can hold only swaps away from it).
    if (row.listingId && row.sessions > 0) sum.listings.add(row.listingId);
  }
  return sum;
}

/** Output units per second over an inference time, 1 decimal (NaaP's "fps"); 0 without time. */
export const fps = (outputUnits: number, durationMs: number) => (durationMs > 0 ? round((outputUnits * 1000) / durationMs, 1) : 0);

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

// ---- the service ------------------------------------------------------------------------------

export class DashboardService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly settings: NetworkSettings,
    private readonly reputation: { slaScore(listingId: string): number | null } | null = null,
  ) {}

  /** A failing store is SERVICE_UNAVAILABLE (a 503 on REST), not an internal error. */
  private async read<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isDomainError(error)) throw error;
      throw new DomainError('SERVICE_UNAVAILABLE', 'Network metrics are unavailable right now');
    }
  }

  /** [from, to) of the window of `hours` whole hours ending with the current hour, `back` windows ago. */
  private window(hours: number, back = 0): { from: Date; to: Date } {
    const to = hourOf(this.clock.now()).getTime() + HOUR_MS - back * hours * HOUR_MS;
    return { from: new Date(to - hours * HOUR_MS), to: new Date(to) };
  }

  private rows(hours: number, back = 0, filter: RollupFilter = {}) {
    const { from, to } = this.window(hours, back);
    return rowsBetween(this.em, from, to, filter);
  }

  private usd(micros: number) {
    return micros / 1e6;
  }

  private eth(micros: number) {
    return round(micros / 1e6 / this.settings.ethUsdRate, 12);
  }

  kpi(args: { timeframe?: string | null; window?: string | null; pipeline?: string | null; modelId?: string | null }): Promise<KPI> {
    const hours = args.timeframe != null && args.timeframe !== '' ? parseTimeframe(args.timeframe) : parsePeriod(args.window);
    const filter = { pipeline: args.pipeline, model: args.modelId };
    return this.read(async () => {
      const [currentRows, previousRows] = await Promise.all([this.rows(hours, 0, filter), this.rows(hours, 1, filter)]);
      const now = totals(currentRows);
      const before = totals(previousRows);
      const metric = (value: number, previous: number, points = false): MetricDelta => ({
        value,
        delta: points ? round(value - previous, 1) : percentChange(value, previous),
      });
      const { from } = this.window(hours);
      const byHour = groupBy(currentRows, (row) => new Date(row.hour).toISOString());
      const hourly = Array.from({ length: hours }, (_, i) => {
        const hour = new Date(from.getTime() + i * HOUR_MS).toISOString();
        return { hour, sum: totals(byHour.get(hour) ?? []) };
      });
      return {
        successRate: metric(percentOf(now.successes, now.sessions), percentOf(before.successes, before.sessions), true),
        orchestratorsOnline: metric(now.listings.size, before.listings.size),
        dailyUsageMins: metric(minutes(now.durationMs), minutes(before.durationMs)),
        dailySessionCount: metric(now.sessions, before.sessions),
        dailyNetworkFeesEth: metric(this.eth(now.feesMicros), this.eth(before.feesMicros)),
        timeframeHours: hours,
        hourlyUsage: hourly.map(({ hour, sum }) => ({ hour, value: minutes(sum.durationMs) })),
        hourlySessions: hourly.map(({ hour, sum }) => ({ hour, value: sum.sessions })),
      };
    });
  }

  pipelines(args: { limit?: number | null; timeframe?: string | null }): Promise<PipelineUsage[]> {
    const hours = parseTimeframe(args.timeframe);
    const limit = clampLimit(args.limit);
    return this.read(async () => {
      const rows = await this.rows(hours);
      const usage = [...groupBy(rows, (row) => row.pipeline)].map(([pipeline, pipelineRows]) => {
        const sum = totals(pipelineRows);
        const modelMins = [...groupBy(pipelineRows, (row) => row.model)]
          .map(([model, modelRows]) => {
            const m = totals(modelRows);
            return {
              model,
              mins: minutes(m.durationMs),
              sessions: m.sessions,
              avgFps: fps(m.outputUnits, m.durationMs),
              durationMs: m.durationMs,
            };
          })
          .sort((a, b) => b.durationMs - a.durationMs || b.sessions - a.sessions || a.model.localeCompare(b.model))
          .map(({ durationMs: _d, ...rest }) => rest);
        return {
          name: pipeline,
          mins: minutes(sum.durationMs),
          sessions: sum.sessions,
          avgFps: fps(sum.outputUnits, sum.durationMs),
          color: PIPELINES[pipeline]?.color ?? null,
          modelMins,
          durationMs: sum.durationMs,
        };
      });
      return usage
        .sort((a, b) => b.durationMs - a.durationMs || b.sessions - a.sessions || a.name.localeCompare(b.name))
        .slice(0, limit)
        .map(({ durationMs: _d, ...rest }) => rest);
    });
  }

  /** Every known pipeline, with the models that served traffic in the last 30 days. */
  pipelineCatalog(): Promise<PipelineCatalogEntry[]> {
    return this.read(async () => {
      const rows = await this.rows(CATALOG_WINDOW_HOURS);
      const models = new Map<string, Set<string>>(Object.keys(PIPELINES).map((id) => [id, new Set()]));
      for (const row of rows) {
        if (!models.has(row.pipeline)) models.set(row.pipeline, new Set());
        models.get(row.pipeline)!.add(row.model);
      }
      return [...models].map(([id, set]) => ({ id, name: PIPELINES[id]?.name ?? id, models: [...set].sort(), regions: [] }));
    });
  }

  orchestrators(args: { period?: string | null }): Promise<OrchestratorRow[]> {
    const hours = parsePeriod(args.period);
    return this.read(async () => {
      const rows = (await this.rows(hours)).filter((row) => row.listingId);
      return [...groupBy(rows, (row) => row.listingId)]
        .map(([listingId, listingRows]) => {
          const sum = totals(listingRows);
          const lastSeen = listingRows.reduce((latest, row) => Math.max(latest, new Date(row.lastSeenAt).getTime()), 0);
          const byPipeline = groupBy(
            listingRows.filter((row) => row.sessions > 0),
            (row) => row.pipeline,
          );
          const rate = sum.sessions > 0 ? percentOf(sum.successes, sum.sessions) : null;
          // Of the jobs sent to this listing first, the share it kept (did not fail over elsewhere).
          const swapsAway = listingRows.reduce((n, row) => n + (row.swapsAway ?? 0), 0);
          return {
            address: listingId,
            uris: [listingId],
            lastSeen: lastSeen ? new Date(lastSeen).toISOString() : null,
            knownSessions: sum.sessions,
            successSessions: sum.successes,
            successRatio: rate ?? 0,
            effectiveSuccessRate: rate,
            noSwapRatio: sum.sessions + swapsAway > 0 ? percentOf(sum.sessions, sum.sessions + swapsAway) : null,
            slaScore: this.reputation?.slaScore(listingId) ?? null,
            pipelines: [...byPipeline.keys()].sort(),
            pipelineModels: [...byPipeline]
              .map(([pipelineId, p]) => ({ pipelineId, modelIds: [...new Set(p.map((row) => row.model))].sort() }))
              .sort((a, b) => a.pipelineId.localeCompare(b.pipelineId)),
            listing: { id: listingId },
          };
        })
        .sort((a, b) => b.knownSessions - a.knownSessions || a.address.localeCompare(b.address));
    });
  }

  protocol(): Protocol {
    const now = this.clock.now().getTime();
    const roundMs = this.settings.roundMinutes * 60_000;
    return {
      currentRound: Math.floor(now / roundMs),
      blockProgress: Math.floor((now % roundMs) / 60_000),
      totalBlocks: this.settings.roundMinutes,
    };
  }

  /** The window and the listings busy in it (served at least one job); market adds the declared GPUs. */
  gpuCapacity(args: { timeframe?: string | number | null }): Promise<GPUCapacity> {
    const hours = parseTimeframe(args.timeframe);
    return this.read(async () => ({ timeframeHours: hours, busyListingIds: [...totals(await this.rows(hours)).listings].sort() }));
  }

  /** The price paid per unit over the last 7 days, per pipeline and model, highest first. */
  pricing(): Promise<PipelinePricing[]> {
    return this.read(async () => {
      const rows = await this.rows(PRICING_WINDOW_HOURS);
      const rateMicros = BigInt(Math.round(this.settings.ethUsdRate * 1e6));
      return [...groupBy(rows, (row) => `${row.pipeline}\u0000${row.model}`)]
        .map(([, r]) => ({ pipeline: r[0].pipeline, model: r[0].model, sum: totals(r) }))
        .filter(({ sum }) => sum.outputUnits > 0 && sum.feesMicros > 0)
        .map(({ pipeline, model, sum }) => {
          const unit = PIPELINES[pipeline]?.unit ?? 'unit';
          return {
            pipeline,
            model,
            unit,
            price: sum.feesMicros / 1e6 / sum.outputUnits,
            avgWeiPerUnit: ((BigInt(sum.feesMicros) * 10n ** 18n) / (rateMicros * BigInt(sum.outputUnits))).toString(),
            pixelsPerUnit: null,
            outputPerDollar: formatOutputPerDollar((sum.outputUnits * 1e6) / sum.feesMicros, unit),
            capacity: sum.listings.size,
          };
        })
        .sort((a, b) => b.price - a.price || a.pipeline.localeCompare(b.pipeline) || a.model.localeCompare(b.model));
    });
  }

  fees(args: { days?: number | null }): Promise<FeesInfo> {
    const days = checkFeeDays(args.days);
    return this.read(async () => {
      const nowMs = this.clock.now().getTime();
      const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
      const firstDay = today - (days - 1) * DAY_MS;
      const { from: twoWeeksFrom } = this.window(MAX_TIMEFRAME_HOURS, 1);
      const from = new Date(Math.min(firstDay, twoWeeksFrom.getTime()));
      const rows = (await rowsBetween(this.em, from, new Date(today + DAY_MS))).filter((row) => Number(row.feesMicros) > 0);
      const byDay = new Map<number, number>();
      for (const row of rows) {
        const day = Math.floor(new Date(row.hour).getTime() / DAY_MS) * DAY_MS;
        byDay.set(day, (byDay.get(day) ?? 0) + Number(row.feesMicros));
      }
      const sumIn = (window: { from: Date; to: Date }) =>
        rows
          .filter((row) => new Date(row.hour) >= window.from && new Date(row.hour) < window.to)
          .reduce((acc, row) => acc + Number(row.feesMicros), 0);
      const dayMicros = sumIn(this.window(24));
      const prevDayMicros = sumIn(this.window(24, 1));
      const weekMicros = sumIn(this.window(MAX_TIMEFRAME_HOURS));
      const prevWeekMicros = sumIn(this.window(MAX_TIMEFRAME_HOURS, 1));
      const dayData = Array.from({ length: days }, (_, i) => {
        const day = firstDay + i * DAY_MS;
        const micros = byDay.get(day) ?? 0;
        return { dateS: day / 1000, volumeEth: this.eth(micros), volumeUsd: this.usd(micros), micros };
      });
      const weeks = new Map<number, number>();
      for (const day of dayData) {
        const weekday = (new Date(day.dateS * 1000).getUTCDay() + 6) % 7; // Monday = 0
        const monday = day.dateS * 1000 - weekday * DAY_MS;
        weeks.set(monday, (weeks.get(monday) ?? 0) + day.micros);
      }
      const totalMicros = dayData.reduce((acc, day) => acc + day.micros, 0);
      return {
        totalEth: this.eth(totalMicros),
        totalUsd: this.usd(totalMicros),
        oneDayVolumeUsd: this.usd(dayMicros),
        oneDayVolumeEth: this.eth(dayMicros),
        oneWeekVolumeUsd: this.usd(weekMicros),
        oneWeekVolumeEth: this.eth(weekMicros),
        volumeChangeUsd: changeOrNull(dayMicros, prevDayMicros),
        volumeChangeEth: changeOrNull(dayMicros, prevDayMicros),
        weeklyVolumeChangeUsd: changeOrNull(weekMicros, prevWeekMicros),
        weeklyVolumeChangeEth: changeOrNull(weekMicros, prevWeekMicros),
        dayData: dayData.map(({ micros: _m, ...rest }) => rest),
        weeklyData: [...weeks].map(([monday, micros]) => ({
          date: monday / 1000,
          weeklyVolumeUsd: this.usd(micros),
          weeklyVolumeEth: this.eth(micros),
        })),
      };
    });
  }
}
