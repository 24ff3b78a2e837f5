// Balance, sandbox top-ups and the ledger's postings.
import { useState } from 'react';
import {
  MoneyBalanceDocument,
  MoneyTopUpDocument,
  MoneyTransactionsDocument,
  MoneyUsageDocument,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, useAction, useLoad } from '../../shared/ui';
import { formatMicros, usdField } from '../../shared/money';
import { lastDays } from './fields';
import { formatCount, Pager, TableWrap, Tile } from '../../shared/parts';
import { Page } from './parts';

const PAGE_SIZE = 20;

const TYPE_LABELS: Record<string, string> = {
  trial_credit: 'Trial credit',
  topup: 'Top-up',
  usage_debit: 'Usage',
  seller_earning: 'Earning',
  platform_fee: 'Platform fee',
  earning_cooled: 'Earning available',
  reserve_hold: 'Reserve held',
  reserve_release: 'Reserve released',
  refund: 'Refund',
  adjustment: 'Adjustment',
};

export function BillingSection() {
  const balance = useLoad(() => request(MoneyBalanceDocument), []);
  const spent = useLoad(() => request(MoneyUsageDocument, lastDays(30)), []);
  const [page, setPage] = useState(1);
  const transactions = useLoad(() => request(MoneyTransactionsDocument, { page, pageSize: PAGE_SIZE }), [page]);
  const [amount, setAmount] = useState('');
  const [toppedUp, setToppedUp] = useState<string | null>(null);
  const topUp = useAction(async () => {
    setToppedUp(null);
    // An empty field is sent as typed so the API's own message explains what it wants.
    const { topUp: result } = await request(MoneyTopUpDocument, { amount: usdField(amount) ?? amount });
    setToppedUp(`Added ${formatMicros(result.amount.micros)}; the balance is now ${formatMicros(result.balance.micros)}.`);
    setAmount('');
    balance.reload();
    transactions.reload();
  });
  return (
    <Page title="Balance and billing" intro="Requests are paid from the balance, in micro-dollars, as they complete.">
      <section className="card stack" aria-labelledby="billing-balance">
        <h2 id="billing-balance">Balance</h2>
        <ErrorMessage error={balance.error ?? spent.error} />
        <div className="grid tiles">
          <Tile
            label="Available balance"
            testId="balance"
            value={balance.data ? formatMicros(balance.data.me.balance?.micros ?? 0) : '…'}
          />
          <Tile label="Spent, last 30 days" value={spent.data ? formatMicros(spent.data.usage.cost.micros) : '…'} />
          <Tile label="Requests, last 30 days" value={spent.data ? formatCount(spent.data.usage.requests) : '…'} />
        </div>
        <form
          className="buyer-form"
          aria-label="Top up"
          onSubmit={(event) => {
            event.preventDefault();
            void topUp.run();
          }}
        >
          <label>
            Top-up amount (USD)
            <input
              name="amount"
              inputMode="decimal"
              placeholder="25.00"
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
              aria-describedby="topup-hint"
            />
            <span id="topup-hint" className="hint">
              Sandbox: no real money moves.
            </span>
          </label>
          <div className="wide">
            <ErrorMessage error={topUp.error} />
            {toppedUp && (
              <p className="notice" role="status">
                {toppedUp}
              </p>
            )}
          </div>
          <div className="actions">
            <button className="primary" type="submit" disabled={topUp.pending}>
              Add funds
            </button>
          </div>
        </form>
      </section>
      <section className="card stack" aria-labelledby="billing-transactions">
        <h2 id="billing-transactions">Transactions</h2>
        <ErrorMessage error={transactions.error} />
        {transactions.data && transactions.data.transactions.items.length === 0 && <p className="muted">No transactions yet.</p>}
        {transactions.data && transactions.data.transactions.items.length > 0 && (
          <TableWrap label="Transactions, newest first">
            <table>
              <caption className="sr-only">Transactions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Type</th>
                  <th scope="col">Description</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col" className="num">
                    Balance after
                  </th>
                  <th scope="col" className="num">
                    Requests
                  </th>
                </tr>
              </thead>
              <tbody>
                {transactions.data.transactions.items.map((entry) => (
                  <tr key={entry.id}>
                    <td>{formatDate(entry.createdAt)}</td>
                    <td>{TYPE_LABELS[entry.type] ?? entry.type}</td>
                    <td className="wrap">{entry.description}</td>
                    <td className={`num ${BigInt(entry.amount.micros) < 0n ? 'bad' : 'good'}`}>{formatMicros(entry.amount.micros)}</td>
                    <td className="num">{formatMicros(entry.balanceAfter.micros)}</td>
                    <td className="num">{entry.requestCount || ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {transactions.data && <Pager page={page} pageSize={PAGE_SIZE} total={transactions.data.transactions.total} onPage={setPage} />}
      </section>
    </Page>
  );
}
