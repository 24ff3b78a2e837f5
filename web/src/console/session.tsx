// Sign-up and sign-in through the Signup / Login mutations; the session token is kept in this
// browser's storage and sent as the bearer credential of every call.
import { useState, type FormEvent } from 'react';
import { LoginDocument, SignupDocument, type SessionAccountFragment } from '../../../schema/generated/graphql';
import { request, setSessionToken } from '../shared/graphql';
import { ErrorMessage, useAction } from '../shared/ui';

export function SignIn({ onSignedIn }: { onSignedIn: (account: SessionAccountFragment) => void }) {
  const [mode, setMode] = useState<'signin' | 'signup'>('signin');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const submit = useAction(async () => {
    const session =
      mode === 'signup'
        ? (await request(SignupDocument, { input: { email, password, ...(name ? { name } : {}) } })).signup
        : (await request(LoginDocument, { input: { email, password } })).login;
    setSessionToken(session.token);
    onSignedIn(session.account);
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  return (
    <div className="card stack" style={{ maxWidth: 420, margin: '40px auto' }}>
      <h1>{mode === 'signup' ? 'Create an account' : 'Sign in to the console'}</h1>
      <form className="stack" onSubmit={onSubmit} aria-label={mode === 'signup' ? 'Sign up' : 'Sign in'}>
        {mode === 'signup' && (
          <label>
            Name (optional)
            <input name="name" autoComplete="name" value={name} onChange={(event) => setName(event.target.value)} />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <ErrorMessage error={submit.error} />
        <button className="primary" type="submit" disabled={submit.pending}>
          {mode === 'signup' ? 'Sign up' : 'Sign in'}
        </button>
      </form>
      <button type="button" onClick={() => (submit.clear(), setMode(mode === 'signup' ? 'signin' : 'signup'))}>
        {mode === 'signup' ? 'I have an account: sign in' : 'New here? Create an account'}
      </button>
    </div>
  );
}
