// Disputes: a charged request the buyer believes was overcharged, opened from the spend log (or by
// its request id), then answered by the seller or decided by the platform.
import { useState } from 'react';
import { DisputeListDocument, DisputeOpenDocument, type DisputeOpenMutation } from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, useAction, useLoad } from '../../shared/ui';
import { formatMicros } from '../../shared/money';
import { Pager, TableWrap } from '../../shared/parts';
import { Page, StatusBadge } from './parts';

const PAGE_SIZE = 20;

type Dispute = DisputeOpenMutation['openDispute'];

/** The reason form for one request; `requestId` empty means the reader types it. */
export function OpenDisputeForm({
  requestId: fixedId,
  onOpened,
  onCancel,
}: {
  requestId?: string;
  onOpened: (dispute: Dispute) => void;
  onCancel?: () => void;
}) {
  const [requestId, setRequestId] = useState(fixedId ?? '');
  const [reason, setReason] = useState('');
  const open = useAction(async () => {
    const { openDispute } = await request(DisputeOpenDocument, { requestId: requestId.trim(), reason: reason.trim() });
    setReason('');
    if (!fixedId) setRequestId('');
    onOpened(openDispute);
  });
  return (
    <form
      className="buyer-form"
      aria-label={fixedId ? `Dispute request ${fixedId}` : 'Open a dispute'}
      onSubmit={(event) => {
        event.preventDefault();
        void open.run();
      }}
    >
      {!fixedId && (
        <label>
          Request id
          <input name="requestId" required value={requestId} onChange={(event) => setRequestId(event.target.value)} />
        </label>
      )}
      <label className="wide">
        Reason
        <textarea
          name="reason"
          required
          maxLength={1000}
          placeholder="What was wrong with the charge"
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
      </label>
      <div className="wide">
        <ErrorMessage error={open.error} />
      </div>
      <div className="actions">
        <button className="primary" type="submit" disabled={open.pending}>
          Open dispute
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function DisputesSection() {
  const [page, setPage] = useState(1);
  const disputes = useLoad(() => request(DisputeListDocument, { page, pageSize: PAGE_SIZE }), [page]);
  const [opened, setOpened] = useState<Dispute | null>(null);
  return (
    <Page
      title="Disputes"
      intro="Dispute a charged request from the spend log. Metering evidence of an overcharge refunds you at once; otherwise the seller has until the respond-by time to accept or contest."
    >
      {opened && (
        <p className="notice" role="status">
          Dispute opened for request <code className="mono">{opened.requestId}</code>: {opened.status.replace(/_/g, ' ').toLowerCase()}
          {BigInt(opened.refund.micros) > 0n ? `, refunded ${formatMicros(opened.refund.micros)}` : ''}.
        </p>
      )}
      <section className="card stack" aria-labelledby="disputes-list">
        <h2 id="disputes-list">Your disputes</h2>
        <ErrorMessage error={disputes.error} />
        {disputes.data && disputes.data.disputes.items.length === 0 && <p className="muted">No disputes.</p>}
        {disputes.data && disputes.data.disputes.items.length > 0 && (
          <TableWrap label="Disputes, newest first">
            <table>
              <caption className="sr-only">Disputes, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Opened</th>
                  <th scope="col">Request</th>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">
                    Charged
                  </th>
                  <th scope="col">Reason</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Refund
                  </th>
                  <th scope="col">Respond by</th>
                </tr>
              </thead>
              <tbody>
                {disputes.data.disputes.items.map((dispute) => (
                  <tr key={dispute.id}>
                    <td>{formatDate(dispute.openedAt)}</td>
                    <th scope="row">
                      <code className="mono">{dispute.requestId}</code>
                    </th>
                    <td>{dispute.model}</td>
                    <td className="num">{formatMicros(dispute.charged.micros)}</td>
                    <td className="wrap">
                      {dispute.reason}
                      {dispute.sellerResponse ? <div className="muted">Seller: {dispute.sellerResponse}</div> : null}
                      {dispute.evidence.length ? (
                        <div className="muted">Evidence: {dispute.evidence.join(', ').replace(/_/g, ' ')}</div>
                      ) : null}
                    </td>
                    <td>
                      <StatusBadge status={dispute.status} />
                      {dispute.resolution ? <div className="muted">{dispute.resolution.replace(/_/g, ' ').toLowerCase()}</div> : null}
                    </td>
                    <td className="num">{formatMicros(dispute.refund.micros)}</td>
                    <td>{dispute.status === 'OPEN' ? formatDate(dispute.respondBy) : formatDate(dispute.resolvedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {disputes.data && <Pager page={page} pageSize={PAGE_SIZE} total={disputes.data.disputes.total} onPage={setPage} />}
      </section>
      <section className="card stack" aria-labelledby="disputes-open">
        <h2 id="disputes-open">Dispute a request by its id</h2>
        <OpenDisputeForm
          onOpened={(dispute) => {
            setOpened(dispute);
            disputes.reload();
          }}
        />
      </section>
    </Page>
  );
}
