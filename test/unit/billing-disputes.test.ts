// The dispute rules on their own: what in a usage record counts as evidence of an overcharge, the
// platform's ruling for every combination of facts, where a refund's money comes from (a property:
// buyer credits equal the charge, seller and platform debits equal it too, no seller bucket goes
// below zero, the reserve is drawn first), and the settings' defaults.
import 'reflect-metadata';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disputeRuling, overchargeEvidence, planRefund } from '../../subgraphs/billing/services/disputes';
import { billingSettings } from '../../subgraphs/billing/settings';

const TOLERANCE = { toleranceBps: 2_500, slackTokens: 16 };
const record = (overrides = {}) => ({
  status: 'completed',
  costMicros: 1000,
  reportedInputTokens: 100,
  reportedOutputTokens: 50,
  countedInputTokens: 100,
  countedOutputTokens: 50,
  reasoningTokens: 0,
  meteringFlags: null,
  ...overrides,
});

describe('overchargeEvidence', () => {
  it('finds the metering flags that mean an overcharge, and nothing else', () => {
    expect(overchargeEvidence(record(), TOLERANCE)).toEqual([]);
    expect(overchargeEvidence(record({ meteringFlags: 'usage_missing' }), TOLERANCE)).toEqual([]);
    expect(overchargeEvidence(record({ meteringFlags: 'completion_over_max,usage_missing' }), TOLERANCE)).toEqual(['completion_over_max']);
    expect(overchargeEvidence(record({ meteringFlags: 'prompt_over_count,completion_over_count' }), TOLERANCE)).toEqual([
      'completion_over_count',
      'prompt_over_count',
    ]);
  });

  it('compares reported with counted beyond the tolerance, upward only', () => {
    // 100 counted → at most 100 + 25 + 16 = 141 before it is an overcharge.
    expect(overchargeEvidence(record({ reportedInputTokens: 141 }), TOLERANCE)).toEqual([]);
    expect(overchargeEvidence(record({ reportedInputTokens: 142 }), TOLERANCE)).toEqual(['prompt_over_count']);
    expect(overchargeEvidence(record({ reportedInputTokens: 3 }), TOLERANCE)).toEqual([]);
    expect(overchargeEvidence(record({ reportedOutputTokens: 500 }), TOLERANCE)).toEqual(['completion_over_count']);
    // Reasoning tokens are never shown, so they are not held against the count…
    expect(overchargeEvidence(record({ reportedOutputTokens: 500, reasoningTokens: 450 }), TOLERANCE)).toEqual([]);
    // …nor is a cancelled stream's report (the upstream went on after the buyer left).
    expect(overchargeEvidence(record({ status: 'cancelled', reportedOutputTokens: 500 }), TOLERANCE)).toEqual([]);
    expect(overchargeEvidence(record({ reportedInputTokens: null, reportedOutputTokens: null }), TOLERANCE)).toEqual([]);
  });

  it('counts a failed request that was charged', () => {
    expect(overchargeEvidence(record({ status: 'failed', costMicros: 5 }), TOLERANCE)).toEqual(['failed_charged']);
    expect(overchargeEvidence(record({ status: 'failed', costMicros: 0 }), TOLERANCE)).toEqual([]);
  });
});

describe('disputeRuling', () => {
  it('decides every combination of facts by the documented rule', () => {
    for (const evidence of [[], ['completion_over_count']]) {
      for (const acceptedBySeller of [false, true]) {
        for (const contested of [false, true]) {
          for (const windowOver of [false, true]) {
            const ruling = disputeRuling({ evidence, acceptedBySeller, contested, windowOver });
            const expected =
              evidence.length > 0
                ? { outcome: 'buyer', resolution: 'auto' }
                : acceptedBySeller
                  ? { outcome: 'buyer', resolution: 'seller_accepted' }
                  : !windowOver
                    ? null
                    : contested
                      ? { outcome: 'seller', resolution: 'contested' }
                      : { outcome: 'buyer', resolution: 'window_expired' };
            expect(ruling, JSON.stringify({ evidence, acceptedBySeller, contested, windowOver })).toEqual(expected);
          }
        }
      }
    }
  });
});

describe('planRefund', () => {
  it('takes the seller share from the reserve first, then pending, then available; the platform covers the rest', () => {
    const charge = { costMicros: 1_000_000, promoMicros: 100_000, sellerMicros: 700_000, sellerPromoMicros: 70_000 };
    expect(planRefund(charge, { reserved: 1_000_000, pending: 0, available: 0 }, 70_000)).toEqual({
      buyerPromoMicros: 100_000,
      buyerBalanceMicros: 900_000,
      fromReservedMicros: 700_000,
      fromPendingMicros: 0,
      fromAvailableMicros: 0,
      platformFeeMicros: 300_000,
      platformCoverMicros: 0,
      promoReversedMicros: 70_000,
    });
    expect(planRefund(charge, { reserved: 100_000, pending: 200_000, available: 300_000 }, 0)).toMatchObject({
      fromReservedMicros: 100_000,
      fromPendingMicros: 200_000,
      fromAvailableMicros: 300_000,
      platformCoverMicros: 100_000,
      promoReversedMicros: 0,
    });
    expect(planRefund(charge, { reserved: -5, pending: 0, available: 0 }, 0)).toMatchObject({
      fromReservedMicros: 0,
      platformCoverMicros: 700_000,
    });
  });

  it('never creates money and never takes a seller bucket below zero (property)', () => {
    const micros = fc.integer({ min: 0, max: 10_000_000 });
    fc.assert(
      fc.property(
        micros,
        micros,
        fc.integer({ min: 0, max: 10_000 }),
        micros,
        micros,
        micros,
        micros,
        (cost, promoSeed, bps, reserved, pending, available, creditOnly) => {
          const promoMicros = promoSeed % (cost + 1);
          const sellerMicros = Math.floor((cost * bps) / 10_000);
          const sellerPromoMicros = sellerMicros - Math.floor(((cost - promoMicros) * bps) / 10_000);
          const plan = planRefund(
            { costMicros: cost, promoMicros, sellerMicros, sellerPromoMicros },
            { reserved, pending, available },
            creditOnly,
          );
          const sellerDebit = plan.fromReservedMicros + plan.fromPendingMicros + plan.fromAvailableMicros;
          expect(plan.buyerPromoMicros + plan.buyerBalanceMicros).toBe(cost);
          expect(sellerDebit + plan.platformFeeMicros + plan.platformCoverMicros).toBe(cost);
          expect(plan.buyerPromoMicros).toBe(promoMicros);
          expect(plan.fromReservedMicros).toBeLessThanOrEqual(reserved);
          expect(plan.fromPendingMicros).toBeLessThanOrEqual(pending);
          expect(plan.fromAvailableMicros).toBeLessThanOrEqual(available);
          for (const part of Object.values(plan)) expect(part).toBeGreaterThanOrEqual(0);
          // Pending is touched only once the reserve is empty, available only once pending is.
          if (plan.fromPendingMicros > 0) expect(plan.fromReservedMicros).toBe(reserved);
          if (plan.fromAvailableMicros > 0) expect(plan.fromPendingMicros).toBe(pending);
          expect(plan.promoReversedMicros).toBeLessThanOrEqual(Math.min(sellerPromoMicros, sellerDebit, creditOnly));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('dispute and payout settings', () => {
  it('has the documented defaults and refuses bad values', () => {
    expect(billingSettings({})).toMatchObject({
      disputeWindowDays: 30,
      disputeResponseWindowMs: 72 * 3_600_000,
      payoutMinimumMicros: 10_000_000,
      payoutProvider: 'sandbox',
      sandboxPayoutOutcome: 'completed',
    });
    expect(billingSettings({ NODE_ENV: 'production' }).payoutProvider).toBe('none');
    expect(billingSettings({ PAYOUT_PROVIDER: 'sandbox', NODE_ENV: 'production' }).payoutProvider).toBe('sandbox');
    expect(() => billingSettings({ PAYOUT_PROVIDER: 'paypal' })).toThrow(/PAYOUT_PROVIDER/);
    expect(() => billingSettings({ PAYOUT_SANDBOX_OUTCOME: 'maybe' })).toThrow(/PAYOUT_SANDBOX_OUTCOME/);
    expect(() => billingSettings({ PAYOUT_MINIMUM_USD: '-1' })).toThrow(/PAYOUT_MINIMUM_USD/);
    expect(() => billingSettings({ DISPUTE_WINDOW_DAYS: 'soon' })).toThrow(/DISPUTE_WINDOW_DAYS/);
  });
});
