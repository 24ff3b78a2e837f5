// The live job feed: the newest jobs from DashboardJobFeed, then each finished job prepended as
// the LiveJobFeed subscription delivers it (bounded, newest first), with the connection's state.
import { useEffect, useState } from 'react';
import { DashboardJobFeedDocument, type DashboardJobFeedQuery } from '../../../schema/generated/graphql';
import { request } from '../shared/graphql';
import { ErrorMessage, Section } from '../shared/ui';
import { formatNumber, formatRelative } from './format';
import { watchJobs, type LiveJob, type LiveStatus } from './live';
import { Empty } from './loaded';
import { pipelineName } from './tables';

export const FEED_LIMIT = 50;

interface FeedRow {
  id: string;
  pipeline: string;
  model: string | null;
  status: string;
  /** When it started (from the feed), or when it arrived live (the event carries no start time). */
  at: string;
  latencyMs: number | null;
  runningFor: string | null;
  outputFps: number | null;
  orchestrator: string | null;
  seller: string | null;
  live: boolean;
}

type Initial = DashboardJobFeedQuery['jobFeed'][number];

const fromFeed = (job: Initial): FeedRow => ({
  id: job.id,
  pipeline: job.pipeline,
  model: job.model,
  status: job.status,
  at: job.startedAt,
  latencyMs: job.latencyMs,
  runningFor: job.runningFor,
  outputFps: job.outputFps,
  orchestrator: job.orchestratorUrl,
  seller: null,
  live: false,
});
const fromLive = (job: LiveJob): FeedRow => ({
  id: job.id,
  pipeline: job.pipeline,
  model: job.model,
  status: job.status,
  at: new Date().toISOString(),
  latencyMs: job.latencyMs,
  runningFor: null,
  outputFps: null,
  orchestrator: job.orchestrator?.id ?? null,
  seller: job.orchestrator?.seller.name ?? null,
  live: true,
});

/** Each job once (the first copy wins), newest first, at most FEED_LIMIT. */
function merge(rows: FeedRow[], incoming: FeedRow[]): FeedRow[] {
  const seen = new Set<string>();
  const unique = [...incoming, ...rows].filter((row) => !seen.has(row.id) && seen.add(row.id));
  return unique.sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, FEED_LIMIT);
}

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Live updates stopped',
};

function StatusBadge({ status }: { status: LiveStatus }) {
  return (
    <span className={`badge ov-live ov-live-${status}`} role="status" data-testid="live-status">
      <span aria-hidden="true" className="ov-live-dot" />
      {STATUS_TEXT[status]}
    </span>
  );
}

function JobStatus({ status }: { status: string }) {
  const tone =
    status === 'completed' || status === 'running' || status === 'online'
      ? 'good'
      : status === 'failed' || status.startsWith('degraded')
        ? 'bad'
        : '';
  return <span className={`badge ${tone}`}>{status}</span>;
}

export function JobFeedSection() {
  const [rows, setRows] = useState<FeedRow[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [liveError, setLiveError] = useState<string | undefined>(undefined);
  const [, setClock] = useState(0);

  useEffect(() => {
    let active = true;
    const loadFeed = () =>
      request(DashboardJobFeedDocument, { limit: FEED_LIMIT }).then(
        (data) => {
          if (!active) return;
          setRows((current) => merge(current, data.jobFeed.map(fromFeed)));
          setError(undefined);
          setLoading(false);
        },
        (caught) => {
          if (!active) return;
          setError(caught);
          setLoading(false);
        },
      );
    // Live jobs that arrive before the first page of the feed are merged, not lost; after a
    // reconnect the feed is read again for the jobs that finished while the socket was down.
    const stop = watchJobs(
      (job) => active && setRows((current) => merge(current, [fromLive(job)])),
      (next, message) => {
        if (!active) return;
        setStatus(next);
        setLiveError(next === 'failed' ? message : undefined);
      },
      () => void loadFeed(),
    );
    void loadFeed();
    // "12s ago" stays true while the page is open.
    const tick = setInterval(() => setClock((value) => value + 1), 10_000);
    return () => {
      active = false;
      stop();
      clearInterval(tick);
    };
  }, []);

  return (
    <Section title="Live job feed" actions={<StatusBadge status={status} />}>
      <p className="muted">Each request on the network as it finishes, newest first (the last {FEED_LIMIT}).</p>
      {liveError && <ErrorMessage error={liveError} />}
      <ErrorMessage error={error} />
      {loading && !rows.length ? (
        <p className="muted" role="status">
          Loading the newest jobs…
        </p>
      ) : !rows.length ? (
        <Empty>No jobs yet. They appear here the moment a request finishes — no reload needed.</Empty>
      ) : (
        <div className="table-wrap ov-feed">
          <table data-testid="job-feed">
            <caption className="sr-only">The newest jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Pipeline</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col" className="num">
                  Ran for
                </th>
                <th scope="col" className="num">
                  Output/s
                </th>
                <th scope="col">Orchestrator</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} className={row.live ? 'ov-new' : undefined} data-job-id={row.id}>
                  <td>
                    <time dateTime={row.at}>{formatRelative(row.at)}</time>
                  </td>
                  <td>{pipelineName(row.pipeline)}</td>
                  <td>{row.model ? <code>{row.model}</code> : '—'}</td>
                  <td>
                    <JobStatus status={row.status} />
                  </td>
                  <td className="num">{row.latencyMs === null ? '—' : `${formatNumber(row.latencyMs, 0)} ms`}</td>
                  <td className="num">{row.runningFor ?? '—'}</td>
                  <td className="num">{row.outputFps === null ? '—' : formatNumber(row.outputFps, 1)}</td>
                  <td>
                    {row.orchestrator ? <code className="ov-address">{row.orchestrator}</code> : '—'}
                    {row.seller && <span className="muted"> · {row.seller}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
