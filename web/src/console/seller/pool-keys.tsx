// Pool keys: the seller's upstream provider keys. The raw key is typed once, checked by the API
// with one call to the provider and never shown again: after creation the page holds only its mask.
import { useState, type FormEvent } from 'react';
import {
  SupplyCreatePoolKeyDocument,
  SupplyDeletePoolKeyDocument,
  SupplyPoolKeysDocument,
  SupplyProvidersDocument,
  type SupplyPoolKeyFragment,
  type SupplyProviderFragment,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, Section, useAction, useLoad } from '../../shared/ui';
import { ConfirmButton, Field } from '../../shared/parts';
import { Empty, StateBadge } from './parts';

export function PoolKeysSection() {
  const providers = useLoad(async () => (await request(SupplyProvidersDocument)).poolProviders, []);
  const keys = useLoad(async () => (await request(SupplyPoolKeysDocument)).poolKeys, []);
  const [created, setCreated] = useState<SupplyPoolKeyFragment | null>(null);
  return (
    <div className="seller-root">
      <h1>Pool keys</h1>
      <p className="muted">
        Your upstream provider keys. Listings call their provider through one of these; the key is stored sealed and shown only masked.
      </p>
      <Section title="Add a pool key">
        {providers.error ? <ErrorMessage error={providers.error} /> : null}
        {providers.data ? (
          <CreatePoolKeyForm
            providers={providers.data}
            onCreated={(key) => {
              setCreated(key);
              keys.reload();
            }}
          />
        ) : (
          !providers.error && <p aria-busy="true">Loading providers…</p>
        )}
        {created && (
          <div className="notice" role="status">
            Added <strong>{created.label ?? created.provider}</strong>: <code className="mono">{created.keyPreview}</code> (
            {created.provider}). The full key is not shown again.{' '}
            <button type="button" onClick={() => setCreated(null)}>
              Dismiss
            </button>
          </div>
        )}
      </Section>
      <Section title="Your pool keys">
        <PoolKeyTable keys={keys.data} error={keys.error} loading={keys.loading} onChanged={keys.reload} />
      </Section>
    </div>
  );
}

function CreatePoolKeyForm({
  providers,
  onCreated,
}: {
  providers: SupplyProviderFragment[];
  onCreated: (key: SupplyPoolKeyFragment) => void;
}) {
  const [providerId, setProviderId] = useState(providers[0]?.id ?? '');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [label, setLabel] = useState('');
  const provider = providers.find((candidate) => candidate.id === providerId);
  const create = useAction(async () => {
    const input = {
      provider: providerId,
      apiKey,
      ...(provider?.acceptsBaseUrl && baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
      ...(label.trim() ? { label: label.trim() } : {}),
    };
    const key = (await request(SupplyCreatePoolKeyDocument, { input })).createPoolKey;
    // The raw key leaves the page as soon as the API has it.
    setApiKey('');
    setBaseUrl('');
    setLabel('');
    onCreated(key);
    return key;
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <form className="seller-form" aria-label="Add a pool key" onSubmit={onSubmit}>
      <Field
        label="Provider"
        hint={
          provider
            ? `Serves ${provider.capabilities.map((capability) => capability.toLowerCase()).join(', ')}${provider.baseUrl ? ` · ${provider.baseUrl}` : ''}`
            : undefined
        }
      >
        <select name="provider" value={providerId} onChange={(event) => setProviderId(event.target.value)}>
          {providers.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Provider API key" hint="Checked with one call to the provider; never shown again.">
        <input
          name="apiKey"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
        />
      </Field>
      {provider?.acceptsBaseUrl && (
        <Field
          label={`Base URL${provider.requiresBaseUrl ? ' (required)' : ' (optional)'}`}
          hint="Where /models and /chat/completions hang off, e.g. https://host/v1."
        >
          <input
            name="baseUrl"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://host/v1"
            value={baseUrl}
            onChange={(event) => setBaseUrl(event.target.value)}
          />
        </Field>
      )}
      <label>
        Label (optional)
        <input name="label" autoComplete="off" value={label} onChange={(event) => setLabel(event.target.value)} />
      </label>
      <div className="wide stack" style={{ gap: 8 }}>
        <ErrorMessage error={create.error} />
        <div>
          <button className="primary" type="submit" disabled={create.pending}>
            {create.pending ? 'Checking the key…' : 'Add pool key'}
          </button>
        </div>
      </div>
    </form>
  );
}

export function PoolKeyTable({
  keys,
  error,
  loading,
  onChanged,
}: {
  keys: SupplyPoolKeyFragment[] | undefined;
  error: unknown;
  loading: boolean;
  onChanged: () => void;
}) {
  const remove = useAction(async (id: string) => {
    await request(SupplyDeletePoolKeyDocument, { id });
    onChanged();
  });
  if (error && !keys) return <ErrorMessage error={error} />;
  if (!keys) return loading ? <p aria-busy="true">Loading…</p> : null;
  if (keys.length === 0) return <Empty>No pool keys yet. Add one above to list models for sale.</Empty>;
  return (
    <>
      <ErrorMessage error={remove.error} />
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Your pool keys</caption>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Provider</th>
              <th scope="col">Key</th>
              <th scope="col">Status</th>
              <th scope="col">Base URL</th>
              <th scope="col">Validated</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} data-testid="pool-key-row">
                <td>{key.label ?? <span className="muted">—</span>}</td>
                <td>{key.provider}</td>
                <td>
                  <code className="mono">{key.keyPreview}</code>
                </td>
                <td>
                  <StateBadge state={key.status} />
                </td>
                <td className="mono">{key.baseUrl ?? '—'}</td>
                <td>{formatDate(key.validatedAt)}</td>
                <td>{formatDate(key.createdAt)}</td>
                <td>
                  <ConfirmButton
                    label="Delete"
                    confirmLabel={`Delete ${key.keyPreview}`}
                    disabled={remove.pending}
                    onConfirm={() => void remove.run(key.id)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
