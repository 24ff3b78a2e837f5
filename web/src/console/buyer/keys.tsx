// API keys: the buyer's sk- keys (create with limits and rules, the raw key shown once, edit,
// disable/enable, revoke) and the key groups that share a monthly budget.
import { useState, type FormEvent } from 'react';
import {
  AccountCreateKeyDocument,
  AccountKeysDocument,
  AccountRevokeKeyDocument,
  AccountSetKeyEnabledDocument,
  AccountUpdateKeyDocument,
  DragonflyCreateKeyGroupDocument,
  DragonflyDeleteKeyGroupDocument,
  DragonflyListKeyGroupsDocument,
  DragonflyUpdateKeyGroupDocument,
  MarketRoutingProfilesDocument,
  type AccountKeysQuery,
  type CreateApiKeyInput,
  type DragonflyListKeyGroupsQuery,
  type KeyCycle,
  type MarketRoutingProfilesQuery,
  type UpdateApiKeyInput,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, formatDate, ShownOnce, useAction, useLoad } from '../../shared/ui';
import { formatMicros, microsToInput, usdField } from '../../shared/money';
import { intField, isoToLocal, localToIso, splitList } from './fields';
import { ConfirmButton, Pager, TableWrap } from '../../shared/parts';
import { FormFooter, Page, Revealed, StatusBadge } from './parts';

type ApiKey = AccountKeysQuery['apiKeys']['items'][number];
type KeyGroup = DragonflyListKeyGroupsQuery['keyGroups'][number];
type RoutingProfile = MarketRoutingProfilesQuery['routingProfiles'][number];

const PAGE_SIZE = 20;
const CYCLES: { value: KeyCycle | ''; label: string }[] = [
  { value: '', label: 'No cycle (lifetime limit)' },
  { value: 'DAILY', label: 'Daily (UTC)' },
  { value: 'WEEKLY', label: 'Weekly (from Monday, UTC)' },
  { value: 'MONTHLY', label: 'Monthly (from the 1st, UTC)' },
];

const CYCLE_UNIT: Record<KeyCycle, string> = { DAILY: 'day', WEEKLY: 'week', MONTHLY: 'month' };

export function KeysSection() {
  const [page, setPage] = useState(1);
  const keys = useLoad(() => request(AccountKeysDocument, { page, pageSize: PAGE_SIZE, includeRevoked: true }), [page]);
  const groups = useLoad(() => request(DragonflyListKeyGroupsDocument), []);
  const profiles = useLoad(() => request(MarketRoutingProfilesDocument), []);
  const [created, setCreated] = useState<{ name: string; rawKey: string } | null>(null);
  const groupList = groups.data?.keyGroups ?? [];
  const profileList = profiles.data?.routingProfiles ?? [];
  return (
    <Page
      title="API keys"
      intro="Keys call the models at /v1 with an Authorization: Bearer header. Each can carry its own spend limit, expiry, IP rules and routing profile."
    >
      {created && (
        <Revealed key={created.rawKey}>
          <ShownOnce label={`New key “${created.name}”`} secret={created.rawKey} onDismiss={() => setCreated(null)} />
        </Revealed>
      )}
      <section className="card stack" aria-labelledby="keys-list">
        <h2 id="keys-list">Your keys</h2>
        <ErrorMessage error={keys.error ?? profiles.error} />
        {keys.data && keys.data.apiKeys.items.length === 0 && <p className="muted">No keys yet: create one below.</p>}
        {keys.data && keys.data.apiKeys.items.length > 0 && (
          <KeyTable keys={keys.data.apiKeys.items} groups={groupList} profiles={profileList} onChanged={keys.reload} />
        )}
        {keys.data && <Pager page={page} pageSize={PAGE_SIZE} total={keys.data.apiKeys.total} onPage={setPage} />}
      </section>
      <section className="card stack" aria-labelledby="keys-create">
        <h2 id="keys-create">Create a key</h2>
        <CreateKeyForm
          groups={groupList}
          profiles={profileList}
          onCreated={(name, rawKey) => {
            setCreated({ name, rawKey });
            keys.reload();
            groups.reload();
          }}
        />
      </section>
      <KeyGroups groups={groups} />
    </Page>
  );
}

function keyStatus(key: ApiKey): string {
  if (key.status === 'ACTIVE' && key.expired) return 'EXPIRED';
  return key.status;
}

function KeyTable({
  keys,
  groups,
  profiles,
  onChanged,
}: {
  keys: ApiKey[];
  groups: KeyGroup[];
  profiles: RoutingProfile[];
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  const action = useAction(async (run: () => Promise<unknown>) => {
    await run();
    onChanged();
  });
  const profileName = (id: string | null | undefined) => (id ? (profiles.find((profile) => profile.id === id)?.name ?? id) : '—');
  return (
    <>
      <ErrorMessage error={action.error} />
      <TableWrap label="API keys">
        <table>
          <caption className="sr-only">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Limit
              </th>
              <th scope="col" className="num">
                Used
              </th>
              <th scope="col">Group</th>
              <th scope="col">Routing</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <KeyRows
                key={key.id}
                apiKey={key}
                status={keyStatus(key)}
                profileName={profileName(key.routingProfileId)}
                editing={editing === key.id}
                groups={groups}
                profiles={profiles}
                onEdit={() => setEditing(editing === key.id ? null : key.id)}
                onSaved={() => {
                  setEditing(null);
                  onChanged();
                }}
                onEnable={(enabled) => void action.run(() => request(AccountSetKeyEnabledDocument, { id: key.id, enabled }))}
                onRevoke={() => action.run(() => request(AccountRevokeKeyDocument, { id: key.id }))}
                pending={action.pending}
              />
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

function KeyRows(props: {
  apiKey: ApiKey;
  status: string;
  profileName: string;
  editing: boolean;
  groups: KeyGroup[];
  profiles: RoutingProfile[];
  pending: boolean;
  onEdit: () => void;
  onSaved: () => void;
  onEnable: (enabled: boolean) => void;
  onRevoke: () => Promise<unknown>;
}) {
  const { apiKey: key, status } = props;
  const revoked = key.status === 'REVOKED';
  return (
    <>
      <tr data-testid={`key-${key.id}`}>
        <th scope="row">{key.name}</th>
        <td>
          <code className="mono">{key.preview}</code>
        </td>
        <td data-testid="key-status">
          <StatusBadge status={status} />
          {key.expiredAt ? (
            <div className="hint">
              {key.expired ? 'Expired' : 'Expires'} {formatDate(key.expiredAt)}
            </div>
          ) : null}
        </td>
        <td className="num">{key.limit ? `${formatMicros(key.limit.micros)}${key.cycle ? ` / ${CYCLE_UNIT[key.cycle]}` : ''}` : 'None'}</td>
        <td className="num">
          {formatMicros((key.cycle ? key.usageInCycle : key.usageInTotal)?.micros ?? 0)}
          {key.cycle ? <div className="hint">{formatMicros(key.usageInTotal?.micros ?? 0)} in total</div> : null}
        </td>
        <td>{key.group?.name ?? '—'}</td>
        <td>{props.profileName}</td>
        <td>
          {revoked ? (
            <span className="muted">Revoked</span>
          ) : (
            <div className="buyer-actions">
              <button type="button" aria-expanded={props.editing} onClick={props.onEdit}>
                {props.editing ? 'Close' : 'Edit'}
              </button>
              <button type="button" disabled={props.pending} onClick={() => props.onEnable(!key.enabled)}>
                {key.enabled ? 'Disable' : 'Enable'}
              </button>
              <ConfirmButton
                label="Revoke"
                question={`Revoke “${key.name}” for good?`}
                confirmLabel="Yes, revoke"
                onConfirm={() => void props.onRevoke()}
                disabled={props.pending}
              />
            </div>
          )}
        </td>
      </tr>
      {props.editing && (
        <tr>
          <td colSpan={8} style={{ whiteSpace: 'normal' }}>
            <div className="buyer-row-detail">
              <EditKeyForm apiKey={key} groups={props.groups} profiles={props.profiles} onSaved={props.onSaved} />
            </div>
          </td>
        </tr>
      )}
    </>
  );
}

/** What the create and edit forms have in common, as typed. */
interface KeyFields {
  name: string;
  limit: string;
  cycle: KeyCycle | '';
  expiry: string;
  groupId: string;
  profileId: string;
  models: string;
  ipAllow: string;
  ipDeny: string;
}
// Every field is text (the cycle is one of CYCLES' values, as its <select> gives it).
type SetKeyField = (key: keyof KeyFields, value: string) => void;

/** A form's fields in one state, with a setter per field name. */
function useFields<T extends Record<keyof T, string>>(initial: T | (() => T)) {
  const [fields, setFields] = useState<T>(initial);
  const set = (key: keyof T, value: string) => setFields((previous) => ({ ...previous, [key]: value }));
  return { fields, set, reset: setFields };
}

function KeyLimitFields({ fields, set }: { fields: KeyFields; set: SetKeyField }) {
  return (
    <>
      <label>
        Name
        <input name="name" required maxLength={100} value={fields.name} onChange={(event) => set('name', event.target.value)} />
      </label>
      <label>
        Spend limit (USD)
        <input
          name="limit"
          inputMode="decimal"
          placeholder="No limit"
          value={fields.limit}
          onChange={(event) => set('limit', event.target.value)}
        />
      </label>
      <label>
        Limit cycle
        <select name="cycle" value={fields.cycle} onChange={(event) => set('cycle', event.target.value)}>
          {CYCLES.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

function KeyGroupField({ fields, set, groups, disabled }: { fields: KeyFields; set: SetKeyField; groups: KeyGroup[]; disabled?: boolean }) {
  return (
    <label>
      Key group
      <select name="group" value={fields.groupId} onChange={(event) => set('groupId', event.target.value)} disabled={disabled}>
        <option value="">None</option>
        {groups.map((group) => (
          <option key={group.id} value={group.id}>
            {group.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function RoutingProfileField({ fields, set, profiles }: { fields: KeyFields; set: SetKeyField; profiles: RoutingProfile[] }) {
  return (
    <label>
      Routing profile
      <select name="routingProfile" value={fields.profileId} onChange={(event) => set('profileId', event.target.value)}>
        <option value="">Platform default</option>
        {profiles.map((profile) => (
          <option key={profile.id} value={profile.id}>
            {profile.name}
          </option>
        ))}
      </select>
    </label>
  );
}

const ADDRESS_RULES = [
  { field: 'ipAllow', label: 'Allowed IPs (CIDR, one per line)', placeholder: 'Any address, e.g. 203.0.113.0/24' },
  { field: 'ipDeny', label: 'Refused IPs (CIDR, one per line)', placeholder: 'None' },
] as const;

/** The model and address rules; a new key's empty fields say what empty means. */
function KeyRuleFields({ fields, set, placeholders }: { fields: KeyFields; set: SetKeyField; placeholders?: boolean }) {
  return (
    <>
      <label className="wide">
        Allowed models (comma-separated)
        <input name="allowedModels" placeholder="Any model" value={fields.models} onChange={(event) => set('models', event.target.value)} />
      </label>
      {ADDRESS_RULES.map((rule) => (
        <label className="wide" key={rule.field}>
          {rule.label}
          <textarea
            name={rule.field}
            placeholder={placeholders ? rule.placeholder : undefined}
            value={fields[rule.field]}
            onChange={(event) => set(rule.field, event.target.value)}
          />
        </label>
      ))}
    </>
  );
}

const NEW_KEY = {
  name: '',
  limit: '',
  cycle: '' as KeyCycle | '',
  expiry: '',
  groupId: '',
  newGroup: '',
  profileId: '',
  rpm: '',
  models: '',
  ipAllow: '',
  ipDeny: '',
};

function CreateKeyForm({
  groups,
  profiles,
  onCreated,
}: {
  groups: KeyGroup[];
  profiles: RoutingProfile[];
  onCreated: (name: string, rawKey: string) => void;
}) {
  const { fields, set, reset } = useFields(NEW_KEY);
  const create = useAction(async () => {
    const input: CreateApiKeyInput = { name: fields.name.trim() };
    const limitUsd = usdField(fields.limit);
    if (limitUsd !== null) input.limit = limitUsd;
    if (fields.cycle) input.cycle = fields.cycle;
    const expiredAt = localToIso(fields.expiry);
    if (expiredAt) input.expiredAt = expiredAt;
    if (fields.newGroup.trim()) input.keyGroup = fields.newGroup.trim();
    else if (fields.groupId) input.groupId = fields.groupId;
    const allow = splitList(fields.ipAllow);
    if (allow.length) input.ipAllow = allow;
    const deny = splitList(fields.ipDeny);
    if (deny.length) input.ipDeny = deny;
    if (fields.profileId) input.routingProfileId = fields.profileId;
    const rpmLimit = intField(fields.rpm);
    if (rpmLimit !== null) input.rpmLimit = rpmLimit;
    const allowedModels = splitList(fields.models);
    if (allowedModels.length) input.allowedModels = allowedModels;
    const { createApiKey } = await request(AccountCreateKeyDocument, { input });
    onCreated(createApiKey.apiKey.name, createApiKey.rawKey);
    reset(NEW_KEY);
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <form className="buyer-form" aria-label="Create a key" onSubmit={onSubmit}>
      <KeyLimitFields fields={fields} set={set} />
      <label>
        Expires
        <input name="expiry" type="datetime-local" value={fields.expiry} onChange={(event) => set('expiry', event.target.value)} />
      </label>
      <KeyGroupField fields={fields} set={set} groups={groups} disabled={fields.newGroup.trim() !== ''} />
      <label>
        Or a new group
        <input
          name="newGroup"
          placeholder="Group name"
          maxLength={100}
          value={fields.newGroup}
          onChange={(event) => set('newGroup', event.target.value)}
        />
      </label>
      <RoutingProfileField fields={fields} set={set} profiles={profiles} />
      <label>
        Requests per minute
        <input
          name="rpm"
          type="number"
          min={1}
          step={1}
          placeholder="Unlimited"
          value={fields.rpm}
          onChange={(event) => set('rpm', event.target.value)}
        />
      </label>
      <KeyRuleFields fields={fields} set={set} placeholders />
      <FormFooter error={create.error} pending={create.pending} submit="Create key" />
    </form>
  );
}

function EditKeyForm({
  apiKey,
  groups,
  profiles,
  onSaved,
}: {
  apiKey: ApiKey;
  groups: KeyGroup[];
  profiles: RoutingProfile[];
  onSaved: () => void;
}) {
  const { fields, set } = useFields<KeyFields>(() => ({
    name: apiKey.name,
    limit: microsToInput(apiKey.limit?.micros),
    cycle: apiKey.cycle ?? '',
    expiry: isoToLocal(apiKey.expiredAt),
    groupId: apiKey.groupId ?? '',
    profileId: apiKey.routingProfileId ?? '',
    ipAllow: apiKey.ipAllow.join('\n'),
    ipDeny: apiKey.ipDeny.join('\n'),
    models: apiKey.allowedModels?.join(', ') ?? '',
  }));
  const save = useAction(async () => {
    const allowedModels = splitList(fields.models);
    const input: UpdateApiKeyInput = {
      name: fields.name.trim(),
      limit: usdField(fields.limit),
      cycle: fields.cycle || null,
      groupId: fields.groupId || null,
      routingProfileId: fields.profileId || null,
      ipAllow: splitList(fields.ipAllow),
      ipDeny: splitList(fields.ipDeny),
      allowedModels: allowedModels.length ? allowedModels : null,
    };
    // An unchanged expiry is not re-sent: a past one would be refused as "must be in the future".
    if (fields.expiry !== isoToLocal(apiKey.expiredAt)) input.expiredAt = localToIso(fields.expiry);
    await request(AccountUpdateKeyDocument, { id: apiKey.id, input });
    onSaved();
  });
  const prefix = `edit-${apiKey.id}`;
  return (
    <form
      className="buyer-form"
      aria-label={`Edit ${apiKey.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        void save.run();
      }}
    >
      <KeyLimitFields fields={fields} set={set} />
      <label>
        Expires
        <input
          name="expiry"
          type="datetime-local"
          value={fields.expiry}
          onChange={(event) => set('expiry', event.target.value)}
          aria-describedby={`${prefix}-expiry`}
        />
        <span id={`${prefix}-expiry`} className="hint">
          Empty: never
        </span>
      </label>
      <KeyGroupField fields={fields} set={set} groups={groups} />
      <RoutingProfileField fields={fields} set={set} profiles={profiles} />
      <KeyRuleFields fields={fields} set={set} />
      <FormFooter error={save.error} pending={save.pending} submit="Save changes" />
    </form>
  );
}

function KeyGroups({ groups }: { groups: ReturnType<typeof useLoad<DragonflyListKeyGroupsQuery>> }) {
  const [name, setName] = useState('');
  const [budget, setBudget] = useState('');
  const create = useAction(async () => {
    await request(DragonflyCreateKeyGroupDocument, { input: { name: name.trim(), monthlyBudget: usdField(budget) } });
    setName('');
    setBudget('');
    groups.reload();
  });
  const remove = useAction(async (id: string) => {
    await request(DragonflyDeleteKeyGroupDocument, { id });
    groups.reload();
  });
  const list = groups.data?.keyGroups ?? [];
  return (
    <section className="card stack" aria-labelledby="key-groups">
      <h2 id="key-groups">Key groups</h2>
      <p className="muted" style={{ margin: 0 }}>
        A group’s keys share one monthly budget (calendar month, UTC).
      </p>
      <ErrorMessage error={groups.error ?? remove.error} />
      {list.length > 0 && (
        <TableWrap label="Key groups">
          <table>
            <caption className="sr-only">Key groups</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Monthly budget
                </th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((group) => (
                <KeyGroupRow key={group.id} group={group} onChanged={groups.reload} onDelete={() => void remove.run(group.id)} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form
        className="buyer-form"
        aria-label="Create a key group"
        onSubmit={(event) => {
          event.preventDefault();
          void create.run();
        }}
      >
        <label>
          Group name
          <input name="groupName" required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Monthly budget (USD)
          <input
            name="monthlyBudget"
            inputMode="decimal"
            placeholder="No budget"
            value={budget}
            onChange={(event) => setBudget(event.target.value)}
          />
        </label>
        <div className="wide">
          <ErrorMessage error={create.error} />
        </div>
        <div className="actions">
          <button type="submit" disabled={create.pending}>
            Create group
          </button>
        </div>
      </form>
    </section>
  );
}

function KeyGroupRow({ group, onChanged, onDelete }: { group: KeyGroup; onChanged: () => void; onDelete: () => void }) {
  const [editing, setEditing] = useState(false);
  const [budget, setBudget] = useState(microsToInput(group.monthlyBudget?.micros));
  const save = useAction(async () => {
    await request(DragonflyUpdateKeyGroupDocument, { id: group.id, input: { monthlyBudget: usdField(budget) } });
    setEditing(false);
    onChanged();
  });
  return (
    <tr>
      <th scope="row">{group.name}</th>
      <td className="num">
        {editing ? (
          <form
            className="row"
            style={{ justifyContent: 'flex-end' }}
            aria-label={`Budget of ${group.name}`}
            onSubmit={(event) => {
              event.preventDefault();
              void save.run();
            }}
          >
            <label>
              <span className="sr-only">Monthly budget (USD)</span>
              <input
                inputMode="decimal"
                placeholder="No budget"
                size={10}
                value={budget}
                onChange={(event) => setBudget(event.target.value)}
                autoFocus
              />
            </label>
            <button type="submit" disabled={save.pending}>
              Save
            </button>
            <button type="button" onClick={() => (setEditing(false), save.clear())}>
              Cancel
            </button>
            <ErrorMessage error={save.error} />
          </form>
        ) : group.monthlyBudget ? (
          formatMicros(group.monthlyBudget.micros)
        ) : (
          'None'
        )}
      </td>
      <td>{formatDate(group.createdAt)}</td>
      <td>
        <div className="buyer-actions">
          {!editing && (
            <button type="button" onClick={() => setEditing(true)}>
              Edit budget
            </button>
          )}
          <ConfirmButton label="Delete" question={`Delete group “${group.name}”?`} confirmLabel="Yes, delete" onConfirm={onDelete} />
        </div>
      </td>
    </tr>
  );
}
