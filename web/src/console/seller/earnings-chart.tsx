// Earnings over time as a uPlot bar-ish line chart. Values are plotted as integer micro-units and
// formatted with formatMicros, so no dollar amount goes through floating point. Colours are read
// from the theme's CSS variables and the chart is drawn again when the theme changes.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatMicros } from '../../shared/ui';

export interface EarningsPoint {
  bucket: string;
  micros: number;
  requests: number;
}

/** "2026-12-06T14" (hour) or "2026-12-06" (day), UTC, as Unix seconds. */
export function bucketSeconds(bucket: string): number {
  const [date, hour = '0'] = bucket.split('T');
  const [year, month, day] = date.split('-').map(Number);
  return Date.UTC(year, month - 1, day, Number(hour)) / 1000;
}

function themeColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Bumps whenever the page's theme may have changed (the control or the system preference). */
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

export function EarningsChart({ points, label }: { points: EarningsPoint[]; label: string }) {
  const container = useRef<HTMLDivElement>(null);
  const theme = useThemeVersion();
  useEffect(() => {
    const element = container.current;
    if (!element || points.length === 0) return;
    const text = themeColour('--text');
    const muted = themeColour('--muted');
    const grid = themeColour('--border');
    const line = themeColour('--chart-1');
    const requestsLine = themeColour('--chart-2');
    const width = () => Math.max(280, element.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: 240,
        series: [
          { value: (_self, seconds) => (seconds == null ? '—' : new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC') },
          { label: 'Earned', stroke: line, fill: `color-mix(in srgb, ${line} 18%, transparent)`, width: 2, value: (_self, micros) => (micros == null ? '—' : formatMicros(Math.round(micros))), scale: 'usd' },
          { label: 'Requests', stroke: requestsLine, width: 1.5, dash: [4, 4], value: (_self, count) => (count == null ? '—' : count.toLocaleString('en-US')), scale: 'requests' },
        ],
        scales: { x: { time: true }, usd: { range: (_self, _min, max) => [0, Math.max(1, max)] }, requests: { range: (_self, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
          { scale: 'usd', stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 70, values: (_self, ticks) => ticks.map((micros) => formatMicros(Math.round(micros))) },
          { scale: 'requests', side: 1, stroke: muted, grid: { show: false }, values: (_self, ticks) => ticks.map((count) => count.toLocaleString('en-US')) },
        ],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      [points.map((point) => bucketSeconds(point.bucket)), points.map((point) => point.micros), points.map((point) => point.requests)],
      element,
    );
    chart.root.style.color = text;
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 240 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [points, theme]);
  if (points.length === 0) return <p className="muted">No earnings in this window yet.</p>;
  return <div ref={container} className="seller-chart" role="img" aria-label={label} />;
}
