// Pieces the buyer's sections share: the page frame, a two-step confirm, status badges, a pager.
import { useEffect, useRef, useState, type ReactNode } from 'react';
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

/**
 * A destructive action asked twice, inline (a window.confirm would block the page and cannot be
 * styled or read out well): the first press shows the question and the confirm button.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  disabled,
}: {
  label: string;
  question: string;
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
    <span className="buyer-confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        className="danger"
        autoFocus
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

const TONES: Record<string, string> = {
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
  const tone = TONES[status.toUpperCase()] ?? '';
  return <span className={`badge ${tone}`}>{status.replace(/_/g, ' ').toLowerCase()}</span>;
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
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

export function Tile({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="buyer-tile">
      <div className="label">{label}</div>
      <div className="value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US');
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
