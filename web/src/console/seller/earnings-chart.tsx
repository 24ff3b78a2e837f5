// Earnings over time as a uPlot chart: bars for the amount, a line for requests, one slot per
// bucket of the window (empty buckets are zero, not missing). Values are plotted as integer micro-units and
// formatted with formatMicros, so no dollar amount goes through floating point. Drawn by the shared
// uPlot wrapper (theme colours, redrawn on a theme or width change).
import { useMemo } from 'react';
import uPlot from 'uplot';
import { Chart, themeColor } from '../../shared/chart';
import { formatMicros } from '../../shared/money';

export interface EarningsPoint {
  bucket: string;
  micros: number;
  requests: number;
}

/** The bucket key of a moment, as the API writes it: "2026-12-06T14" (hour) or "2026-12-06" (day), UTC. */
export function bucketOf(date: Date, hourly: boolean): string {
  const iso = date.toISOString();
  return hourly ? iso.slice(0, 13) : iso.slice(0, 10);
}

/** Every bucket of [from, to], the API's buckets in their slots and zero elsewhere. */
export function fillBuckets(points: EarningsPoint[], from: Date, to: Date, hourly: boolean): EarningsPoint[] {
  const byBucket = new Map(points.map((point) => [point.bucket, point]));
  const step = hourly ? 3_600_000 : 86_400_000;
  const filled: EarningsPoint[] = [];
  const seen = new Set<string>();
  for (let time = from.getTime(); time <= to.getTime() + step - 1; time += step) {
    const bucket = bucketOf(new Date(Math.min(time, to.getTime())), hourly);
    if (seen.has(bucket)) continue;
    seen.add(bucket);
    filled.push(byBucket.get(bucket) ?? { bucket, micros: 0, requests: 0 });
  }
  // A bucket outside the window (clock skew) is still shown, in order.
  for (const point of points) if (!seen.has(point.bucket)) filled.push(point);
  return filled.sort((a, b) => a.bucket.localeCompare(b.bucket));
}

/** "2026-12-06T14" (hour) or "2026-12-06" (day), UTC, as Unix seconds. */
export function bucketSeconds(bucket: string): number {
  const [date, hour = '0'] = bucket.split('T');
  const [year, month, day] = date.split('-').map(Number);
  return Date.UTC(year, month - 1, day, Number(hour)) / 1000;
}

/** Tick steps of 1, 2 and 5 times a power of ten: whole micro-units and whole requests. */
const WHOLE_STEPS = Array.from({ length: 16 }, (_, power) => [1, 2, 5].map((factor) => factor * 10 ** power)).flat();

export function EarningsChart({ points, label }: { points: EarningsPoint[]; label: string }) {
  const data = useMemo<uPlot.AlignedData>(
    () => [points.map((point) => bucketSeconds(point.bucket)), points.map((point) => point.micros), points.map((point) => point.requests)],
    [points],
  );
  if (points.length === 0) return <p className="muted">No earnings in this window yet.</p>;
  const build = (): Omit<uPlot.Options, 'width' | 'height'> => {
    const muted = themeColor('--muted');
    const grid = themeColor('--border');
    const line = themeColor('--chart-1');
    const requestsLine = themeColor('--chart-2');
    return {
      series: [
        {
          value: (_self, seconds) =>
            seconds == null ? '—' : new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
        },
        {
          label: 'Earned',
          stroke: line,
          fill: line,
          alpha: 0.85,
          width: 1,
          paths: uPlot.paths.bars!({ size: [0.7, 48] }),
          points: { show: false },
          value: (_self, micros) => (micros == null ? '—' : formatMicros(Math.round(micros))),
          scale: 'usd',
        },
        {
          label: 'Requests',
          stroke: requestsLine,
          width: 2,
          points: { show: true, size: 5, fill: requestsLine },
          value: (_self, count) => (count == null ? '—' : count.toLocaleString('en-US')),
          scale: 'requests',
        },
      ],
      scales: {
        x: { time: true },
        usd: { range: (_self, _min, max) => [0, Math.max(1, max) * 1.1] },
        requests: { range: (_self, _min, max) => [0, Math.max(1, max) * 1.1] },
      },
      axes: [
        { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        // Ticks at whole micro-units only; the axis is as wide as its longest label.
        {
          scale: 'usd',
          stroke: muted,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          incrs: WHOLE_STEPS,
          size: (_self, values) => 16 + 8 * Math.max(5, ...(values ?? []).map((value) => value.length)),
          values: (_self, ticks) => ticks.map((micros) => formatMicros(Math.round(micros))),
        },
        {
          scale: 'requests',
          side: 1,
          stroke: muted,
          grid: { show: false },
          incrs: WHOLE_STEPS,
          values: (_self, ticks) => ticks.map((count) => count.toLocaleString('en-US')),
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
  };
  return <Chart label={label} className="console-chart" data={data} build={build} height={240} minWidth={280} />;
}
