// The buyer's line chart: one or two series, the second on a right-hand axis, drawn by the shared
// uPlot wrapper. The section beside it gives the same figures as a table.
import { useMemo } from 'react';
import type uPlot from 'uplot';
import { Chart, themeColor } from '../../shared/chart';

export interface ChartSeries {
  label: string;
  /** A theme variable, e.g. --chart-1. */
  colour: string;
  values: number[];
  format: (value: number) => string;
  /** Series on the second axis are drawn against the right-hand scale. */
  right?: boolean;
}

export function LineChart({ label, x, series, height = 260 }: { label: string; x: number[]; series: ChartSeries[]; height?: number }) {
  const data = useMemo<uPlot.AlignedData>(() => [x, ...series.map((entry) => entry.values)], [x, series]);
  const build = (): Omit<uPlot.Options, 'width' | 'height'> => {
    const text = themeColor('--muted');
    const grid = themeColor('--border');
    const left = series.find((entry) => !entry.right);
    const right = series.find((entry) => entry.right);
    const axis = (entry: ChartSeries | undefined, side: 1 | 3, scale: string): uPlot.Axis => ({
      scale,
      side,
      stroke: text,
      grid: { stroke: grid, width: 1, show: side === 3 },
      ticks: { stroke: grid, width: 1 },
      // Wide enough for the longest tick label (money labels like "$0.000125" are long).
      size: (_plot, values) => Math.max(40, ...(values ?? []).map((value) => value.length * 7.5 + 18)),
      values: (_plot, ticks) => ticks.map((tick) => (entry ? entry.format(tick) : String(tick))),
    });
    return {
      scales: {
        x: { time: true },
        left: { auto: true, range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        right: { auto: true, range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
        axis(left, 3, 'left'),
        ...(right ? [axis(right, 1, 'right')] : []),
      ],
      series: [
        { label: 'Day', value: (_plot, value) => (value == null ? '—' : new Date(value * 1000).toISOString().slice(0, 10)) },
        ...series.map((entry) => ({
          label: entry.label,
          scale: entry.right ? 'right' : 'left',
          stroke: themeColor(entry.colour),
          width: 2,
          points: { show: true, size: 5, fill: themeColor(entry.colour) },
          value: (_plot: uPlot, value: number | null) => (value == null ? '—' : entry.format(value)),
        })),
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
  };
  return <Chart label={label} className="console-chart" data={data} build={build} height={height} minWidth={280} />;
}
