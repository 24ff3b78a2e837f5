// Pieces only the seller's sections use: state badges read from the seller's side and an empty
// state. The pieces both consoles use are in shared/parts.
import type { ReactNode } from 'react';
import { Badge, type Tone } from '../../shared/parts';
import './seller.css';

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

export function StateBadge({ state, label }: { state: string; label?: string }) {
  return <Badge state={state} tones={TONES} fallback="neutral" label={label} />;
}

export function PassBadge({ passed }: { passed: boolean | null | undefined }) {
  if (passed === null || passed === undefined) return <span className="muted">—</span>;
  return <StateBadge state={passed ? 'PASSED' : 'FAILED'} label={passed ? 'passed' : 'failed'} />;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}
