// The spend log: every request of the account, newest first, filtered, in cursor pages; each row
// opens its record with the signed receipt, or a dispute.
import { useState, type FormEvent } from 'react';
import {
  AccountKeysDocument,
  SpendLogRequestDocument,
  SpendLogRequestsDocument,
  type SpendLogRequestsQuery,
  type SpendLogRequestsQueryVariables,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, useLoad } from '../../shared/ui';
import { formatMicros } from '../../shared/money';
import { OpenDisputeForm } from './disputes';
import { formatCount, TableWrap } from '../../shared/parts';
import { Page, StatusBadge } from './parts';

const LIMIT = 50;

interface Filters {
  from: string;
  to: string;
  keyId: string;
  model: string;
  status: string;
  tag: string;
  user: string;
}

const EMPTY: Filters = { from: '', to: '', keyId: '', model: '', status: '', tag: '', user: '' };

/** The filters as the query's variables: dates are whole UTC days, `to` inclusive. */
function variables(filters: Filters, after: string | null): SpendLogRequestsQueryVariables {
  const vars: SpendLogRequestsQueryVariables = { limit: LIMIT };
  if (filters.from) vars.from = new Date(`${filters.from}T00:00:00Z`).toISOString();
  if (filters.to) vars.to = new Date(new Date(`${filters.to}T00:00:00Z`).getTime() + 86_400_000).toISOString();
  if (filters.keyId) vars.keyId = filters.keyId;
  if (filters.model.trim()) vars.model = filters.model.trim();
  if (filters.status) vars.status = filters.status;
  if (filters.tag.trim()) vars.tag = filters.tag.trim();
  if (filters.user.trim()) vars.user = filters.user.trim();
  if (after) vars.after = after;
  return vars;
}

export function SpendLogSection() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  // The cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  const log = useLoad(() => request(SpendLogRequestsDocument, variables(filters, after)), [filters, after]);
  const keys = useLoad(() => request(AccountKeysDocument, { page: 1, pageSize: 100, includeRevoked: true }), []);
  const keyName = (id: string) => keys.data?.apiKeys.items.find((key) => key.id === id)?.name ?? id;
  const [open, setOpen] = useState<{ id: string; kind: 'detail' | 'dispute' } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
    setCursors([null]);
  };
  const field = (name: keyof Filters) => ({
    name,
    value: draft[name],
    onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }),
  });
  const items = log.data?.spendLog.items ?? [];
  return (
    <Page title="Spend log" intro="Every request your keys made, newest first, with what it was charged.">
      <form className="buyer-form card" aria-label="Spend log filters" onSubmit={apply}>
        <label>
          From (UTC day)
          <input type="date" {...field('from')} />
        </label>
        <label>
          To (UTC day)
          <input type="date" {...field('to')} />
        </label>
        <label>
          Key
          <select {...field('keyId')}>
            <option value="">All keys</option>
            {(keys.data?.apiKeys.items ?? []).map((key) => (
              <option key={key.id} value={key.id}>
                {key.name} ({key.preview})
              </option>
            ))}
          </select>
        </label>
        <label>
          Model
          <input placeholder="Any" {...field('model')} />
        </label>
        <label>
          Status
          <select {...field('status')}>
            <option value="">Any</option>
            <option value="completed">Completed</option>
            <option value="failed">Failed</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </label>
        <label>
          Tag
          <input placeholder="Any" {...field('tag')} />
        </label>
        <label>
          End user
          <input placeholder="Any" {...field('user')} />
        </label>
        <div className="actions">
          <button className="primary" type="submit">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setCursors([null]);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <section className="card stack" aria-labelledby="spend-log-requests">
        <h2 id="spend-log-requests">Requests</h2>
        <ErrorMessage error={log.error} />
        {log.data && items.length === 0 && <p className="muted">No requests match.</p>}
        {items.length > 0 && (
          <TableWrap label="Requests, newest first">
            <table>
              <caption className="sr-only">Requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Request</th>
                  <th scope="col">Key</th>
                  <th scope="col">Model</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Tokens in / out
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((entry) => (
                  <SpendRows
                    key={entry.id}
                    entry={entry}
                    keyName={keyName(entry.keyId)}
                    open={open?.id === entry.id ? open.kind : null}
                    onOpen={(kind) => setOpen(open?.id === entry.id && open.kind === kind ? null : { id: entry.id, kind })}
                    onDisputed={(status) => {
                      setOpen(null);
                      setNotice(`Dispute opened for request ${entry.id}: ${status}. Follow it under Disputes.`);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <nav className="row" aria-label="Spend log pages">
          <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </button>
          <button
            type="button"
            disabled={!log.data?.spendLog.nextCursor}
            onClick={() => log.data?.spendLog.nextCursor && setCursors([...cursors, log.data.spendLog.nextCursor])}
          >
            Older
          </button>
        </nav>
      </section>
    </Page>
  );
}

type Entry = SpendLogRequestsQuery['spendLog']['items'][number];

function SpendRows({
  entry,
  keyName,
  open,
  onOpen,
  onDisputed,
}: {
  entry: Entry;
  keyName: string;
  open: 'detail' | 'dispute' | null;
  onOpen: (kind: 'detail' | 'dispute') => void;
  onDisputed: (status: string) => void;
}) {
  return (
    <>
      <tr>
        <td>{formatDate(entry.createdAt)}</td>
        <th scope="row">
          <code className="mono">{entry.id}</code>
        </th>
        <td>{keyName}</td>
        <td>{entry.model}</td>
        <td>
          <StatusBadge status={entry.status} />
        </td>
        <td className="num">
          {formatCount(entry.inputTokens)} / {formatCount(entry.outputTokens)}
        </td>
        <td className="num">{formatMicros(entry.cost.micros)}</td>
        <td className="num">{entry.latencyMs} ms</td>
        <td>
          <div className="buyer-actions">
            <button type="button" aria-expanded={open === 'detail'} onClick={() => onOpen('detail')}>
              Details
            </button>
            <button type="button" aria-expanded={open === 'dispute'} onClick={() => onOpen('dispute')}>
              Dispute
            </button>
          </div>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={9} style={{ whiteSpace: 'normal' }}>
            <div className="buyer-row-detail">
              {open === 'detail' ? (
                <RequestDetail id={entry.id} />
              ) : (
                <OpenDisputeForm
                  requestId={entry.id}
                  onOpened={(dispute) => onDisputed(dispute.status.replace(/_/g, ' ').toLowerCase())}
                  onCancel={() => onOpen('dispute')}
                />
              )}
            </div>
          </td>
        </tr>
      )}
    </>
  );
}

function RequestDetail({ id }: { id: string }) {
  const detail = useLoad(() => request(SpendLogRequestDocument, { id }), [id]);
  if (detail.error) return <ErrorMessage error={detail.error} />;
  const record = detail.data?.generation;
  if (!record) return <p aria-busy="true">Loading…</p>;
  return (
    <div className="buyer-detail stack">
      <dl>
        <dt>Request</dt>
        <dd>
          <code className="mono">{record.id}</code>
        </dd>
        <dt>Model</dt>
        <dd>{record.model}</dd>
        <dt>Capability</dt>
        <dd>{record.capability}</dd>
        <dt>Listing</dt>
        <dd>{record.listingId ?? '—'}</dd>
        <dt>Tokens</dt>
        <dd>
          {formatCount(record.inputTokens)} in, {formatCount(record.outputTokens)} out
          {record.characters ? `, ${formatCount(record.characters)} characters` : ''}
        </dd>
        <dt>Cost</dt>
        <dd>{formatMicros(record.cost.micros)}</dd>
        <dt>Latency</dt>
        <dd>
          {record.latencyMs} ms{record.timeToFirstTokenMs != null ? ` (first token after ${record.timeToFirstTokenMs} ms)` : ''}
        </dd>
      </dl>
      <div>
        <strong>Signed receipt</strong> <span className="muted">(JWS, verifiable with /.well-known/jwks.json)</span>
        <p className="buyer-receipt">{record.receipt}</p>
      </div>
    </div>
  );
}
