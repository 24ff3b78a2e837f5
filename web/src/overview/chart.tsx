// A time-series chart (uPlot) with its figures as a table for screen readers and keyboard users.
// uPlot draws on a canvas, which cannot read CSS variables, so the theme's colours are resolved
// from them when the chart is built, and the chart is rebuilt when the theme changes.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: number[];
  /** A theme variable, e.g. `--chart-1`. */
  colorVar: string;
  format: (value: number) => string;
}

function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** A translucent fill of a theme colour (the canvas may not parse color-mix()). */
function translucent(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return hex ? `rgba(${parseInt(hex[1], 16)}, ${parseInt(hex[2], 16)}, ${parseInt(hex[3], 16)}, ${alpha})` : color;
}

/** Bumps whenever the colour theme may have changed: the reader's pick or the system's. */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((value) => value + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const media = matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', bump);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', bump);
    };
  }, []);
  return version;
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
  const container = useRef<HTMLDivElement>(null);
  const themeVersion = useThemeVersion();

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const muted = themeColor('--muted');
    const border = themeColor('--border');
    const axis: uPlot.Axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
    const barPaths = bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
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
    const plot = new uPlot(options, [times, ...series.map((entry) => entry.values)], element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 200), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, bars, height, themeVersion]);

  return (
    <figure className="ov-chart">
      <div ref={container} role="img" aria-label={label} className="ov-chart-canvas" />
      <details>
        <summary>Show the figures as a table</summary>
        <div className="table-wrap ov-chart-table">
          <table>
            <caption className="sr-only">{label}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {series.map((entry) => (
                  <th scope="col" className="num" key={entry.label}>
                    {entry.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((time, index) => (
                <tr key={time}>
                  <th scope="row">{timeLabel(time)}</th>
                  {series.map((entry) => (
                    <td className="num" key={entry.label}>
                      {entry.format(entry.values[index])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
