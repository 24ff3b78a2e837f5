// Listings: the seller's supply on the market. Each starts PENDING and is admitted by a probe
// through its pool key; the page follows a pending admission until its first check lands.
import { useEffect, useState, type FormEvent } from 'react';
import {
  SupplyClaimSellerHandleDocument,
  SupplyConfirmListingPriceDocument,
  SupplyContractChecksDocument,
  SupplyDeleteListingDocument,
  SupplyListingContractsDocument,
  SupplyListingProbeRunsDocument,
  SupplyListingsDocument,
  SupplyPoolKeysDocument,
  SupplyPriceReviewsDocument,
  SupplyProbeListingDocument,
  SupplyReverifyContractDocument,
  SupplySellerDocument,
  SupplySetListingPausedDocument,
  SupplyUnsuspendContractDocument,
  SupplyUpdateListingDocument,
  type SupplyListingFragment,
  type SupplyPricesFragment,
  type UpdateListingInput,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, Section, useAction, useLoad } from '../../shared/ui';
import { formatMicros, usdField } from '../../shared/money';
import { CreateListingForm } from './listing-form';
import { ConfirmButton, formatCount } from '../../shared/parts';
import { Empty, PassBadge, StateBadge } from './parts';

/** How often a listing whose admission probe has not reported yet is read again. */
const ADMISSION_POLL_MS = 1500;

function awaitingAdmission(listing: SupplyListingFragment): boolean {
  return listing.status === 'PENDING' && listing.poolKey !== null && !listing.contract?.lastCheckAt;
}

export function ListingsSection() {
  const listings = useLoad(async () => (await request(SupplyListingsDocument)).myListings, []);
  const poolKeys = useLoad(async () => (await request(SupplyPoolKeysDocument)).poolKeys, []);
  const seller = useLoad(async () => (await request(SupplySellerDocument)).mySeller, []);
  const [openId, setOpenId] = useState<string | null>(null);
  const [createdId, setCreatedId] = useState<string | null>(null);
  const created = listings.data?.find((listing) => listing.id === createdId);
  const opened = listings.data?.find((listing) => listing.id === openId);

  // The admission probe runs in the background after createListing: read again until it reports.
  const pending = listings.data?.some(awaitingAdmission) ?? false;
  useEffect(() => {
    if (!pending || listings.loading) return;
    const timer = setTimeout(listings.reload, ADMISSION_POLL_MS);
    return () => clearTimeout(timer);
  }, [pending, listings.loading, listings.data, listings.reload]);

  const refresh = () => {
    listings.reload();
    seller.reload();
  };

  return (
    <div className="seller-root">
      <h1>Listings</h1>
      <SellerHandle handle={seller.data?.handle} error={seller.error} onClaimed={seller.reload} />
      <Section title="New listing">
        {poolKeys.error ? <ErrorMessage error={poolKeys.error} /> : null}
        {poolKeys.data ? (
          <>
            {poolKeys.data.length === 0 && (
              <p className="notice">
                You have no pool key yet: add one under <a href="/dashboard/pool-keys">Pool keys</a> first, or save this listing as a draft.
              </p>
            )}
            <CreateListingForm
              poolKeys={poolKeys.data}
              handle={seller.data?.handle}
              onCreated={(listing) => {
                setCreatedId(listing.id);
                setOpenId(listing.id);
                refresh();
              }}
            />
            {created && (
              <p className="notice" role="status">
                Listed <strong>{created.model}</strong>. {admissionNote(created)}
              </p>
            )}
          </>
        ) : (
          !poolKeys.error && <p aria-busy="true">Loading…</p>
        )}
      </Section>
      <Section
        title="Your listings"
        actions={
          pending ? (
            <span className="muted" aria-live="polite">
              Waiting for admission…
            </span>
          ) : undefined
        }
      >
        {listings.error ? <ErrorMessage error={listings.error} /> : null}
        {listings.data ? (
          listings.data.length === 0 ? (
            <Empty>No listings yet.</Empty>
          ) : (
            <>
              <ListingTable
                listings={listings.data}
                openId={openId}
                onToggle={(id) => setOpenId(openId === id ? null : id)}
                onChanged={refresh}
              />
              {opened && <ListingDetail key={opened.id} listing={opened} onChanged={refresh} />}
            </>
          )
        ) : (
          !listings.error && <p aria-busy="true">Loading…</p>
        )}
      </Section>
      <PriceReviews version={listings.data} onChanged={refresh} />
    </div>
  );
}

function SellerHandle({ handle, error, onClaimed }: { handle: string | null | undefined; error: unknown; onClaimed: () => void }) {
  const [wanted, setWanted] = useState('');
  const claim = useAction(async () => {
    await request(SupplyClaimSellerHandleDocument, { handle: wanted.trim() });
    setWanted('');
    onClaimed();
  });
  if (error) return <ErrorMessage error={error} />;
  if (handle === undefined) return null;
  if (handle) {
    return (
      <p className="muted">
        Your handle: <code className="mono">{handle}</code> — your own model ids are <code className="mono">{handle}/&lt;name&gt;</code>.
      </p>
    );
  }
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void claim.run();
  };
  return (
    <Section title="Your seller handle">
      <p className="muted">
        Your own model ids are listed as &lt;handle&gt;/&lt;name&gt;. Choose it now, or it is taken from your first listing under your own
        namespace. It is chosen once.
      </p>
      <form className="inline" aria-label="Claim a seller handle" onSubmit={onSubmit}>
        <label>
          Handle
          <input name="handle" autoComplete="off" spellCheck={false} value={wanted} onChange={(event) => setWanted(event.target.value)} />
        </label>
        <button type="submit" disabled={claim.pending}>
          Claim handle
        </button>
      </form>
      <ErrorMessage error={claim.error} />
    </Section>
  );
}

/** Where a new listing's admission stands, in words. */
function admissionNote(listing: SupplyListingFragment): string {
  if (listing.status === 'ACTIVE') return 'It passed its admission probe and is routed.';
  if (!listing.poolKey) return 'It is a draft: give it a pool key to have it probed and routed.';
  if (awaitingAdmission(listing)) return 'Its admission probe is running; it is routed once admitted.';
  if (listing.contract?.lastCheckPassed === false)
    return `Its admission probe failed: ${listing.contract.lastReason ?? 'see its probe runs'}. Fix the cause and probe it again.`;
  return `It is ${listing.status.toLowerCase()}.`;
}

function price(listing: SupplyListingFragment): string {
  if (listing.capability === 'SPEECH') return `${formatMicros(listing.pricePerMChars?.micros)} / 1M chars`;
  return `${formatMicros(listing.inputPricePerMTok.micros)} in · ${formatMicros(listing.outputPricePerMTok.micros)} out`;
}

function ListingTable({
  listings,
  openId,
  onToggle,
  onChanged,
}: {
  listings: SupplyListingFragment[];
  openId: string | null;
  onToggle: (id: string) => void;
  onChanged: () => void;
}) {
  const act = useAction(async (action: () => Promise<unknown>) => {
    await action();
    onChanged();
  });
  return (
    <>
      <ErrorMessage error={act.error} />
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Your listings</caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Status</th>
              <th scope="col">Contract</th>
              <th scope="col">Verification</th>
              <th scope="col">Price (per 1M tokens)</th>
              <th scope="col">Pool key</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {listings.map((listing) => (
              <tr key={listing.id} data-testid="listing-row" data-model={listing.model}>
                <td>
                  <strong>{listing.model}</strong>
                  <div className="muted" style={{ fontSize: '0.8rem' }}>
                    {listing.capability.toLowerCase()}
                    {listing.upstreamModel && listing.upstreamModel !== listing.model ? ` · ${listing.upstreamModel}` : ''}
                  </div>
                </td>
                <td data-testid="listing-status">
                  <StateBadge state={listing.status} label={listing.status === 'ACTIVE' ? 'admitted' : undefined} />
                </td>
                <td>{listing.contract ? <StateBadge state={listing.contract.state} /> : <span className="muted">—</span>}</td>
                <td>
                  <StateBadge state={listing.verification.status} />
                </td>
                <td>{price(listing)}</td>
                <td>{listing.poolKey ? listing.poolKey.provider : <span className="muted">draft</span>}</td>
                <td>
                  <div className="seller-actions">
                    <button type="button" aria-expanded={openId === listing.id} onClick={() => onToggle(listing.id)}>
                      {openId === listing.id ? 'Hide details' : 'Details'}
                    </button>
                    <button
                      type="button"
                      disabled={act.pending || !listing.poolKey}
                      onClick={() => void act.run(() => request(SupplyProbeListingDocument, { id: listing.id }))}
                    >
                      Probe now
                    </button>
                    <button
                      type="button"
                      disabled={act.pending}
                      onClick={() =>
                        void act.run(() => request(SupplySetListingPausedDocument, { id: listing.id, paused: !listing.paused }))
                      }
                    >
                      {listing.paused ? 'Resume' : 'Pause'}
                    </button>
                    <ConfirmButton
                      label="Delete"
                      confirmLabel={`Delete ${listing.model}`}
                      disabled={act.pending}
                      onConfirm={() => void act.run(() => request(SupplyDeleteListingDocument, { id: listing.id }))}
                    />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ListingDetail({ listing, onChanged }: { listing: SupplyListingFragment; onChanged: () => void }) {
  // Read again whenever the listing itself changes (a probe, a check, a price change).
  const version = `${listing.updatedAt}|${listing.contract?.lastCheckAt}|${listing.status}`;
  const runs = useLoad(
    async () => (await request(SupplyListingProbeRunsDocument, { listingId: listing.id, limit: 10 })).listingProbeRuns,
    [listing.id, version],
  );
  const contracts = useLoad(
    async () => (await request(SupplyListingContractsDocument, { listingId: listing.id })).listingContracts,
    [listing.id, version],
  );
  const contractId = listing.contract?.id;
  const checks = useLoad(
    async () => (contractId ? (await request(SupplyContractChecksDocument, { contractId, limit: 20 })).contractChecks : []),
    [contractId, version],
  );
  const act = useAction(async (action: () => Promise<unknown>) => {
    await action();
    onChanged();
  });
  const contract = listing.contract;
  return (
    <div className="seller-detail stack" aria-label={`${listing.model} details`} role="region">
      <h3 className="seller-detail-title">
        Details of <code className="mono">{listing.model}</code>
      </h3>
      <div className="grid two">
        <div className="stack" style={{ gap: 8 }}>
          <h4>Contract</h4>
          {contract ? (
            <>
              <dl className="seller-facts">
                <dt>State</dt>
                <dd>
                  <StateBadge state={contract.state} />
                </dd>
                <dt>Failures in a row</dt>
                <dd>{contract.consecutiveFailures}</dd>
                <dt>Latency / first token</dt>
                <dd>
                  {formatCount(contract.latencyMs, ' ms')} / {formatCount(contract.ttftMs, ' ms')}
                </dd>
                <dt>Tokens per second</dt>
                <dd>{formatCount(contract.tokensPerSecond)}</dd>
                <dt>Last check</dt>
                <dd>
                  {formatDate(contract.lastCheckAt)} <PassBadge passed={contract.lastCheckPassed} />
                </dd>
                {contract.lastReason && (
                  <>
                    <dt>Reason</dt>
                    <dd>{contract.lastReason}</dd>
                  </>
                )}
                <dt>Admitted</dt>
                <dd>{formatDate(contract.admittedAt)}</dd>
              </dl>
              <div className="seller-actions">
                <button
                  type="button"
                  disabled={act.pending}
                  onClick={() => void act.run(() => request(SupplyReverifyContractDocument, { id: contract.id }))}
                >
                  Re-verify
                </button>
                {contract.state === 'SUSPENDED' && (
                  <button
                    type="button"
                    disabled={act.pending}
                    onClick={() => void act.run(() => request(SupplyUnsuspendContractDocument, { id: contract.id }))}
                  >
                    Unsuspend
                  </button>
                )}
              </div>
              <ErrorMessage error={act.error} />
            </>
          ) : (
            <Empty>No contract yet.</Empty>
          )}
        </div>
        <div className="stack" style={{ gap: 8 }}>
          <h4>Listing</h4>
          <dl className="seller-facts">
            <dt>Created</dt>
            <dd>{formatDate(listing.createdAt)}</dd>
            <dt>Upstream model</dt>
            <dd className="mono">{listing.upstreamModel ?? '—'}</dd>
            <dt>Context / max output</dt>
            <dd>
              {formatCount(listing.contextLength)} / {formatCount(listing.maxOutputTokens)}
            </dd>
            <dt>Parameters</dt>
            <dd>{listing.supportedParameters.length ? listing.supportedParameters.join(', ') : '—'}</dd>
            <dt>Caps</dt>
            <dd>
              rpm {formatCount(listing.caps.rpm)} · tpm {formatCount(listing.caps.tpm)} · concurrency{' '}
              {formatCount(listing.caps.maxConcurrency)} · daily tokens {formatCount(listing.caps.dailyTokens)}
            </dd>
            <dt>Price floor</dt>
            <dd>{formatMicros(listing.priceFloor?.micros)}</dd>
            {listing.capability === 'CHAT' && (
              <>
                <dt>Cached input</dt>
                <dd>{listing.cacheReadPricePerMTok ? formatMicros(listing.cacheReadPricePerMTok.micros) : 'the input price'}</dd>
              </>
            )}
            <dt>Supply</dt>
            <dd>
              {[
                listing.quantization,
                listing.region,
                listing.hardware ? `${listing.hardware.gpuCount ?? '?'} × ${listing.hardware.gpuModel ?? 'GPU'}` : null,
              ]
                .filter(Boolean)
                .join(' · ') || '—'}
            </dd>
            <dt>Data policy</dt>
            <dd>
              {listing.dataPolicy.zeroRetention
                ? 'zero retention'
                : [
                    listing.dataPolicy.retainsPrompts ? 'keeps prompts' : 'does not keep prompts',
                    listing.dataPolicy.trainsOnPrompts ? 'trains on prompts' : 'no training',
                  ].join(', ')}
            </dd>
          </dl>
        </div>
      </div>

      <h4>Verification</h4>
      <p>
        <StateBadge state={listing.verification.status} />{' '}
        {listing.verification.canonicalModel ? (
          <>
            as <code className="mono">{listing.verification.canonicalModel}</code>
          </>
        ) : (
          <span className="muted">own namespace</span>
        )}{' '}
        <span className="muted">{listing.verification.checkedAt ? `checked ${formatDate(listing.verification.checkedAt)}` : ''}</span>
      </p>
      {listing.verification.checks.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Verification checks</caption>
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Result</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {listing.verification.checks.map((check) => (
                <tr key={check.name}>
                  <td className="mono">{check.name}</td>
                  <td>
                    <PassBadge passed={check.passed} />
                  </td>
                  <td className="wrap">{check.detail ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <ChangePrices listing={listing} onChanged={onChanged} />

      <h4>Probe runs</h4>
      {runs.error ? <ErrorMessage error={runs.error} /> : null}
      {runs.data && runs.data.length === 0 && <Empty>No probe has run yet.</Empty>}
      {runs.data && runs.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Probe runs</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Kind</th>
                <th scope="col">Result</th>
                <th scope="col" className="num">
                  HTTP
                </th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col" className="num">
                  First token
                </th>
                <th scope="col" className="num">
                  Tokens/s
                </th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((run) => (
                <tr key={run.id} data-testid="probe-run">
                  <td>{formatDate(run.startedAt)}</td>
                  <td>{run.kind.toLowerCase()}</td>
                  <td>
                    <PassBadge passed={run.passed} />
                  </td>
                  <td className="num">{run.httpStatus ?? '—'}</td>
                  <td className="num">{formatCount(run.latencyMs, ' ms')}</td>
                  <td className="num">{formatCount(run.ttftMs, ' ms')}</td>
                  <td className="num">{formatCount(run.tokensPerSecond)}</td>
                  <td className="wrap">{run.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h4>Contract checks</h4>
      {checks.error ? <ErrorMessage error={checks.error} /> : null}
      {checks.data && checks.data.length === 0 && <Empty>No checks yet.</Empty>}
      {checks.data && checks.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Contract checks</caption>
            <thead>
              <tr>
                <th scope="col">Checked</th>
                <th scope="col">Kind</th>
                <th scope="col">Result</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {checks.data.map((check) => (
                <tr key={check.id}>
                  <td>{formatDate(check.checkedAt)}</td>
                  <td>{check.kind.toLowerCase()}</td>
                  <td>
                    <PassBadge passed={check.passed} />
                  </td>
                  <td>
                    {check.stateBefore.toLowerCase()} → {check.stateAfter.toLowerCase()}
                  </td>
                  <td className="num">{formatCount(check.latencyMs, ' ms')}</td>
                  <td className="wrap">{check.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {contracts.data && contracts.data.length > 1 && (
        <>
          <h4>Earlier contracts</h4>
          <ul>
            {contracts.data
              .filter((candidate) => candidate.id !== contractId)
              .map((candidate) => (
                <li key={candidate.id}>
                  <StateBadge state={candidate.state} /> created {formatDate(candidate.createdAt)}
                  {candidate.admittedAt ? `, admitted ${formatDate(candidate.admittedAt)}` : ''}
                </li>
              ))}
          </ul>
        </>
      )}
      {contracts.error ? <ErrorMessage error={contracts.error} /> : null}
    </div>
  );
}

function ChangePrices({ listing, onChanged }: { listing: SupplyListingFragment; onChanged: () => void }) {
  const [input, setInput] = useState('');
  const [output, setOutput] = useState('');
  const [perMChars, setPerMChars] = useState('');
  const [floor, setFloor] = useState('');
  const update = useAction(async () => {
    const change: UpdateListingInput = {};
    if (listing.capability === 'SPEECH') {
      if (perMChars.trim()) change.pricePerMChars = usdField(perMChars);
    } else {
      if (input.trim()) change.inputPricePerMTok = usdField(input);
      if (output.trim()) change.outputPricePerMTok = usdField(output);
    }
    if (floor.trim()) change.priceFloor = usdField(floor);
    await request(SupplyUpdateListingDocument, { id: listing.id, input: change });
    setInput('');
    setOutput('');
    setPerMChars('');
    setFloor('');
    onChanged();
  });
  const confirm = useAction(async (id: string) => {
    await request(SupplyConfirmListingPriceDocument, { id });
    onChanged();
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void update.run();
  };
  const review = listing.pendingPriceReview;
  return (
    <div className="stack" style={{ gap: 8 }}>
      <h4>Prices</h4>
      {review && (
        <div className="notice" role="status">
          <p style={{ marginTop: 0 }}>
            A price increase of {formatCount(review.increasePercent)}% waits for your confirmation: {describePrices(review.proposed)} (now{' '}
            {describePrices(review.current)}). The listing keeps its current price until you confirm.
          </p>
          <button type="button" className="primary" disabled={confirm.pending} onClick={() => void confirm.run(listing.id)}>
            Confirm new price
          </button>
          <ErrorMessage error={confirm.error} />
        </div>
      )}
      <form className="inline" aria-label={`Change prices of ${listing.model}`} onSubmit={onSubmit}>
        {listing.capability === 'SPEECH' ? (
          <label>
            Per 1M characters (USD)
            <input
              name="pricePerMChars"
              inputMode="decimal"
              value={perMChars}
              placeholder={formatMicros(listing.pricePerMChars?.micros)}
              onChange={(event) => setPerMChars(event.target.value)}
            />
          </label>
        ) : (
          <>
            <label>
              Input per 1M tokens (USD)
              <input
                name="inputPricePerMTok"
                inputMode="decimal"
                value={input}
                placeholder={formatMicros(listing.inputPricePerMTok.micros)}
                onChange={(event) => setInput(event.target.value)}
              />
            </label>
            <label>
              Output per 1M tokens (USD)
              <input
                name="outputPricePerMTok"
                inputMode="decimal"
                value={output}
                placeholder={formatMicros(listing.outputPricePerMTok.micros)}
                onChange={(event) => setOutput(event.target.value)}
              />
            </label>
          </>
        )}
        <label>
          Price floor (USD)
          <input
            name="priceFloor"
            inputMode="decimal"
            value={floor}
            placeholder={formatMicros(listing.priceFloor?.micros)}
            onChange={(event) => setFloor(event.target.value)}
          />
        </label>
        <button type="submit" disabled={update.pending}>
          Change prices
        </button>
      </form>
      <span className="hint">Decreases apply at once; a large increase waits for your confirmation.</span>
      <ErrorMessage error={update.error} />
    </div>
  );
}

function describePrices(prices: SupplyPricesFragment): string {
  const parts = [
    prices.inputPricePerMTok ? `input ${formatMicros(prices.inputPricePerMTok.micros)}` : null,
    prices.outputPricePerMTok ? `output ${formatMicros(prices.outputPricePerMTok.micros)}` : null,
    prices.pricePerMChars ? `${formatMicros(prices.pricePerMChars.micros)} per 1M chars` : null,
  ].filter(Boolean);
  return parts.join(', ') || 'unchanged';
}

function PriceReviews({ version, onChanged }: { version: unknown; onChanged: () => void }) {
  const [includeResolved, setIncludeResolved] = useState(false);
  const reviews = useLoad(
    async () => (await request(SupplyPriceReviewsDocument, { includeResolved })).priceReviews,
    [includeResolved, version],
  );
  const confirm = useAction(async (listingId: string) => {
    await request(SupplyConfirmListingPriceDocument, { id: listingId });
    onChanged();
  });
  return (
    <Section
      title="Price reviews"
      actions={
        <label className="seller-check">
          <input type="checkbox" checked={includeResolved} onChange={(event) => setIncludeResolved(event.target.checked)} />
          Show resolved
        </label>
      }
    >
      {reviews.error ? <ErrorMessage error={reviews.error} /> : null}
      <ErrorMessage error={confirm.error} />
      {reviews.data && reviews.data.length === 0 && <Empty>No price increase waits for confirmation.</Empty>}
      {reviews.data && reviews.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Price reviews</caption>
            <thead>
              <tr>
                <th scope="col">Listing</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Increase
                </th>
                <th scope="col">Now</th>
                <th scope="col">Proposed</th>
                <th scope="col">Opened</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {reviews.data.map((review) => (
                <tr key={review.id}>
                  <td>{review.listing?.model ?? '—'}</td>
                  <td>
                    <StateBadge state={review.status} />
                  </td>
                  <td className="num">{formatCount(review.increasePercent)}%</td>
                  <td className="wrap">{describePrices(review.current)}</td>
                  <td className="wrap">{describePrices(review.proposed)}</td>
                  <td>{formatDate(review.createdAt)}</td>
                  <td>
                    {review.status === 'PENDING' && review.listing && (
                      <button type="button" disabled={confirm.pending} onClick={() => void confirm.run(review.listing!.id)}>
                        Confirm
                      </button>
                    )}
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
