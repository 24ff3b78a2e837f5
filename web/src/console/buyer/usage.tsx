// Usage: totals for a window, spend and requests per UTC day (chart and table), spend per key.
import { useMemo, useState, type ReactNode } from 'react';
import {
  MoneyUsageByKeyDocument,
  MoneyUsageByKeyUnnamedDocument,
  MoneyUsageDailyDocument,
  MoneyUsageDocument,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, useLoad } from '../../shared/ui';
import { formatMicros } from '../../shared/money';
import { LineChart, type ChartSeries } from './chart';
import { lastDays } from './fields';
import { formatCount, TableWrap, Tile } from '../../shared/parts';
import { Page } from './parts';

const WINDOWS = [7, 30, 90];

export function UsageSection() {
  const [days, setDays] = useState(30);
  const span = useMemo(() => lastDays(days), [days]);
  const totals = useLoad(() => request(MoneyUsageDocument, span), [span]);
  const daily = useLoad(() => request(MoneyUsageDailyDocument, span), [span]);
  // One key the accounts service cannot name (e.g. deleted with its account's data) nulls the named
  // answer; the unnamed one still gives the figures.
  const byKey = useLoad(async () => {
    try {
      return (await request(MoneyUsageByKeyDocument, span)).usageByKey.map((row) => ({ ...row, name: row.apiKey.name as string | null }));
    } catch {
      return (await request(MoneyUsageByKeyUnnamedDocument, span)).usageByKey.map((row) => ({ ...row, name: null }));
    }
  }, [span]);
  const summary = totals.data?.usage;
  return (
    <Page title="Usage" intro="What your keys used, per UTC day.">
      <form className="row" aria-label="Usage window" onSubmit={(event) => event.preventDefault()}>
        <label className="buyer-check">
          Window
          <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {WINDOWS.map((value) => (
              <option key={value} value={value}>
                Last {value} days
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorMessage error={totals.error ?? daily.error} />
      <div className="grid tiles">
        <Tile label="Spend" value={summary ? formatMicros(summary.cost.micros) : '…'} />
        <Tile label="Requests" value={summary ? formatCount(summary.requests) : '…'} />
        <Tile label="Input tokens" value={summary ? formatCount(summary.inputTokens) : '…'} />
        <Tile label="Output tokens" value={summary ? formatCount(summary.outputTokens) : '…'} />
      </div>
      <section className="card stack" aria-labelledby="usage-daily">
        <h2 id="usage-daily">Per day</h2>
        {daily.data && <DailyChart days={daily.data.usageDaily} windowDays={days} from={span.from} />}
      </section>
      <section className="card stack" aria-labelledby="usage-by-key">
        <h2 id="usage-by-key">By key</h2>
        <ErrorMessage error={byKey.error} />
        {byKey.data && byKey.data.length === 0 && <p className="muted">No usage in this window.</p>}
        {byKey.data && byKey.data.length > 0 && (
          <UsageTable
            label="Usage by key, biggest spend first"
            rowHeading="Key"
            rows={byKey.data.map((row) => ({
              key: row.keyId,
              heading: row.name ?? <code className="mono">{row.keyId}</code>,
              requests: row.requests,
              inputTokens: row.inputTokens,
              outputTokens: row.outputTokens,
              micros: row.cost.micros,
            }))}
          />
        )}
      </section>
    </Page>
  );
}

interface UsageRow {
  key: string;
  heading: ReactNode;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  micros: number;
}

/** Requests, tokens and spend, one row per key or per day. */
function UsageTable({ label, rowHeading, rows }: { label: string; rowHeading: string; rows: UsageRow[] }) {
  return (
    <TableWrap label={label}>
      <table>
        <caption className="sr-only">{label}</caption>
        <thead>
          <tr>
            <th scope="col">{rowHeading}</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Input tokens
            </th>
            <th scope="col" className="num">
              Output tokens
            </th>
            <th scope="col" className="num">
              Spend
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.heading}</th>
              <td className="num">{formatCount(row.requests)}</td>
              <td className="num">{formatCount(row.inputTokens)}</td>
              <td className="num">{formatCount(row.outputTokens)}</td>
              <td className="num">{formatMicros(row.micros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

type Day = { day: string; requests: number; inputTokens: number; outputTokens: number; cost: { micros: number } };

function DailyChart({ days, windowDays, from }: { days: Day[]; windowDays: number; from: string }) {
  // Every day of the window, the quiet ones as zero, so the line does not skip them.
  const filled = useMemo(() => {
    const byDay = new Map(days.map((entry) => [entry.day.slice(0, 10), entry]));
    const start = new Date(from);
    return Array.from({ length: windowDays }, (_, index) => {
      const date = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + index));
      const key = date.toISOString().slice(0, 10);
      const entry = byDay.get(key);
      return {
        key,
        seconds: date.getTime() / 1000,
        requests: entry?.requests ?? 0,
        inputTokens: entry?.inputTokens ?? 0,
        outputTokens: entry?.outputTokens ?? 0,
        micros: entry?.cost.micros ?? 0,
      };
    });
  }, [days, windowDays, from]);
  const x = useMemo(() => filled.map((entry) => entry.seconds), [filled]);
  const series = useMemo<ChartSeries[]>(
    () => [
      {
        label: 'Spend',
        colour: '--chart-1',
        values: filled.map((entry) => entry.micros),
        format: (value) => formatMicros(Math.round(value)),
      },
      {
        label: 'Requests',
        colour: '--chart-2',
        values: filled.map((entry) => entry.requests),
        format: (value) => formatCount(Math.round(value)),
        right: true,
      },
    ],
    [filled],
  );
  const active = filled.filter((entry) => entry.requests > 0 || entry.micros > 0);
  return (
    <>
      <LineChart
        label={`Spend and requests per day, last ${windowDays} days; the same figures are in the table below`}
        x={x}
        series={series}
      />
      <details>
        <summary>Per-day figures as a table</summary>
        {active.length === 0 ? (
          <p className="muted">No usage in this window.</p>
        ) : (
          <UsageTable label="Usage per UTC day" rowHeading="Day (UTC)" rows={active.map((entry) => ({ ...entry, heading: entry.key }))} />
        )}
      </details>
    </>
  );
}
