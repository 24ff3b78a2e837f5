// Earnings: the seller's money by state, over time (chart with a table alternative), per month,
// what is held in reserve, and each request's earning.
import { useMemo, useState } from 'react';
import {
  MoneyEarningsDocument,
  MoneyEarningsMonthlyDocument,
  MoneyEarningsReserveDocument,
  MoneyEarningsSummaryDocument,
  MoneyEarningsTimeseriesDocument,
  type EarningsInterval,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, Section, useLoad } from '../../shared/ui';
import { formatMicros } from '../../shared/money';
import { EarningsChart, fillBuckets } from './earnings-chart';
import { Pager, Tile } from '../../shared/parts';
import { Empty, StateBadge } from './parts';

const WINDOWS = {
  '24h': { hours: 24, interval: 'HOUR' },
  '7d': { hours: 24 * 7, interval: 'DAY' },
  '30d': { hours: 24 * 30, interval: 'DAY' },
  '90d': { hours: 24 * 90, interval: 'DAY' },
} as const satisfies Record<string, { hours: number; interval: EarningsInterval }>;
type WindowName = keyof typeof WINDOWS;

export function EarningsSection() {
  const summary = useLoad(async () => (await request(MoneyEarningsSummaryDocument)).earningsSummary, []);
  return (
    <div className="seller-root">
      <h1>Earnings</h1>
      {summary.error ? <ErrorMessage error={summary.error} /> : null}
      {summary.data && (
        <div className="grid tiles" aria-label="Earnings summary" role="group">
          <Tile label="Available" value={formatMicros(summary.data.available.micros)} hint="past the cooling period" />
          <Tile label="Withdrawable" value={formatMicros(summary.data.withdrawable.micros)} hint="can be paid out now" />
          <Tile label="Cooling" value={formatMicros(summary.data.pending.micros)} hint="not available yet" />
          <Tile label="In reserve" value={formatMicros(summary.data.reserved.micros)} hint="held until released" />
          <Tile label="Lifetime" value={formatMicros(summary.data.lifetime.micros)} hint={plural(summary.data.requests, 'request')} />
          <Tile label="Paid out" value={formatMicros(summary.data.paidOut.micros)} />
          <Tile label="Converted to credit" value={formatMicros(summary.data.converted.micros)} />
        </div>
      )}
      <Timeseries />
      <div className="grid two">
        <Monthly />
        <Reserve />
      </div>
      <PerRequest />
    </div>
  );
}

function Timeseries() {
  const [windowName, setWindowName] = useState<WindowName>('30d');
  const series = useLoad(async () => {
    const { hours, interval } = WINDOWS[windowName];
    const to = new Date();
    const from = new Date(to.getTime() - hours * 3_600_000);
    const buckets = (await request(MoneyEarningsTimeseriesDocument, { interval, from: from.toISOString(), to: to.toISOString() }))
      .earningsTimeseries;
    return { from, to, hourly: interval === 'HOUR', buckets };
  }, [windowName]);
  const points = useMemo(
    () =>
      (series.data?.buckets ?? []).map((bucket) => ({ bucket: bucket.bucket, micros: bucket.amount.micros, requests: bucket.requests })),
    [series.data],
  );
  const slots = useMemo(
    () => (series.data && points.length ? fillBuckets(points, series.data.from, series.data.to, series.data.hourly) : []),
    [series.data, points],
  );
  const total = points.reduce((sum, point) => sum + BigInt(point.micros), 0n);
  return (
    <Section
      title="Earned over time"
      actions={
        <label className="row" style={{ flexDirection: 'row' }}>
          <span>Window</span>
          <select value={windowName} onChange={(event) => setWindowName(event.target.value as WindowName)}>
            <option value="24h">Last 24 hours (hourly)</option>
            <option value="7d">Last 7 days (daily)</option>
            <option value="30d">Last 30 days (daily)</option>
            <option value="90d">Last 90 days (daily)</option>
          </select>
        </label>
      }
    >
      {series.error ? <ErrorMessage error={series.error} /> : null}
      {series.data && (
        <>
          <p className="muted" style={{ margin: 0 }}>
            {formatMicros(total)} earned in{' '}
            {plural(
              points.reduce((sum, point) => sum + point.requests, 0),
              'request',
            )}
            .
          </p>
          <EarningsChart
            points={slots}
            label={`Earnings per ${WINDOWS[windowName].interval === 'HOUR' ? 'hour' : 'day'}: ${formatMicros(total)} in total; the table below lists each bucket`}
          />
          {points.length > 0 && (
            <details>
              <summary>Show as a table</summary>
              <div className="table-wrap">
                <table>
                  <caption className="sr-only">Earnings per bucket</caption>
                  <thead>
                    <tr>
                      <th scope="col">{WINDOWS[windowName].interval === 'HOUR' ? 'Hour (UTC)' : 'Day (UTC)'}</th>
                      <th scope="col" className="num">
                        Earned
                      </th>
                      <th scope="col" className="num">
                        Requests
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {points.map((point) => (
                      <tr key={point.bucket}>
                        <td>{point.bucket.replace('T', ' ') + (point.bucket.includes('T') ? ':00' : '')}</td>
                        <td className="num">{formatMicros(point.micros)}</td>
                        <td className="num">{point.requests.toLocaleString('en-US')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          )}
        </>
      )}
    </Section>
  );
}

function Monthly() {
  const monthly = useLoad(async () => (await request(MoneyEarningsMonthlyDocument)).earningsMonthly, []);
  return (
    <Section title="By month">
      {monthly.error ? <ErrorMessage error={monthly.error} /> : null}
      {monthly.data && monthly.data.length === 0 && <Empty>Nothing earned yet.</Empty>}
      {monthly.data && monthly.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Earnings per month</caption>
            <thead>
              <tr>
                <th scope="col">Month</th>
                <th scope="col" className="num">
                  Earned
                </th>
                <th scope="col" className="num">
                  Platform fees
                </th>
                <th scope="col" className="num">
                  Requests
                </th>
              </tr>
            </thead>
            <tbody>
              {monthly.data.map((month) => (
                <tr key={month.month}>
                  <td>{month.month}</td>
                  <td className="num">{formatMicros(month.amount.micros)}</td>
                  <td className="num">{formatMicros(month.fees.micros)}</td>
                  <td className="num">{month.requests.toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function Reserve() {
  const [includeReleased, setIncludeReleased] = useState(false);
  const reserve = useLoad(async () => await request(MoneyEarningsReserveDocument, { includeReleased, limit: 50 }), [includeReleased]);
  return (
    <Section
      title="Reserve"
      actions={
        <label className="seller-check">
          <input type="checkbox" checked={includeReleased} onChange={(event) => setIncludeReleased(event.target.checked)} />
          Show released
        </label>
      }
    >
      {reserve.error ? <ErrorMessage error={reserve.error} /> : null}
      {reserve.data && (
        <>
          <p style={{ margin: 0 }}>
            Held in reserve now: <strong>{formatMicros(reserve.data.earningsSummary.reserved.micros)}</strong>
          </p>
          <p className="hint" style={{ margin: 0 }}>
            Each earning's held share counts under Cooling until its cooling period ends, then under the reserve until its release.
          </p>
          {reserve.data.earningsReserve.length === 0 ? (
            <Empty>Nothing {includeReleased ? 'was' : 'is'} held.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Reserve entries</caption>
                <thead>
                  <tr>
                    <th scope="col">Request</th>
                    <th scope="col" className="num">
                      Held
                    </th>
                    <th scope="col">Release</th>
                    <th scope="col">State</th>
                  </tr>
                </thead>
                <tbody>
                  {reserve.data.earningsReserve.map((entry) => (
                    <tr key={entry.requestId}>
                      <td className="mono">{entry.requestId}</td>
                      <td className="num">{formatMicros(entry.amount.micros)}</td>
                      <td>{formatDate(entry.releaseAt)}</td>
                      <td>{entry.released ? 'released' : 'held'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </Section>
  );
}

const PAGE_SIZE = 20;

function PerRequest() {
  const [page, setPage] = useState(1);
  const earnings = useLoad(async () => (await request(MoneyEarningsDocument, { page, pageSize: PAGE_SIZE })).earnings, [page]);
  return (
    <Section title="Per request">
      {earnings.error ? <ErrorMessage error={earnings.error} /> : null}
      {earnings.data && earnings.data.items.length === 0 && <Empty>No request has been served yet.</Empty>}
      {earnings.data && earnings.data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Earnings per request</caption>
              <thead>
                <tr>
                  <th scope="col">Earned</th>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">
                    Buyer paid
                  </th>
                  <th scope="col" className="num">
                    Your share
                  </th>
                  <th scope="col" className="num">
                    Reserve
                  </th>
                  <th scope="col">State</th>
                  <th scope="col">Available</th>
                </tr>
              </thead>
              <tbody>
                {earnings.data.items.map((item) => (
                  <tr key={item.requestId}>
                    <td>{formatDate(item.earnedAt)}</td>
                    <td>{item.model}</td>
                    <td className="num">{formatMicros(item.price.micros)}</td>
                    <td className="num">{formatMicros(item.amount.micros)}</td>
                    <td className="num">{formatMicros(item.reserve.micros)}</td>
                    <td>
                      <StateBadge
                        state={item.state === 'available' || item.state === 'reserve_released' ? 'ACTIVE' : 'PENDING'}
                        label={item.state.replace(/_/g, ' ')}
                      />
                    </td>
                    <td>{formatDate(item.availableAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={PAGE_SIZE} total={earnings.data.total} onPage={setPage} />
        </>
      )}
    </Section>
  );
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
