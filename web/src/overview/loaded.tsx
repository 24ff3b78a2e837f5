// One section's data as it arrives: a loading line, the API's error with a retry, or the content
// (kept on screen while a new window loads, marked busy).
import type { ReactNode } from 'react';
import { ErrorMessage } from '../shared/ui';

export interface LoadState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function Loaded<T>({ state, what, children }: { state: LoadState<T>; what: string; children: (data: T) => ReactNode }) {
  return (
    <div className="stack ov-loaded" aria-busy={state.loading}>
      {state.error ? (
        <div className="row">
          <ErrorMessage error={state.error} />
          <button type="button" onClick={state.reload}>
            Retry
          </button>
        </div>
      ) : null}
      {state.data !== undefined ? (
        children(state.data)
      ) : state.loading ? (
        <p className="muted" role="status">
          Loading {what}…
        </p>
      ) : null}
    </div>
  );
}

/** What a section shows when there is nothing to list: a sentence, not an empty table. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="ov-empty muted">{children}</p>;
}
