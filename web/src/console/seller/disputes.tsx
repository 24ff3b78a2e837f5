// Disputes against the seller's listings: the evidence, the deadline, and the two answers (accept:
// the buyer is refunded from your earnings; contest: decided when the window ends).
import { useState, type FormEvent } from 'react';
import {
  DisputeAcceptDocument,
  DisputeContestDocument,
  DisputeSellerListDocument,
  type DisputeFieldsFragment,
  type DisputeStatus,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, Section, useAction, useLoad } from '../../shared/ui';
import { formatMicros } from '../../shared/money';
import { ConfirmButton, Pager } from '../../shared/parts';
import { Empty, StateBadge } from './parts';

const PAGE_SIZE = 20;

export function SellerDisputesSection() {
  const [status, setStatus] = useState<DisputeStatus | ''>('OPEN');
  const [page, setPage] = useState(1);
  const disputes = useLoad(
    async () => (await request(DisputeSellerListDocument, { page, pageSize: PAGE_SIZE, ...(status ? { status } : {}) })).sellerDisputes,
    [status, page],
  );
  return (
    <div className="seller-root">
      <h1>Buyer disputes</h1>
      <p className="muted">Buyers' disputes of requests your listings served. Answer before the deadline; after it the platform decides.</p>
      <Section
        title="Disputes against your listings"
        actions={
          <label className="row" style={{ flexDirection: 'row' }}>
            <span>Status</span>
            <select
              value={status}
              onChange={(event) => {
                setStatus(event.target.value as DisputeStatus | '');
                setPage(1);
              }}
            >
              <option value="OPEN">Open</option>
              <option value="RESOLVED_BUYER">Resolved for the buyer</option>
              <option value="RESOLVED_SELLER">Resolved for you</option>
              <option value="">All</option>
            </select>
          </label>
        }
      >
        {disputes.error ? <ErrorMessage error={disputes.error} /> : null}
        {disputes.data && disputes.data.items.length === 0 && <Empty>No disputes{status === 'OPEN' ? ' are open' : ''}.</Empty>}
        {disputes.data && disputes.data.items.length > 0 && (
          <>
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Disputes against your listings</caption>
                <thead>
                  <tr>
                    <th scope="col">Opened</th>
                    <th scope="col">Model / request</th>
                    <th scope="col" className="num">
                      Charged
                    </th>
                    <th scope="col">Buyer's reason</th>
                    <th scope="col">Evidence</th>
                    <th scope="col">Status</th>
                    <th scope="col">Respond by</th>
                    <th scope="col">Answer</th>
                  </tr>
                </thead>
                <tbody>
                  {disputes.data.items.map((dispute) => (
                    <DisputeRow key={dispute.id} dispute={dispute} onChanged={disputes.reload} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} pageSize={PAGE_SIZE} total={disputes.data.total} onPage={setPage} />
          </>
        )}
      </Section>
    </div>
  );
}

function DisputeRow({ dispute, onChanged }: { dispute: DisputeFieldsFragment; onChanged: () => void }) {
  const [contesting, setContesting] = useState(false);
  const [reason, setReason] = useState('');
  const accept = useAction(async () => {
    await request(DisputeAcceptDocument, { id: dispute.id });
    onChanged();
  });
  const contest = useAction(async () => {
    await request(DisputeContestDocument, { id: dispute.id, reason });
    setContesting(false);
    onChanged();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void contest.run();
  };
  const open = dispute.status === 'OPEN' && !dispute.contestedAt;
  return (
    <tr>
      <td>{formatDate(dispute.openedAt)}</td>
      <td>
        {dispute.model}
        <div className="mono muted" style={{ fontSize: '0.8rem' }}>
          {dispute.requestId}
        </div>
      </td>
      <td className="num">{formatMicros(dispute.charged.micros)}</td>
      <td className="wrap">{dispute.reason}</td>
      <td className="wrap">{dispute.evidence.length ? dispute.evidence.join(', ') : <span className="muted">none</span>}</td>
      <td>
        <StateBadge state={dispute.status} />
        {dispute.resolution && <div className="muted">{dispute.resolution.replace(/_/g, ' ').toLowerCase()}</div>}
        {dispute.refund.micros > 0 && <div className="muted">refunded {formatMicros(dispute.refund.micros)}</div>}
      </td>
      <td>{formatDate(dispute.respondBy)}</td>
      <td className="wrap">
        {dispute.sellerResponse && <p style={{ margin: 0 }}>You: {dispute.sellerResponse}</p>}
        {open && !contesting && (
          <div className="seller-actions">
            <ConfirmButton
              label="Accept"
              confirmLabel={`Refund ${formatMicros(dispute.charged.micros)}`}
              disabled={accept.pending}
              onConfirm={() => void accept.run()}
            />
            <button type="button" onClick={() => setContesting(true)}>
              Contest
            </button>
          </div>
        )}
        {open && contesting && (
          <form className="stack" style={{ gap: 6 }} aria-label={`Contest the dispute of ${dispute.requestId}`} onSubmit={submit}>
            <label>
              Your reason
              <textarea name="reason" rows={3} value={reason} onChange={(event) => setReason(event.target.value)} />
            </label>
            <div className="seller-actions">
              <button type="submit" className="primary" disabled={contest.pending}>
                Contest dispute
              </button>
              <button type="button" onClick={() => setContesting(false)}>
                Cancel
              </button>
            </div>
          </form>
        )}
        <ErrorMessage error={accept.error ?? contest.error} />
      </td>
    </tr>
  );
}
