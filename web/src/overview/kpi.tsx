// The KPI tiles (each with its change against the previous window) and the hourly charts.
import { useMemo } from 'react';
import type { DashboardKpiQuery, DashboardProtocolQuery } from '../../../schema/generated/graphql';
import { TimeChart } from './chart';
import {
  formatCount,
  formatEth,
  formatHour,
  formatMinutes,
  formatNumber,
  formatPercent,
  formatUsd,
  windowText,
  type Timeframe,
} from './format';
import { Empty } from './loaded';

type Kpi = DashboardKpiQuery['kpi'];
type Metric = Kpi['successRate'];

/** The change as an arrow, a signed figure and words for screen readers. */
function Delta({ delta, points, previous }: { delta: number; points: boolean; previous: string }) {
  const unit = points ? ' pts' : '%';
  if (delta === 0) return <span className="ov-delta muted">No change on {previous}</span>;
  const up = delta > 0;
  const figure = `${formatNumber(Math.abs(delta), 1)}${unit}`;
  return (
    <span className={`ov-delta ${up ? 'good' : 'bad'}`}>
      <span aria-hidden="true">{up ? '▲' : '▼'} </span>
      <span className="sr-only">{up ? 'Up' : 'Down'} </span>
      {figure} <span className="muted">on {previous}</span>
    </span>
  );
}

function Tile({
  label,
  metric,
  format,
  points = false,
  previous,
  hint,
}: {
  label: string;
  metric: Metric;
  format: (value: number) => string;
  points?: boolean;
  previous: string;
  hint: string;
}) {
  return (
    <div className="card ov-tile" role="group" aria-label={label}>
      <span className="ov-tile-label">{label}</span>
      <span className="ov-tile-value">{format(metric.value)}</span>
      <Delta delta={metric.delta} points={points} previous={previous} />
      <span className="ov-tile-hint muted">{hint}</span>
    </div>
  );
}

export function KpiTiles({ kpi, timeframe }: { kpi: Kpi; timeframe: Timeframe }) {
  const previous = windowText(timeframe).replace('the last', 'the previous');
  return (
    <div className="grid tiles ov-tiles" data-testid="kpi-tiles">
      <Tile label="Success rate" metric={kpi.successRate} format={formatPercent} points previous={previous} hint="Requests completed" />
      <Tile
        label="Orchestrators online"
        metric={kpi.orchestratorsOnline}
        format={formatCount}
        previous={previous}
        hint="Listings that served a request"
      />
      <Tile
        label="Usage"
        metric={kpi.dailyUsageMins}
        format={(value) => `${formatMinutes(value)} min`}
        previous={previous}
        hint="Inference minutes"
      />
      <Tile label="Sessions" metric={kpi.dailySessionCount} format={formatCount} previous={previous} hint="Requests" />
      <Tile label="Network fees" metric={kpi.dailyNetworkFeesEth} format={formatEth} previous={previous} hint="What buyers paid, in ETH" />
    </div>
  );
}

const hourLabel = (unixSeconds: number) => formatHour(new Date(unixSeconds * 1000).toISOString());

export function HourlyCharts({ kpi, timeframe }: { kpi: Kpi; timeframe: Timeframe }) {
  const usage = useMemo(() => {
    const buckets = kpi.hourlyUsage ?? [];
    return {
      times: buckets.map((bucket) => Date.parse(bucket.hour) / 1000),
      series: [{ label: 'Minutes', values: buckets.map((bucket) => bucket.value), colorVar: '--chart-1', format: formatMinutes }],
    };
  }, [kpi.hourlyUsage]);
  const sessions = useMemo(() => {
    const buckets = kpi.hourlySessions ?? [];
    return {
      times: buckets.map((bucket) => Date.parse(bucket.hour) / 1000),
      series: [
        {
          label: 'Requests',
          values: buckets.map((bucket) => bucket.value),
          colorVar: '--chart-2',
          format: (value: number) => formatNumber(value, 0),
        },
      ],
    };
  }, [kpi.hourlySessions]);
  const quiet = kpi.dailySessionCount.value === 0;
  const span = windowText(timeframe);
  return (
    <div className="grid two">
      <section className="card stack" aria-labelledby="usage-chart-title" data-testid="usage-chart">
        <h2 id="usage-chart-title">Usage per hour</h2>
        {quiet && <Empty>No inference minutes in {span}: the chart fills in as requests are served.</Empty>}
        {usage.times.length ? (
          <TimeChart label={`Inference minutes per hour over ${span}`} times={usage.times} series={usage.series} timeLabel={hourLabel} />
        ) : (
          <Empty>No hourly figures for this window.</Empty>
        )}
      </section>
      <section className="card stack" aria-labelledby="sessions-chart-title" data-testid="sessions-chart">
        <h2 id="sessions-chart-title">Sessions per hour</h2>
        {quiet && <Empty>No requests in {span} yet.</Empty>}
        {sessions.times.length ? (
          <TimeChart label={`Requests per hour over ${span}`} times={sessions.times} series={sessions.series} bars timeLabel={hourLabel} />
        ) : (
          <Empty>No hourly figures for this window.</Empty>
        )}
      </section>
    </div>
  );
}

/** The protocol strip: the settlement round and the sellers' reserve. */
export function ProtocolStrip({ protocol }: { protocol: DashboardProtocolQuery['protocol'] }) {
  const percent = protocol.totalBlocks > 0 ? Math.min(100, Math.round((protocol.blockProgress / protocol.totalBlocks) * 100)) : 0;
  return (
    <dl className="ov-protocol" data-testid="protocol">
      <div>
        <dt>Settlement round</dt>
        <dd>{formatCount(protocol.currentRound)}</dd>
      </div>
      <div>
        <dt>Round progress</dt>
        <dd>
          <progress max={protocol.totalBlocks || 1} value={protocol.blockProgress} aria-label="Round progress">
            {percent}%
          </progress>{' '}
          {formatCount(protocol.blockProgress)} of {formatCount(protocol.totalBlocks)} min
        </dd>
      </div>
      <div>
        <dt>Sellers' reserve held</dt>
        <dd>{formatUsd(protocol.totalStakedLPT)}</dd>
      </div>
    </dl>
  );
}
