// Verification on live traffic: a seller admitted honestly as a canonical model that starts lying
// afterwards (usage inflated past the gateway's count) is caught by its buyers' own requests: the
// answer is billed at the gateway's count, the listing goes back to verification (once, however
// many requests it lies to), fails it, and leaves routing while an honest seller keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { JobFinishedEvent } from '../../subgraphs/common/events';
import { startSimulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { expectLedgerBalanced } from '../helpers/ledger';
import { eventually } from '../helpers/eventually';

const MODEL = 'dragonfly/sim-chat';
const LISTING = `query ($id: ID!) { listing(id: $id) { id status verification { status checks { name passed detail } } } }`;
const RUNS = `query ($id: ID!) { listingProbeRuns(listingId: $id, limit: 50) { kind passed reason } }`;

describe('verification on live traffic', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let seller: { jwt: string };
  let liar: string;
  let honest: string;
  const jobs = new Map<string, JobFinishedEvent>();

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-liar', 'sk-sim-honest'] });
    // Periodic checks off: only live evidence can send the listing back to verification here.
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', LISTING_COOLDOWN_MS: '0' });
    stack.bus.subscribe('job.finished', (job) => jobs.set(job.id, job));
    seller = await signup(stack.url, 'seller-live');
    liar = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: await poolKey(stack.url, seller.jwt, 'sk-sim-liar'),
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '1',
    });
    const other = await signup(stack.url, 'seller-honest');
    honest = await admittedListing(stack.url, other.jwt, {
      poolKeyId: await poolKey(stack.url, other.jwt, 'sk-sim-honest'),
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '3',
      outputPricePerMTok: '3',
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  it('sends a listing that starts over-reporting usage back to verification once, which fails it out of routing', async () => {
    const view = async () =>
      (
        await graphql<
          { listing: { status: string; verification: { status: string; checks: { name: string; passed: boolean }[] } } },
          unknown
        >(stack.url, LISTING, { id: liar }, seller.jwt)
      ).data!.listing;
    expect((await view()).verification.status).toBe('PASSED');
    const buyer = await fundedBuyer(stack.url, '5');
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: buyer.key, maxRetries: 0 });
    // The cheaper seller now reports three times the tokens it was sent and wrote.
    sim.setKeyFaults('sk-sim-liar', { usageFactor: 3 });
    const served: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { data, response } = await client.chat.completions
        .create({
          model: MODEL,
          messages: [{ role: 'user', content: `live ${i}: ${'the dragonfly hovers over the pond. '.repeat(40)}` }],
          max_tokens: 8,
        })
        .withResponse();
      const job = jobs.get(response.headers.get('x-request-id')!)!;
      served.push(job.listingId!);
      if (job.listingId === liar) {
        // Billed at the gateway's count, never at the inflated figure.
        const g = await eventually(async () => {
          const generation = await graphql<
            { generation: { inputTokens: number; metering: { reportedInputTokens: number; flags: string[] } } | null },
            unknown
          >(
            stack.url,
            `query ($id: ID!) { generation(id: $id) { inputTokens metering { reportedInputTokens flags } } }`,
            { id: response.headers.get('x-request-id')! },
            buyer.jwt,
          );
          if (!generation.data?.generation) throw new Error('not recorded yet');
          return generation.data.generation;
        });
        expect(data.usage!.prompt_tokens).toBe(g.inputTokens);
        expect(g.inputTokens).toBeLessThan(g.metering.reportedInputTokens);
        expect(g.metering.flags).toContain('prompt_over_count');
      }
    }
    expect(served).toContain(liar);
    const failed = await eventually(
      async () => {
        const v = await view();
        if (v.verification.status !== 'FAILED')
          throw new Error(
            `verification is ${v.verification.status}: ${JSON.stringify((await graphql(stack.url, RUNS, { id: liar }, seller.jwt)).data)}`,
          );
        return v;
      },
      { timeoutMs: 15_000 },
    );
    expect(failed.verification.checks.find((c) => c.name === 'tokenizer' && !c.passed)).toBeDefined();
    // However many answers lied, one re-verification ran (at most one per listing per minute).
    const runs = (
      await graphql<{ listingProbeRuns: { kind: string; passed: boolean; reason: string | null }[] }, unknown>(
        stack.url,
        RUNS,
        { id: liar },
        seller.jwt,
      )
    ).data!.listingProbeRuns;
    const reverifications = runs.filter((r) => r.kind === 'REVERIFY');
    expect(reverifications).toHaveLength(1);
    expect(reverifications[0]).toMatchObject({ passed: false, reason: expect.stringContaining('verification failed: tokenizer') });
    // Off routing: every buyer request now goes to the honest (dearer) seller.
    await eventually(async () => {
      const { response } = await client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: 'after' }], max_tokens: 4 })
        .withResponse();
      expect(jobs.get(response.headers.get('x-request-id')!)!.listingId).toBe(honest);
    });
    for (let i = 0; i < 5; i++) {
      const { response } = await client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: `after ${i}` }], max_tokens: 4 })
        .withResponse();
      expect(jobs.get(response.headers.get('x-request-id')!)!.listingId).toBe(honest);
    }
    sim.setKeyFaults('sk-sim-liar', null);
    await expectLedgerBalanced(stack);
  });
});
