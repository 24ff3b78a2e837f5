// The account console at /dashboard: sign-in, then one section per path (/dashboard/keys, …).
import { useEffect, useState } from 'react';
import { ConsoleMeDocument, LogoutDocument, type SessionAccountFragment } from '../../../schema/generated/graphql';
import { Layout } from '../shared/layout';
import { mount } from '../shared/mount';
import { request, sessionToken, setSessionToken } from '../shared/graphql';
import { ErrorMessage, useLoad } from '../shared/ui';
import { BUYER_SECTIONS } from './buyer';
import { SELLER_SECTIONS } from './seller';
import type { ConsoleSection } from './sections';
import { SignIn } from './session';

const SECTIONS: ConsoleSection[] = [...BUYER_SECTIONS, ...SELLER_SECTIONS];

function currentPath(): string {
  return location.pathname.replace(/^\/dashboard\/?/, '').replace(/\/+$/, '');
}

function navigate(path: string): void {
  history.pushState(null, '', `/dashboard${path ? `/${path}` : ''}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

function Console({ account, onSignOut }: { account: SessionAccountFragment; onSignOut: () => void }) {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const onPop = () => setPath(currentPath());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const section = SECTIONS.find((candidate) => candidate.path === path) ?? SECTIONS[0];
  const groups = ['Buy', 'Sell', 'Account'] as const;
  return (
    <div className="console">
      <nav aria-label="Console" className="card stack" style={{ alignSelf: 'start' }}>
        <div>
          <div>
            <strong>{account.name || account.email}</strong>
          </div>
          <div className="muted" style={{ fontSize: '0.85rem' }}>
            {account.email}
          </div>
        </div>
        {groups.map((group) => {
          const inGroup = SECTIONS.filter((candidate) => candidate.group === group);
          if (inGroup.length === 0) return null;
          return (
            <div key={group} className="stack" style={{ gap: 4 }}>
              <span className="muted" style={{ fontSize: '0.8rem', textTransform: 'uppercase' }}>
                {group}
              </span>
              {inGroup.map((candidate) => (
                <a
                  key={candidate.path}
                  href={`/dashboard/${candidate.path}`}
                  aria-current={candidate === section ? 'page' : undefined}
                  onClick={(event) => {
                    event.preventDefault();
                    navigate(candidate.path);
                  }}
                >
                  {candidate.title}
                </a>
              ))}
            </div>
          );
        })}
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </nav>
      <div className="stack">{section ? <section.component key={section.path} /> : <p>No sections yet.</p>}</div>
    </div>
  );
}

function App() {
  const [account, setAccount] = useState<SessionAccountFragment | null>(null);
  const [checked, setChecked] = useState(!sessionToken());
  const me = useLoad(async () => (sessionToken() ? (await request(ConsoleMeDocument)).me : null), []);
  useEffect(() => {
    if (me.loading) return;
    if (me.data) setAccount(me.data);
    setChecked(true);
  }, [me.loading, me.data]);
  const signOut = async () => {
    await request(LogoutDocument).catch(() => undefined);
    setSessionToken(null);
    setAccount(null);
  };
  return (
    <Layout current="/dashboard">
      {!checked ? (
        <p aria-busy="true">Loading…</p>
      ) : account ? (
        <Console account={account} onSignOut={() => void signOut()} />
      ) : (
        <SignIn onSignedIn={setAccount} />
      )}
      {me.error && !account ? <ErrorMessage error={me.error} /> : null}
    </Layout>
  );
}

mount(<App />);
