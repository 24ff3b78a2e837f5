// Routing profiles: how the data plane picks supply for a key bound to one (sort, provider and
// supply rules, price ceilings, fallbacks, timeouts).
import { useState } from 'react';
import {
  MarketCreateRoutingProfileDocument,
  MarketDeleteRoutingProfileDocument,
  MarketRoutingProfilesDocument,
  MarketUpdateRoutingProfileDocument,
  type CreateRoutingProfileInput,
  type MarketRoutingProfilesQuery,
  type RoutingSort,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, useAction, useLoad } from '../../shared/ui';
import { formatMicros, microsToInput, usdField } from '../../shared/money';
import { intField, splitList } from './fields';
import { ConfirmButton, TableWrap } from '../../shared/parts';
import { FormFooter, Page } from './parts';

type Profile = MarketRoutingProfilesQuery['routingProfiles'][number];

const SORTS: { value: RoutingSort; label: string }[] = [
  { value: 'PRICE', label: 'Price (cheapest first)' },
  { value: 'LATENCY', label: 'Latency (fastest first)' },
  { value: 'THROUGHPUT', label: 'Throughput (most tokens/s first)' },
];

export function RoutingSection() {
  const profiles = useLoad(() => request(MarketRoutingProfilesDocument), []);
  const [editing, setEditing] = useState<string | null>(null);
  const remove = useAction(async (id: string) => {
    await request(MarketDeleteRoutingProfileDocument, { id });
    profiles.reload();
  });
  const list = profiles.data?.routingProfiles ?? [];
  const current = list.find((profile) => profile.id === editing);
  return (
    <Page title="Routing profiles" intro="Bind a profile to a key (API keys → Edit) to choose how its requests find supply.">
      <section className="card stack" aria-labelledby="routing-list">
        <h2 id="routing-list">Your profiles</h2>
        <ErrorMessage error={profiles.error ?? remove.error} />
        {profiles.data && list.length === 0 && <p className="muted">No profiles yet: keys use the platform’s default routing.</p>}
        {list.length > 0 && (
          <TableWrap label="Routing profiles">
            <table>
              <caption className="sr-only">Routing profiles</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Sort</th>
                  <th scope="col">Providers</th>
                  <th scope="col" className="num">
                    Max input / MTok
                  </th>
                  <th scope="col" className="num">
                    Max output / MTok
                  </th>
                  <th scope="col">Fallbacks</th>
                  <th scope="col">Updated</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.map((profile) => (
                  <tr key={profile.id}>
                    <th scope="row">{profile.name}</th>
                    <td>{profile.sort.toLowerCase()}</td>
                    <td className="wrap">{providerSummary(profile)}</td>
                    <td className="num">{profile.maxInputPricePerMTok ? formatMicros(profile.maxInputPricePerMTok.micros) : '—'}</td>
                    <td className="num">{profile.maxOutputPricePerMTok ? formatMicros(profile.maxOutputPricePerMTok.micros) : '—'}</td>
                    <td className="wrap">{profile.allowFallbacks ? profile.fallbackModels.join(', ') || 'allowed' : 'off'}</td>
                    <td>{formatDate(profile.updatedAt)}</td>
                    <td>
                      <div className="buyer-actions">
                        <button
                          type="button"
                          aria-expanded={editing === profile.id}
                          onClick={() => setEditing(editing === profile.id ? null : profile.id)}
                        >
                          {editing === profile.id ? 'Close' : 'Edit'}
                        </button>
                        <ConfirmButton
                          label="Delete"
                          question={`Delete “${profile.name}”?`}
                          confirmLabel="Yes, delete"
                          onConfirm={() => void remove.run(profile.id)}
                        />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
      {current && (
        <section className="card stack" aria-labelledby="routing-edit">
          <h2 id="routing-edit">Edit “{current.name}”</h2>
          <ProfileForm
            key={current.id}
            profile={current}
            onSaved={() => {
              setEditing(null);
              profiles.reload();
            }}
          />
        </section>
      )}
      <section className="card stack" aria-labelledby="routing-create">
        <h2 id="routing-create">Create a profile</h2>
        <ProfileForm onSaved={profiles.reload} />
      </section>
    </Page>
  );
}

function providerSummary(profile: Profile): string {
  const parts: string[] = [];
  if (profile.providerOrder.length) parts.push(`first ${profile.providerOrder.join(', ')}`);
  if (profile.allowProviders) parts.push(`only ${profile.allowProviders.join(', ')}`);
  if (profile.denyProviders.length) parts.push(`never ${profile.denyProviders.join(', ')}`);
  return parts.join('; ') || 'any';
}

function ProfileForm({ profile, onSaved }: { profile?: Profile; onSaved: () => void }) {
  const [name, setName] = useState(profile?.name ?? '');
  const [sort, setSort] = useState<RoutingSort>(profile?.sort ?? 'PRICE');
  const [providerOrder, setProviderOrder] = useState(profile?.providerOrder.join(', ') ?? '');
  const [allowProviders, setAllowProviders] = useState(profile?.allowProviders?.join(', ') ?? '');
  const [denyProviders, setDenyProviders] = useState(profile?.denyProviders.join(', ') ?? '');
  const [allowSupply, setAllowSupply] = useState(profile?.allowSupply?.join(', ') ?? '');
  const [denySupply, setDenySupply] = useState(profile?.denySupply.join(', ') ?? '');
  const [maxInput, setMaxInput] = useState(microsToInput(profile?.maxInputPricePerMTok?.micros));
  const [maxOutput, setMaxOutput] = useState(microsToInput(profile?.maxOutputPricePerMTok?.micros));
  const [allowFallbacks, setAllowFallbacks] = useState(profile?.allowFallbacks ?? true);
  const [fallbackModels, setFallbackModels] = useState(profile?.fallbackModels.join(', ') ?? '');
  const [timeoutMs, setTimeoutMs] = useState(profile?.timeoutMs?.toString() ?? '');
  const [maxRetries, setMaxRetries] = useState(profile?.maxRetries?.toString() ?? '');
  const save = useAction(async () => {
    const allow = splitList(allowProviders);
    const allowed = splitList(allowSupply);
    const input: CreateRoutingProfileInput = {
      name: name.trim(),
      sort,
      providerOrder: splitList(providerOrder),
      allowProviders: allow.length ? allow : null,
      denyProviders: splitList(denyProviders),
      allowSupply: allowed.length ? allowed : null,
      denySupply: splitList(denySupply),
      maxInputPricePerMTok: usdField(maxInput),
      maxOutputPricePerMTok: usdField(maxOutput),
      allowFallbacks,
      fallbackModels: splitList(fallbackModels),
      timeoutMs: intField(timeoutMs),
      maxRetries: intField(maxRetries),
    };
    if (profile) await request(MarketUpdateRoutingProfileDocument, { id: profile.id, input });
    else await request(MarketCreateRoutingProfileDocument, { input });
    if (!profile) {
      setName('');
      setProviderOrder('');
      setAllowProviders('');
      setDenyProviders('');
      setAllowSupply('');
      setDenySupply('');
      setMaxInput('');
      setMaxOutput('');
      setFallbackModels('');
      setTimeoutMs('');
      setMaxRetries('');
    }
    onSaved();
  });
  const label = profile ? `Edit routing profile ${profile.name}` : 'Create a routing profile';
  return (
    <form
      className="buyer-form"
      aria-label={label}
      onSubmit={(event) => {
        event.preventDefault();
        void save.run();
      }}
    >
      <label>
        Name
        <input name="name" required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} />
      </label>
      <label>
        Sort
        <select name="sort" value={sort} onChange={(event) => setSort(event.target.value as RoutingSort)}>
          {SORTS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Max input price per MTok (USD)
        <input
          name="maxInput"
          inputMode="decimal"
          placeholder="No ceiling"
          value={maxInput}
          onChange={(event) => setMaxInput(event.target.value)}
        />
      </label>
      <label>
        Max output price per MTok (USD)
        <input
          name="maxOutput"
          inputMode="decimal"
          placeholder="No ceiling"
          value={maxOutput}
          onChange={(event) => setMaxOutput(event.target.value)}
        />
      </label>
      <label>
        Providers first (in order)
        <input
          name="providerOrder"
          placeholder="e.g. simulator, openai"
          value={providerOrder}
          onChange={(event) => setProviderOrder(event.target.value)}
        />
      </label>
      <label>
        Only these providers
        <input name="allowProviders" placeholder="Any" value={allowProviders} onChange={(event) => setAllowProviders(event.target.value)} />
      </label>
      <label>
        Never these providers
        <input name="denyProviders" placeholder="None" value={denyProviders} onChange={(event) => setDenyProviders(event.target.value)} />
      </label>
      <label>
        Only this supply (sellers or listings)
        <input name="allowSupply" placeholder="Everyone" value={allowSupply} onChange={(event) => setAllowSupply(event.target.value)} />
      </label>
      <label>
        Never this supply
        <input name="denySupply" placeholder="None" value={denySupply} onChange={(event) => setDenySupply(event.target.value)} />
      </label>
      <label>
        Timeout per attempt (ms)
        <input
          name="timeoutMs"
          type="number"
          min={1000}
          max={600000}
          step={1}
          placeholder="Platform default"
          value={timeoutMs}
          onChange={(event) => setTimeoutMs(event.target.value)}
        />
      </label>
      <label>
        Retries after a failure
        <input
          name="maxRetries"
          type="number"
          min={0}
          max={10}
          step={1}
          placeholder="Platform default"
          value={maxRetries}
          onChange={(event) => setMaxRetries(event.target.value)}
        />
      </label>
      <label className="buyer-check">
        <input
          name="allowFallbacks"
          type="checkbox"
          checked={allowFallbacks}
          onChange={(event) => setAllowFallbacks(event.target.checked)}
        />
        Allow fallback models
      </label>
      <label className="wide">
        Fallback models (in order)
        <input
          name="fallbackModels"
          placeholder="e.g. dragonfly/chat-small"
          value={fallbackModels}
          onChange={(event) => setFallbackModels(event.target.value)}
          disabled={!allowFallbacks}
        />
      </label>
      <p className="hint wide" style={{ margin: 0 }}>
        Lists are comma-separated.
      </p>
      <FormFooter error={save.error} pending={save.pending} submit={profile ? 'Save profile' : 'Create profile'} />
    </form>
  );
}
