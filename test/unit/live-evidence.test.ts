// Live evidence against a listing's claims: what the meter calls evidence, and the probe runner's
// one re-verification per listing per interval however many answers lie.
import { describe, expect, it } from 'vitest';
import { ListingHealthReporter } from '../../gateway/inference/meter';
import { ProbeRunner } from '../../subgraphs/market/services/probe-runner';
import { DEFAULT_MARKET_SETTINGS } from '../../subgraphs/market/services/settings';
import type { MarketCoreDeps } from '../../subgraphs/market/services/deps';
import { CheckKind } from '../../subgraphs/market/entities/ContractCheck';

describe('live evidence', () => {
  it('tells market which failures contradict the claims', () => {
    const reports: [string, boolean, string | null, boolean | undefined][] = [];
    const health = new ListingHealthReporter((id, ok, reason, evidence) => reports.push([id, ok, reason, evidence]));
    health.failure('l1', 'the provider failed');
    health.failure('l1', 'prompt_tokens 300 over the count 100', true);
    expect(reports).toEqual([
      ['l1', false, 'the provider failed', false],
      ['l1', false, 'prompt_tokens 300 over the count 100', true],
    ]);
  });

  it('re-verifies a listing on evidence at most once per interval', async () => {
    let now = 1_000_000;
    const deps = {
      clock: { now: () => new Date(now) },
      settings: { ...DEFAULT_MARKET_SETTINGS, evidenceReverifyIntervalMs: 60_000 },
      log: { warn: () => {} },
    } as unknown as MarketCoreDeps;
    const runner = new ProbeRunner(deps);
    const probes: [string, CheckKind][] = [];
    runner.probe = (listingId: string, kind: CheckKind) => {
      probes.push([listingId, kind]);
      return Promise.resolve({} as Awaited<ReturnType<ProbeRunner['probe']>>);
    };
    for (let i = 0; i < 50; i++) runner.reverifyOnEvidence('liar');
    expect(runner.reverifyOnEvidence('other')).toBe(true);
    expect(probes).toEqual([
      ['liar', CheckKind.REVERIFY],
      ['other', CheckKind.REVERIFY],
    ]);
    now += 59_999;
    expect(runner.reverifyOnEvidence('liar')).toBe(false);
    now += 1;
    expect(runner.reverifyOnEvidence('liar')).toBe(true);
    expect(probes).toHaveLength(3);
    await runner.close();
  });
});
