// Small pieces every page uses: API errors shown as the API worded them (money is in ./money),
// a secret shown once with a copy button, an async loader.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './graphql';

/** The API's own message for a failed call (validation messages included), announced to screen readers. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A raw secret the API shows once: the value, a copy button, and the warning that it will not be shown again. */
export function ShownOnce({ label, secret, onDismiss }: { label: string; secret: string; onDismiss?: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="notice" role="status" data-testid="shown-once">
      <p>
        <strong>{label}</strong> — copy it now: it is shown only once.
      </p>
      <div className="row">
        <code className="mono" data-testid="secret" style={{ wordBreak: 'break-all' }}>
          {secret}
        </code>
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard.writeText(secret);
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        {onDismiss && (
          <button type="button" onClick={onDismiss}>
            Done
          </button>
        )}
      </div>
    </div>
  );
}

/** Loads on mount and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[] = [],
): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error) => live && setState((previous) => ({ data: previous.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { ...state, reload };
}

/** A form action: runs `action`, shows the API's message on failure, disables the button while pending. */
export function useAction<A extends unknown[], T>(
  action: (...args: A) => Promise<T>,
): { run: (...args: A) => Promise<T | undefined>; error: unknown; pending: boolean; clear: () => void } {
  const [error, setError] = useState<unknown>(undefined);
  const [pending, setPending] = useState(false);
  const run = async (...args: A) => {
    setPending(true);
    setError(undefined);
    try {
      return await action(...args);
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setPending(false);
    }
  };
  return { run, error, pending, clear: () => setError(undefined) };
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card stack" aria-label={title}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}
