// Pieces both consoles' sections use: a two-step confirm for destructive actions, state badges, a
// pager, figure tiles, a labelled field, a focusable table scroller, and counts as text.
import { cloneElement, useId, useState, type ReactElement, type ReactNode } from 'react';

/**
 * A destructive action asked twice, inline (a window.confirm would block the page and cannot be
 * styled or read out well): the first press shows the optional question and the confirm button.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  disabled,
}: {
  label: string;
  question?: string;
  confirmLabel: string;
  onConfirm: () => void | Promise<void>;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span className="confirm" role={question ? 'group' : undefined} aria-label={question}>
      {question && <span>{question}</span>}
      {/* Focus follows the press: the button pressed is gone, its confirmation takes its place. */}
      <button
        type="button"
        className="danger"
        autoFocus
        disabled={disabled}
        onClick={async () => {
          setAsking(false);
          await onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export type Tone = 'good' | 'bad' | 'warn' | 'neutral' | '';

/**
 * A state as a badge, toned by the caller's map (a buyer and a seller read the same resolution
 * differently); the colour repeats the word, it never replaces it.
 */
export function Badge({
  state,
  tones,
  fallback = '',
  label,
}: {
  state: string;
  tones: Record<string, Tone>;
  fallback?: Tone;
  label?: string;
}) {
  const tone = tones[state.toUpperCase()] ?? fallback;
  return <span className={`badge ${tone}`}>{label ?? state.replace(/_/g, ' ').toLowerCase()}</span>;
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
    <nav className="row pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** A figure with its name (and a hint under it); each console's CSS gives its tiles their look. */
export function Tile({ label, value, hint, testId }: { label: string; value: ReactNode; hint?: string; testId?: string }) {
  return (
    <div className="tile">
      <div className="tile-label">{label}</div>
      <div className="tile-value" data-testid={testId}>
        {value}
      </div>
      {hint && <div className="tile-hint">{hint}</div>}
    </div>
  );
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
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-describedby': hint ? hintId : undefined })}
      {hint && (
        <span id={hintId} className="hint" aria-live={live ? 'polite' : undefined}>
          {hint}
        </span>
      )}
    </div>
  );
}

/**
 * A table's horizontal scroller. It is a named, focusable region so that keyboard users can
 * scroll a table wider than the screen (WCAG 2.1.1; axe: scrollable-region-focusable).
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** A count (or a measurement with its unit, e.g. " ms") as text; at most one decimal. */
export function formatCount(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined) return '—';
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })}${unit}`;
}
