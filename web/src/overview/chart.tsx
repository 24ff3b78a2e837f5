// The overview's time-series chart (lines, or bars centred on their times) with its figures as a
// table, drawn by the shared uPlot wrapper.
import { useMemo } from 'react';
import uPlot from 'uplot';
import { Chart, ChartTable, themeColor, translucent, type TableSeries } from '../shared/chart';

export interface ChartSeries extends TableSeries {
  /** A theme variable, e.g. `--chart-1`. */
  colorVar: string;
}

export function TimeChart({
  label,
  times,
  series,
  bars = false,
  timeLabel,
  height = 220,
}: {
  label: string;
  times: number[];
  series: ChartSeries[];
  bars?: boolean;
  timeLabel: (unixSeconds: number) => string;
  height?: number;
}) {
  // `bars` is part of the key: a change draws the chart again.
  const data = useMemo<uPlot.AlignedData>(() => [times, ...series.map((entry) => entry.values)], [times, series, bars]);
  const build = (): Omit<uPlot.Options, 'width' | 'height'> => {
    const muted = themeColor('--muted');
    const border = themeColor('--border');
    const axis: uPlot.Axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
    const barPaths = bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined;
    return {
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      // Bars are centred on their time: half a step of room each side keeps the first and last whole.
      scales: {
        x: {
          time: true,
          range:
            bars && times.length > 1 ? (_u, min, max) => [min - (times[1] - times[0]) / 2, max + (times[1] - times[0]) / 2] : undefined,
        },
        y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      },
      axes: [axis, { ...axis, size: 72, values: (_u, ticks) => ticks.map((tick) => series[0]?.format(tick) ?? String(tick)) }],
      series: [
        {},
        ...series.map((entry) => {
          const color = themeColor(entry.colorVar);
          return {
            label: entry.label,
            stroke: color,
            width: 2,
            fill: translucent(color, bars ? 0.7 : 0.18),
            paths: barPaths,
            points: { show: false },
            value: (_u: uPlot, value: number | null) => (value === null ? '—' : entry.format(value)),
          };
        }),
      ],
    };
  };
  return (
    <figure className="ov-chart">
      <Chart label={label} className="ov-chart-canvas" data={data} build={build} height={height} minWidth={200} />
      <ChartTable label={label} times={times} series={series} timeLabel={timeLabel} className="ov-chart-table" />
    </figure>
  );
}
