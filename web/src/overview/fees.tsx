// Fees and volume: totals, the last day and week against the ones before, and the daily series.
import { useId, useMemo, useState } from 'react';
import { DashboardFeesDocument, type DashboardFeesQuery } from '../../../schema/generated/graphql';
import { request } from '../shared/graphql';
import { Section, useLoad } from '../shared/ui';
import { TimeChart } from './chart';
import { formatEth, formatNumber, formatUsd } from './format';
import { Empty, Loaded } from './loaded';

/** History lengths the control offers: the API takes 7–365 days. */
const DAY_OPTIONS = [7, 30, 90, 180, 365] as const;
const DEFAULT_DAYS = 30;

type Fees = DashboardFeesQuery['fees'];

function Change({ percent }: { percent: number | null }) {
  if (percent === null) return <span className="ov-change muted">no earlier volume to compare</span>;
  if (percent === 0) return <span className="ov-change muted">no change</span>;
  return (
    <span className={`ov-change ${percent > 0 ? 'good' : 'bad'}`}>
      <span aria-hidden="true">{percent > 0 ? '▲' : '▼'} </span>
      <span className="sr-only">{percent > 0 ? 'up' : 'down'} </span>
      {formatNumber(Math.abs(percent), 2)}%
    </span>
  );
}

const dayLabel = (unixSeconds: number) =>
  new Date(unixSeconds * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

function FeesBody({ fees, days }: { fees: Fees; days: number }) {
  const series = useMemo(
    () => ({
      times: fees.dayData.map((day) => day.dateS),
      series: [{ label: 'Volume (USD)', values: fees.dayData.map((day) => day.volumeUsd), colorVar: '--chart-3', format: formatUsd }],
    }),
    [fees.dayData],
  );
  return (
    <div className="stack">
      <dl className="ov-figures">
        <div>
          <dt>All-time fees</dt>
          <dd>
            {formatUsd(fees.totalUsd)} <span className="muted">{formatEth(fees.totalEth)}</span>
          </dd>
        </div>
        <div>
          <dt>Last 24 hours</dt>
          <dd>
            {formatUsd(fees.oneDayVolumeUsd)} <Change percent={fees.volumeChangeUsd} />
          </dd>
        </div>
        <div>
          <dt>Last 7 days</dt>
          <dd>
            {formatUsd(fees.oneWeekVolumeUsd)} <Change percent={fees.weeklyVolumeChangeUsd} />
          </dd>
        </div>
      </dl>
      {fees.totalUsd === 0 && <Empty>No fees yet: buyers' paid requests show up here day by day.</Empty>}
      {series.times.length ? (
        <TimeChart
          label={`Daily fee volume in USD over the last ${days} days`}
          times={series.times}
          series={series.series}
          bars
          timeLabel={dayLabel}
        />
      ) : (
        <Empty>No daily figures in this range.</Empty>
      )}
    </div>
  );
}

export function FeesSection({ refresh }: { refresh: number }) {
  const [days, setDays] = useState<number>(DEFAULT_DAYS);
  const fees = useLoad(() => request(DashboardFeesDocument, { days }).then((data) => data.fees), [days, refresh]);
  const controlId = useId();
  return (
    <Section
      title="Fees and volume"
      actions={
        <label htmlFor={controlId} className="ov-inline-label">
          <span>History</span>
          <select id={controlId} value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {DAY_OPTIONS.map((option) => (
              <option key={option} value={option}>
                {option} days
              </option>
            ))}
          </select>
        </label>
      }
    >
      <Loaded state={fees} what="fees">
        {(data) => <FeesBody fees={data} days={days} />}
      </Loaded>
    </Section>
  );
}
