// Pieces only the buyer's sections use: the page frame, a form's closing row, status badges read
// from the buyer's side, a just-issued secret brought into view. The pieces both consoles use are in shared/parts.
import { useEffect, useRef, type ReactNode } from 'react';
import { Badge, type Tone } from '../../shared/parts';
import { ErrorMessage } from '../../shared/ui';
import './buyer.css';

export function Page({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <div className="buyer-page">
      <h1>{title}</h1>
      {intro ? (
        <p className="muted" style={{ margin: 0 }}>
          {intro}
        </p>
      ) : null}
      {children}
    </div>
  );
}

/** The last rows of a .buyer-form: the API's message for a refused submit, and the submit button. */
export function FormFooter({ error, pending, submit }: { error: unknown; pending: boolean; submit: string }) {
  return (
    <>
      <div className="wide">
        <ErrorMessage error={error} />
      </div>
      <div className="actions">
        <button className="primary" type="submit" disabled={pending}>
          {submit}
        </button>
      </div>
    </>
  );
}

const TONES: Record<string, Tone> = {
  ACTIVE: 'good',
  ENABLED: 'good',
  COMPLETED: 'good',
  RESOLVED_BUYER: 'good',
  DISABLED: 'warn',
  OPEN: 'warn',
  CANCELLED: 'warn',
  REVOKED: 'bad',
  EXPIRED: 'bad',
  FAILED: 'bad',
  RESOLVED_SELLER: 'bad',
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge state={status} tones={TONES} />;
}

/**
 * Brings a just-issued secret into view and moves focus to it: the create form sits below the
 * list, so the notice at the top would otherwise be off screen when it appears.
 */
export function Revealed({ children }: { children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.scrollIntoView({ block: 'nearest' });
    box.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div ref={box} tabIndex={-1}>
      {children}
    </div>
  );
}
