// Admission probes really call the upstream (the simulator) through the seller's pool key, and the
// contract state machine follows probes and live-traffic reports: faults the simulator injects
// per key are refused with a useful reason; a healthy upstream is admitted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MarketContractChecksDocument,
  MarketCreateListingDocument,
  MarketCreatePoolKeyDocument,
  MarketListingContractsDocument,
  MarketListingDocument,
  MarketListingProbeRunsDocument,
  MarketPoolKeyDocument,
  MarketProbeListingDocument,
  MarketReverifyContractDocument,
  MarketUnsuspendContractDocument,
} from '../../schema/generated/graphql';
import type { ContractChangedEvent } from '../../subgraphs/common/events';
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import { startSimulator, type FaultConfig, type Simulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { signup } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { readUntil } from '../helpers/eventually';

const KEYS = {
  healthy: 'sk-sim-healthy-0123456789abcdef',
  slow: 'sk-sim-slow-0123456789abcdef',
  empty: 'sk-sim-empty-0123456789abcdef',
  fake: 'sk-sim-fakestream-0123456789abcdef',
  error: 'sk-sim-error500-0123456789abcdef',
  noUsage: 'sk-sim-nousage-0123456789abcdef',
  refused: 'sk-sim-refused-0123456789abcdef',
  flaky: 'sk-sim-flaky-0123456789abcdef',
  live: 'sk-sim-live-0123456789abcdef',
  embed: 'sk-sim-embed-0123456789abcdef',
  speech: 'sk-sim-speech-0123456789abcdef',
};

describe('market probes and contracts', () => {
  let sim: Simulator;
  let stack: TestStack;
  let jwt: string;
  const events: ContractChangedEvent[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: Object.values(KEYS) });
    // A short "too slow" limit keeps the slow case quick.
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', PROBE_MAX_TTFT_MS: '600' });
    stack.bus.subscribe('contract.changed', (event) => events.push(event));
    jwt = (await signup(stack.url, 'prober')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const asService = (query: string, variables: Record<string, unknown>) =>
    stack
      .platform!.runtimes.find((r) => r.name === 'market')!
      .execute(
        { query, variables },
        { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'service', name: 'test' }) },
      );

  async function poolKey(apiKey: string): Promise<string> {
    const created = await graphql(
      stack.url,
      MarketCreatePoolKeyDocument,
      { input: { provider: 'simulator', apiKey, label: apiKey.split('-')[2] } },
      jwt,
    );
    expect(created.errors).toBeUndefined();
    return created.data!.createPoolKey.id;
  }

  /** A listing through a fresh pool key; `faults` are set after the key was validated, before the admission probe. */
  async function listing(apiKey: string, faults: Partial<FaultConfig> | null, input: Record<string, unknown> = {}) {
    const poolKeyId = await poolKey(apiKey);
    sim.setKeyFaults(apiKey, faults);
    const model = `acme/probe-${apiKey.split('-')[2]}`;
    const created = await graphql(
      stack.url,
      MarketCreateListingDocument,
      { input: { poolKeyId, model, upstreamModel: 'sim-chat', inputPricePerMTok: '1', outputPricePerMTok: '2', ...input } },
      jwt,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createListing.status).toBe('PENDING');
    return { id: created.data!.createListing.id, contractId: created.data!.createListing.contract!.id, poolKeyId };
  }

  /** The admission probe createListing started in the background, once it has been recorded. */
  async function admitted(listingId: string) {
    const result = await readUntil(
      () => graphql(stack.url, MarketListingContractsDocument, { listingId }, jwt),
      (r) => r.data?.listingContracts[0]?.lastCheckAt != null,
    );
    return result.data!.listingContracts[0];
  }

  async function latestRun(listingId: string) {
    const runs = await graphql(stack.url, MarketListingProbeRunsDocument, { listingId }, jwt);
    expect(runs.errors).toBeUndefined();
    return runs.data!.listingProbeRuns[0];
  }

  it('admits a healthy streaming upstream: ACTIVE, with latency, time to first token and tokens/s', async () => {
    const { id } = await listing(KEYS.healthy, null);
    const contract = await admitted(id);
    expect(contract).toMatchObject({ state: 'ACTIVE', lastCheckPassed: true, lastReason: null, consecutiveFailures: 0 });
    expect(contract.admittedAt).not.toBeNull();
    expect(contract.latencyMs).toBeGreaterThan(0);
    expect(contract.ttftMs).toBeGreaterThan(0);
    expect(contract.tokensPerSecond).toBeGreaterThan(0);
    const run = await latestRun(id);
    expect(run).toMatchObject({
      kind: 'ADMISSION',
      capability: 'CHAT',
      upstreamModel: 'sim-chat',
      passed: true,
      reason: null,
      httpStatus: 200,
      usageReported: true,
    });
    expect(run.contentChunks).toBeGreaterThanOrEqual(3);
    expect(run.streamSpreadMs).toBeGreaterThanOrEqual(10);
    expect(run.completionTokens).toBeGreaterThan(0);
    const view = await graphql(stack.url, MarketListingDocument, { id }, jwt);
    expect(view.data!.listing.status).toBe('ACTIVE');
    expect(events).toContainEqual(expect.objectContaining({ listingId: id, state: 'active' }));
  });

  it.each([
    ['slow (latency before the answer)', KEYS.slow, { latencyMs: 1500 }, /too slow: nothing arrived within 600 ms/],
    ['an empty answer', KEYS.empty, { empty: true }, /empty answer/],
    [
      'fake streaming (every chunk in one write)',
      KEYS.fake,
      { fakeStream: true },
      /fake streaming: all \d+ content chunks arrived within \d+ ms/,
    ],
    ['an error status', KEYS.error, { status: 500 }, /the upstream answered HTTP 500/],
    ['no usage in the stream', KEYS.noUsage, { noUsage: true }, /no usage in the stream/],
  ])('refuses admission for %s, with the reason', async (_name, apiKey, faults, reason) => {
    const { id } = await listing(apiKey, faults as Partial<FaultConfig>);
    const contract = await admitted(id);
    expect(contract).toMatchObject({ state: 'PENDING', lastCheckPassed: false, admittedAt: null });
    expect(contract.lastReason).toMatch(reason);
    const run = await latestRun(id);
    expect(run).toMatchObject({ kind: 'ADMISSION', passed: false });
    expect(run.reason).toMatch(reason);
    expect((await graphql(stack.url, MarketListingDocument, { id }, jwt)).data!.listing.status).toBe('PENDING');
  });

  it('marks a pool key INVALID when the provider refuses it on a probe, and ACTIVE again when a probe passes', async () => {
    const { id, poolKeyId } = await listing(KEYS.refused, { status: 401 });
    const contract = await admitted(id);
    expect(contract.lastReason).toMatch(/the provider refused the pool key \(HTTP 401\)/);
    expect((await graphql(stack.url, MarketPoolKeyDocument, { id: poolKeyId }, jwt)).data!.poolKey.status).toBe('INVALID');
    sim.setKeyFaults(KEYS.refused, null);
    const probe = await graphql(stack.url, MarketProbeListingDocument, { id }, jwt);
    expect(probe.data!.probeListing).toMatchObject({ kind: 'ADMISSION', passed: true });
    expect((await graphql(stack.url, MarketPoolKeyDocument, { id: poolKeyId }, jwt)).data!.poolKey.status).toBe('ACTIVE');
    expect((await graphql(stack.url, MarketListingDocument, { id }, jwt)).data!.listing.status).toBe('ACTIVE');
  });

  it('admits embeddings (a vector and usage) and speech (audio bytes with an audio type)', async () => {
    const embed = await listing(KEYS.embed, null, {
      model: 'acme/probe-embed',
      upstreamModel: 'sim-embed',
      capability: 'EMBEDDINGS',
      outputPricePerMTok: null,
    });
    const speech = await listing(KEYS.speech, null, {
      model: 'acme/probe-speech',
      upstreamModel: 'sim-tts',
      capability: 'SPEECH',
      inputPricePerMTok: null,
      outputPricePerMTok: null,
      pricePerMChars: '15',
    });
    expect(await admitted(embed.id)).toMatchObject({ state: 'ACTIVE' });
    expect(await admitted(speech.id)).toMatchObject({ state: 'ACTIVE' });
    expect(await latestRun(embed.id)).toMatchObject({ capability: 'EMBEDDINGS', passed: true, usageReported: true });
    const run = await latestRun(speech.id);
    expect(run).toMatchObject({ capability: 'SPEECH', passed: true, httpStatus: 200 });
    expect(run.ttftMs).not.toBeNull();
  });

  it('moves a contract ACTIVE → DEGRADED → ACTIVE → … → SUSPENDED on re-checks, and unsuspends only after a passing check', async () => {
    const { id, contractId } = await listing(KEYS.flaky, null);
    expect(await admitted(id)).toMatchObject({ state: 'ACTIVE' });
    const reverify = async () => {
      const result = await graphql(stack.url, MarketReverifyContractDocument, { id: contractId }, jwt);
      expect(result.errors).toBeUndefined();
      return result.data!.reverifyContract;
    };

    sim.setKeyFaults(KEYS.flaky, { status: 503 });
    expect(await reverify()).toMatchObject({
      kind: 'REVERIFY',
      passed: false,
      stateBefore: 'ACTIVE',
      stateAfter: 'DEGRADED',
      contract: { state: 'DEGRADED', consecutiveFailures: 1 },
    });
    expect((await graphql(stack.url, MarketListingDocument, { id }, jwt)).data!.listing.status).toBe('ACTIVE'); // degraded supply is still routed (last)
    sim.setKeyFaults(KEYS.flaky, null);
    expect(await reverify()).toMatchObject({
      passed: true,
      stateBefore: 'DEGRADED',
      stateAfter: 'ACTIVE',
      contract: { consecutiveFailures: 0 },
    });

    sim.setKeyFaults(KEYS.flaky, { status: 500 });
    expect((await reverify()).stateAfter).toBe('DEGRADED');
    expect((await reverify()).stateAfter).toBe('DEGRADED');
    const suspended = await reverify();
    expect(suspended).toMatchObject({
      stateBefore: 'DEGRADED',
      stateAfter: 'SUSPENDED',
      contract: { state: 'SUSPENDED', consecutiveFailures: 3 },
    });
    expect(suspended.contract!.suspendedAt).not.toBeNull();
    expect((await graphql(stack.url, MarketListingDocument, { id }, jwt)).data!.listing.status).toBe('SUSPENDED');

    const early = await graphql(stack.url, MarketUnsuspendContractDocument, { id: contractId }, jwt);
    expect(early.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(early.errors?.[0].message).toMatch(/latest check since the suspension has not passed.*reverifyContract/);

    sim.setKeyFaults(KEYS.flaky, null);
    expect(await reverify()).toMatchObject({ passed: true, stateBefore: 'SUSPENDED', stateAfter: 'SUSPENDED' }); // a pass alone does not unsuspend
    const back = await graphql(stack.url, MarketUnsuspendContractDocument, { id: contractId }, jwt);
    expect(back.errors).toBeUndefined();
    expect(back.data!.unsuspendContract).toMatchObject({ state: 'ACTIVE', consecutiveFailures: 0 });
    expect((await graphql(stack.url, MarketListingDocument, { id }, jwt)).data!.listing.status).toBe('ACTIVE');
    const again = await graphql(stack.url, MarketUnsuspendContractDocument, { id: contractId }, jwt);
    expect(again.errors?.[0]).toMatchObject({
      extensions: { code: 'CONFLICT' },
      message: expect.stringMatching(/is active, not suspended/),
    });

    const checks = await graphql(stack.url, MarketContractChecksDocument, { contractId }, jwt);
    expect(checks.data!.contractChecks.map((c) => c.stateAfter)).toEqual([
      'SUSPENDED',
      'SUSPENDED',
      'DEGRADED',
      'DEGRADED',
      'ACTIVE',
      'DEGRADED',
      'ACTIVE',
    ]);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.contractId === contractId).map((e) => e.state)).toEqual([
      'active',
      'degraded',
      'active',
      'degraded',
      'suspended',
      'active',
    ]);
  });

  it('counts live-traffic reports (platform only) as LIVE checks: a burst of failures degrades, then suspends', async () => {
    const { id, contractId } = await listing(KEYS.live, null);
    expect(await admitted(id)).toMatchObject({ state: 'ACTIVE' });
    // The data plane's own mutation, as it sends it (the answer is the contract's state after the report).
    const report = async (ok: boolean, reason?: string) => {
      const result = await asService(
        'mutation($l: ID!, $ok: Boolean!, $r: String) { reportListingOutcome(listingId: $l, ok: $ok, reason: $r) }',
        { l: id, ok, r: reason },
      );
      expect(result.errors).toBeUndefined();
      return (result.data as { reportListingOutcome: string }).reportListingOutcome;
    };
    const failures = async () =>
      (await graphql(stack.url, MarketListingContractsDocument, { listingId: id }, jwt)).data!.listingContracts[0].consecutiveFailures;

    // Default burst: 5 live failures in a row; from the 5th on, each counts as a failed check.
    for (let i = 0; i < 4; i++) expect(await report(false, 'upstream 502')).toBe('ACTIVE');
    expect(await failures()).toBe(0);
    expect(await report(false, 'upstream 502')).toBe('DEGRADED'); // the burst
    expect(await failures()).toBe(1);
    expect(await report(true)).toBe('ACTIVE');
    expect(await report(true)).toBe('ACTIVE'); // nothing to record
    for (let i = 0; i < 6; i++) await report(false, 'timeout');
    expect(await report(false, 'timeout')).toBe('SUSPENDED'); // failures 5, 6, 7 of the streak: DEGRADED, DEGRADED, SUSPENDED
    expect(await failures()).toBe(3);

    const checks = await graphql(stack.url, MarketContractChecksDocument, { contractId, limit: 100 }, jwt);
    const live = checks.data!.contractChecks.filter((c) => c.kind === 'LIVE');
    expect(live).toHaveLength(13); // 12 failures and the success that healed it; the no-op success is not stored
    expect(live[0]).toMatchObject({ passed: false, reason: 'timeout', stateAfter: 'SUSPENDED' });

    // Platform only: a seller's own session cannot report, and the public API has no such field.
    const market = stack.platform!.runtimes.find((r) => r.name === 'market')!;
    const asUser = await market.execute(
      { query: 'mutation($l: ID!) { reportListingOutcome(listingId: $l, ok: false) }', variables: { l: id } },
      { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'user', accountId: 'someone' }) },
    );
    expect(asUser.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const viaGateway = await graphql(stack.url, 'mutation($l: ID!) { reportListingOutcome(listingId: $l, ok: false) }', { l: id }, jwt);
    expect(viaGateway.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await report(false)).toBe('SUSPENDED');
    const unknown = await asService('mutation { reportListingOutcome(listingId: "nope", ok: false) }', {});
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('scheduled contract checks', () => {
  let sim: Simulator;
  let stack: TestStack;
  const key = 'sk-sim-scheduled-0123456789abcdef';

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: [key] });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '250' });
  });
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  it('re-checks ACTIVE contracts on the interval and degrades one whose upstream started failing', async () => {
    const { jwt } = await signup(stack.url, 'scheduled');
    const poolKeyId = (await graphql(stack.url, MarketCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey: key } }, jwt)).data!
      .createPoolKey.id;
    const created = await graphql(
      stack.url,
      MarketCreateListingDocument,
      { input: { poolKeyId, model: 'acme/scheduled', upstreamModel: 'sim-chat', inputPricePerMTok: '1', outputPricePerMTok: '1' } },
      jwt,
    );
    const contractId = created.data!.createListing.contract!.id;
    const checks = () => graphql(stack.url, MarketContractChecksDocument, { contractId }, jwt);
    const first = await readUntil(checks, (r) => (r.data?.contractChecks ?? []).some((c) => c.kind === 'SCHEDULED' && c.passed));
    expect(first.data!.contractChecks.some((c) => c.kind === 'ADMISSION' && c.stateAfter === 'ACTIVE')).toBe(true);
    sim.setKeyFaults(key, { status: 500 });
    const degraded = await readUntil(checks, (r) => r.data?.contractChecks[0]?.stateAfter === 'DEGRADED');
    expect(degraded.data!.contractChecks[0]).toMatchObject({
      kind: 'SCHEDULED',
      passed: false,
      stateBefore: 'ACTIVE',
      stateAfter: 'DEGRADED',
    });
  });
});
