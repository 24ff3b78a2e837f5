// Pieces the seller's sections share: state badges, a two-step confirm for destructive actions,
// a pager, and number formatting.
import { cloneElement, useId, useState, type ReactElement, type ReactNode } from 'react';
import './seller.css';

type Tone = 'good' | 'bad' | 'warn' | 'neutral';

const TONES: Record<string, Tone> = {
  ACTIVE: 'good',
  PASSED: 'good',
  COMPLETED: 'good',
  CONFIRMED: 'good',
  RESOLVED_SELLER: 'good',
  NOT_REQUIRED: 'neutral',
  PENDING: 'warn',
  DEGRADED: 'warn',
  PAUSED: 'warn',
  OPEN: 'warn',
  SUSPENDED: 'bad',
  INVALID: 'bad',
  FAILED: 'bad',
  DELETED: 'bad',
  RESOLVED_BUYER: 'bad',
};

/** A state as a badge; the colour repeats the word, it never replaces it. */
export function StateBadge({ state, label }: { state: string; label?: string }) {
  const tone = TONES[state] ?? 'neutral';
  return <span className={`badge seller-badge seller-badge-${tone}`}>{label ?? state.replace(/_/g, ' ').toLowerCase()}</span>;
}

export function PassBadge({ passed }: { passed: boolean | null | undefined }) {
  if (passed === null || passed === undefined) return <span className="muted">—</span>;
  return <StateBadge state={passed ? 'PASSED' : 'FAILED'} label={passed ? 'passed' : 'failed'} />;
}

/** A destructive action asks once more in place (no browser dialog): the first press arms it. */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
}: {
  label: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return (
      <button type="button" className="danger" disabled={disabled} onClick={() => setArmed(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="row" style={{ gap: 6 }}>
      {/* Focus follows the press: the button pressed is gone, its confirmation takes its place. */}
      <button type="button" className="danger" autoFocus disabled={disabled} onClick={() => (setArmed(false), onConfirm())}>
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setArmed(false)}>
        Cancel
      </button>
    </span>
  );
}

export function Pager({
  page,
  pageSize,
  total,
  onPage,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages <= 1) return null;
  return (
    <nav className="row" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span className="muted">
        Page {page} of {pages}
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

export function formatCount(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined) return '—';
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })}${unit}`;
}

export function Tile({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="card seller-tile">
      <div className="muted seller-tile-label">{label}</div>
      <div className="seller-tile-value">{value}</div>
      {hint && <div className="muted seller-tile-hint">{hint}</div>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}

/** A labelled control with a hint outside its label: the hint describes the control, it is not part of its name. */
// The label names the control by `for` rather than by wrapping it: a wrapped <select> would take its
// options' text into its name.
export function Field({
  label,
  hint,
  live,
  children,
}: {
  label: ReactNode;
  hint?: ReactNode;
  live?: boolean;
  children: ReactElement<{ id?: string; 'aria-describedby'?: string }>;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="seller-field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-describedby': hint ? hintId : undefined })}
      {hint && (
        <span id={hintId} className="seller-hint" aria-live={live ? 'polite' : undefined}>
          {hint}
        </span>
      )}
    </div>
  );
}
