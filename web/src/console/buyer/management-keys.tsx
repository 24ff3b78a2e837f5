// Management keys (mk-…): scoped keys for automation that manage the account but never call a model.
import { useState } from 'react';
import {
  DgridCreateManagementKeyDocument,
  DgridDeleteManagementKeyDocument,
  DgridListManagementKeysDocument,
  DgridRenameManagementKeyDocument,
  DgridSetManagementKeyEnabledDocument,
  type DgridListManagementKeysQuery,
  type ManagementScope,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, ShownOnce, useAction, useLoad } from '../../shared/ui';
import { ConfirmButton, Pager, TableWrap } from '../../shared/parts';
import { FormFooter, Page, Revealed, StatusBadge } from './parts';

type ManagementKey = DgridListManagementKeysQuery['managementKeys']['items'][number];

const PAGE_SIZE = 20;
const SCOPES: { value: ManagementScope; label: string }[] = [
  { value: 'FULL', label: 'Full (buyer and seller)' },
  { value: 'BUYER', label: 'Buyer (keys, usage, billing)' },
  { value: 'SELLER', label: 'Seller (listings, earnings)' },
];

export function ManagementKeysSection() {
  const [page, setPage] = useState(1);
  const keys = useLoad(() => request(DgridListManagementKeysDocument, { page, pageSize: PAGE_SIZE }), [page]);
  const [created, setCreated] = useState<{ name: string; rawKey: string } | null>(null);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ManagementScope>('FULL');
  const create = useAction(async () => {
    const { createManagementKey } = await request(DgridCreateManagementKeyDocument, { input: { name: name.trim(), scope } });
    setCreated({ name: createManagementKey.managementKey.name, rawKey: createManagementKey.rawKey });
    setName('');
    keys.reload();
  });
  const action = useAction(async (run: () => Promise<unknown>) => {
    await run();
    keys.reload();
  });
  return (
    <Page
      title="Management keys"
      intro="Management keys automate this account (create buyer keys, read usage, manage listings). They never call a model."
    >
      {created && (
        <Revealed key={created.rawKey}>
          <ShownOnce label={`New management key “${created.name}”`} secret={created.rawKey} onDismiss={() => setCreated(null)} />
        </Revealed>
      )}
      <section className="card stack" aria-labelledby="mk-list">
        <h2 id="mk-list">Your management keys</h2>
        <ErrorMessage error={keys.error ?? action.error} />
        {keys.data && keys.data.managementKeys.items.length === 0 && <p className="muted">No management keys yet.</p>}
        {keys.data && keys.data.managementKeys.items.length > 0 && (
          <TableWrap label="Management keys">
            <table>
              <caption className="sr-only">Management keys</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.data.managementKeys.items.map((key) => (
                  <ManagementKeyRow key={key.id} managementKey={key} pending={action.pending} run={(work) => void action.run(work)} />
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {keys.data && <Pager page={page} pageSize={PAGE_SIZE} total={keys.data.managementKeys.total} onPage={setPage} />}
      </section>
      <section className="card stack" aria-labelledby="mk-create">
        <h2 id="mk-create">Create a management key</h2>
        <form
          className="buyer-form"
          aria-label="Create a management key"
          onSubmit={(event) => {
            event.preventDefault();
            void create.run();
          }}
        >
          <label>
            Name
            <input name="name" required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label>
            Scope
            <select name="scope" value={scope} onChange={(event) => setScope(event.target.value as ManagementScope)}>
              {SCOPES.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <FormFooter error={create.error} pending={create.pending} submit="Create management key" />
        </form>
      </section>
    </Page>
  );
}

function ManagementKeyRow({
  managementKey: key,
  pending,
  run,
}: {
  managementKey: ManagementKey;
  pending: boolean;
  run: (work: () => Promise<unknown>) => void;
}) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(key.name);
  return (
    <tr>
      <th scope="row">
        {renaming ? (
          <form
            className="row"
            aria-label={`Rename ${key.name}`}
            onSubmit={(event) => {
              event.preventDefault();
              setRenaming(false);
              run(() => request(DgridRenameManagementKeyDocument, { id: key.id, name: name.trim() }));
            }}
          >
            <label>
              <span className="sr-only">New name</span>
              <input value={name} required maxLength={100} onChange={(event) => setName(event.target.value)} autoFocus />
            </label>
            <button type="submit">Save</button>
            <button type="button" onClick={() => (setRenaming(false), setName(key.name))}>
              Cancel
            </button>
          </form>
        ) : (
          key.name
        )}
      </th>
      <td>
        <code className="mono">{key.keyPreview}</code>
      </td>
      <td>{key.scope.toLowerCase()}</td>
      <td>
        <StatusBadge status={key.enabled ? 'ENABLED' : 'DISABLED'} />
      </td>
      <td>{formatDate(key.createdAt)}</td>
      <td>
        <div className="buyer-actions">
          {!renaming && (
            <button type="button" onClick={() => setRenaming(true)}>
              Rename
            </button>
          )}
          <button
            type="button"
            disabled={pending}
            onClick={() => run(() => request(DgridSetManagementKeyEnabledDocument, { id: key.id, enabled: !key.enabled }))}
          >
            {key.enabled ? 'Disable' : 'Enable'}
          </button>
          <ConfirmButton
            label="Delete"
            question={`Delete “${key.name}”?`}
            confirmLabel="Yes, delete"
            disabled={pending}
            onConfirm={() => run(() => request(DgridDeleteManagementKeyDocument, { id: key.id }))}
          />
        </div>
      </td>
    </tr>
  );
}
