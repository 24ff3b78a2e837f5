// Price changes, pure: which new prices apply at once and which wait for the seller's confirmation.
// A decrease, or an increase up to the threshold, applies at once; a larger increase (or any rise
// from a price of 0) is held in review while the listing keeps routing at its live price. Each
// price is judged on its own, so one update can apply a decrease and hold an increase.
import { Capability } from '../entities/Listing';

export interface Prices {
  input: number;
  output: number;
  /** Speech, micro-USD per million characters. */
  perMChars: number | null;
}
export type PriceField = keyof Prices;
export const PRICE_FIELDS: readonly PriceField[] = ['input', 'output', 'perMChars'];

/** An increase from 0 is infinite; it is shown as this many percent. */
export const FROM_ZERO_PERCENT = 100_000;

export interface PricePlan {
  applyNow: Partial<Prices>;
  pending: Partial<Prices>;
  /** The largest increase among the pending prices, percent. */
  pendingIncreasePercent: number;
}

export function increasePercent(from: number | null, to: number): number {
  if (from === null || from === 0) return to > 0 ? FROM_ZERO_PERCENT : 0;
  return ((to - from) / from) * 100;
}

export function planPriceChange(live: Prices, requested: Partial<Prices>, thresholdPercent: number): PricePlan {
  const plan: PricePlan = { applyNow: {}, pending: {}, pendingIncreasePercent: 0 };
  for (const field of PRICE_FIELDS) {
    const next = requested[field];
    if (next === undefined || next === null) continue;
    const rise = increasePercent(live[field], next);
    if (rise > thresholdPercent) {
      plan.pending[field] = next;
      plan.pendingIncreasePercent = Math.max(plan.pendingIncreasePercent, rise);
    } else {
      plan.applyNow[field] = next;
    }
  }
  return plan;
}

/** The price routing compares (and the floor guards): input + output per MTok; per MChars for speech. */
export function blendedPrice(capability: Capability, prices: Prices): number {
  return capability === Capability.SPEECH ? (prices.perMChars ?? 0) : prices.input + prices.output;
}
