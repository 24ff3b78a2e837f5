// Payouts: what can leave the seller's earnings now, a payout request, the conversion of earnings
// into the seller's own buyer credit, and the payouts so far.
import { useState, type FormEvent } from 'react';
import {
  PayoutConvertEarningsDocument,
  PayoutListDocument,
  PayoutRequestDocument,
  PayoutWithdrawableDocument,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, Section, useAction, useLoad } from '../../shared/ui';
import { formatMicros, microsToDecimal, parseUsdToMicros, usdField } from '../../shared/money';
import { Field, Pager, Tile } from '../../shared/parts';
import { Empty, StateBadge } from './parts';

const PAGE_SIZE = 20;

export function PayoutsSection() {
  const money = useLoad(async () => (await request(PayoutWithdrawableDocument)).earningsSummary, []);
  const [page, setPage] = useState(1);
  const payouts = useLoad(async () => (await request(PayoutListDocument, { page, pageSize: PAGE_SIZE })).payouts, [page]);
  const refresh = () => {
    money.reload();
    payouts.reload();
  };
  return (
    <div className="seller-root">
      <h1>Payouts</h1>
      {money.error ? <ErrorMessage error={money.error} /> : null}
      {money.data && (
        <div className="grid tiles" role="group" aria-label="What can leave your earnings">
          <Tile label="Withdrawable" value={formatMicros(money.data.withdrawable.micros)} hint="can be paid out" />
          <Tile label="Available" value={formatMicros(money.data.available.micros)} />
          <Tile label="Credit only" value={formatMicros(money.data.creditOnly.micros)} hint="paid with free credit: convert it" />
          <Tile label="Payout pending" value={formatMicros(money.data.payoutPending.micros)} />
          <Tile label="Paid out" value={formatMicros(money.data.paidOut.micros)} />
          <Tile label="Converted" value={formatMicros(money.data.converted.micros)} />
        </div>
      )}
      <div className="grid two">
        <AmountForm
          title="Request a payout"
          description="Pays out available earnings through the sandbox payout provider (no real money moves). One payout may be pending at a time."
          button="Request payout"
          max={money.data?.withdrawable.micros}
          onSubmit={async (amount) => {
            const payout = (await request(PayoutRequestDocument, { amount })).requestPayout;
            refresh();
            return `Payout of ${formatMicros(payout.amount.micros)} requested (${payout.status.toLowerCase()}).`;
          }}
        />
        <AmountForm
          title="Convert to buyer credit"
          description="Turns available earnings into your own credit for buying inference: the free-credit-funded part becomes promo credit, the rest balance."
          button="Convert"
          max={money.data?.available.micros}
          onSubmit={async (amount) => {
            const conversion = (await request(PayoutConvertEarningsDocument, { amount })).convertEarnings;
            refresh();
            return `Converted ${formatMicros(conversion.amount.micros)}: ${formatMicros(conversion.balance.micros)} balance, ${formatMicros(conversion.promoCredit.micros)} promo credit.`;
          }}
        />
      </div>
      <Section title="Your payouts">
        {payouts.error ? <ErrorMessage error={payouts.error} /> : null}
        {payouts.data && payouts.data.items.length === 0 && <Empty>No payouts yet.</Empty>}
        {payouts.data && payouts.data.items.length > 0 && (
          <>
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Your payouts</caption>
                <thead>
                  <tr>
                    <th scope="col">Requested</th>
                    <th scope="col" className="num">
                      Amount
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Reference</th>
                    <th scope="col">Completed</th>
                  </tr>
                </thead>
                <tbody>
                  {payouts.data.items.map((payout) => (
                    <tr key={payout.id}>
                      <td>{formatDate(payout.requestedAt)}</td>
                      <td className="num">{formatMicros(payout.amount.micros)}</td>
                      <td>
                        <StateBadge state={payout.status} />
                      </td>
                      <td>{payout.provider}</td>
                      <td className="mono">{payout.providerReference ?? '—'}</td>
                      <td>{formatDate(payout.completedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} pageSize={PAGE_SIZE} total={payouts.data.total} onPage={setPage} />
          </>
        )}
      </Section>
    </div>
  );
}

function AmountForm({
  title,
  description,
  button,
  max,
  onSubmit,
}: {
  title: string;
  description: string;
  button: string;
  max: number | undefined;
  onSubmit: (amount: string) => Promise<string>;
}) {
  const [amount, setAmount] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction(async () => {
    setDone(null);
    const message = await onSubmit(usdField(amount) ?? '');
    setAmount('');
    setDone(message);
  });
  const micros = amount.trim() ? parseUsdToMicros(amount) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run();
  };
  return (
    <Section title={title}>
      <p className="muted" style={{ margin: 0 }}>
        {description}
      </p>
      <form className="inline" aria-label={title} onSubmit={submit}>
        <Field
          label="Amount (USD)"
          hint={micros !== null ? formatMicros(micros) : max !== undefined ? `up to ${formatMicros(max)}` : 'USD'}
          live
        >
          <input
            name="amount"
            inputMode="decimal"
            autoComplete="off"
            placeholder="0.00"
            value={amount}
            onChange={(event) => setAmount(event.target.value)}
          />
        </Field>
        {max !== undefined && max > 0 && (
          <button type="button" onClick={() => setAmount(microsToDecimal(BigInt(max)))}>
            All
          </button>
        )}
        <button type="submit" className="primary" disabled={action.pending}>
          {button}
        </button>
      </form>
      <ErrorMessage error={action.error} />
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
    </Section>
  );
}
