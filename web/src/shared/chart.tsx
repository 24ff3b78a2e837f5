// The one uPlot wrapper every chart is drawn with. uPlot draws on a canvas, which cannot read CSS
// variables, so each chart's options are built when it is drawn (the theme's colours resolved from
// the variables then), and the chart is drawn again when the theme changes and resized with its
// box. To screen readers the chart is an image (role=img + aria-label); every chart has its
// figures as a table too, ChartTable or the section's own.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A theme variable's current value, e.g. themeColor('--chart-1'). */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** A translucent fill of a theme colour (the canvas may not parse color-mix()). */
export function translucent(color: string, alpha: number): string {
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

/**
 * A uPlot chart of `data`, redrawn when `data` (keep it memoised), the height or the theme
 * changes. `build` gives the options of one drawing; it is called at drawing time, so it may read
 * theme colours with themeColor.
 */
export function Chart({
  label,
  className,
  data,
  build,
  height,
  minWidth,
}: {
  label: string;
  className: string;
  data: uPlot.AlignedData;
  build: () => Omit<uPlot.Options, 'width' | 'height'>;
  height: number;
  minWidth: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const themeVersion = useThemeVersion();
  // The latest options builder, read when drawing: a new closure each render must not redraw.
  const buildRef = useRef(build);
  buildRef.current = build;

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const width = () => Math.max(minWidth, element.clientWidth);
    const plot = new uPlot({ ...buildRef.current(), width: width(), height }, data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, height, minWidth, themeVersion]);

  return <div ref={host} className={className} role="img" aria-label={label} />;
}

export interface TableSeries {
  label: string;
  values: number[];
  format: (value: number) => string;
}

/** A chart's figures as a table, one row per time, folded away under a summary. */
export function ChartTable({
  label,
  times,
  series,
  timeLabel,
  className,
}: {
  label: string;
  times: number[];
  series: TableSeries[];
  timeLabel: (unixSeconds: number) => string;
  className?: string;
}) {
  return (
    <details>
      <summary>Show the figures as a table</summary>
      <div className={className ? `table-wrap ${className}` : 'table-wrap'}>
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
  );
}
