// A uPlot line chart drawn with the theme's colours, redrawn when the theme or the width changes.
// The chart is an image to screen readers (role=img + aria-label); the section beside it gives the
// same figures as a table.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** A theme variable, e.g. --chart-1. */
  colour: string;
  values: number[];
  format: (value: number) => string;
  /** Series on the second axis are drawn against the right-hand scale. */
  right?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function LineChart({ label, x, series, height = 260 }: { label: string; x: number[]; series: ChartSeries[]; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    let plot: uPlot | null = null;
    const draw = () => {
      plot?.destroy();
      const text = cssVar('--muted');
      const grid = cssVar('--border');
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
      const options: uPlot.Options = {
        width: Math.max(280, element.clientWidth),
        height,
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
            stroke: cssVar(entry.colour),
            width: 2,
            points: { show: true, size: 5, fill: cssVar(entry.colour) },
            value: (_plot: uPlot, value: number | null) => (value == null ? '—' : entry.format(value)),
          })),
        ],
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
      };
      plot = new uPlot(options, [x, ...series.map((entry) => entry.values)], element);
    };
    draw();
    // Redraw on a theme change (the colours are read once per drawing) and on a width change.
    const themeWatcher = new MutationObserver(draw);
    themeWatcher.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', draw);
    let width = element.clientWidth;
    const resizeWatcher = new ResizeObserver(() => {
      if (Math.abs(element.clientWidth - width) < 8) return;
      width = element.clientWidth;
      plot?.setSize({ width: Math.max(280, width), height });
    });
    resizeWatcher.observe(element);
    return () => {
      themeWatcher.disconnect();
      scheme.removeEventListener('change', draw);
      resizeWatcher.disconnect();
      plot?.destroy();
    };
  }, [x, series, height]);
  return <div ref={host} className="buyer-chart" role="img" aria-label={label} />;
}
