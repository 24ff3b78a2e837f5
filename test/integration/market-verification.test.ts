// Verified supply: a listing under a canonical registry id must prove it is that model (tokenizer
// fingerprint, known answers) and that it does what the model declares (forced tool call, JSON
// schema, a prompt near the context length); own models live under the seller's handle. The
// simulator is honest as `dragonfly/sim-chat` and each of its lying modes is caught.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type FaultConfig, type Simulator } from '../../gateway/simulator/server';
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import { signup } from '../helpers/credentials';
import { eventually } from '../helpers/eventually';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const LISTING = `id model status verification { status checkedAt canonicalModel checks { name passed detail } } contract { id state lastReason }`;
const CREATE = `mutation ($input: CreateListingInput!) { createListing(input: $input) { ${LISTING} } }`;
const GET = `query ($id: ID!) { listing(id: $id) { ${LISTING} } }`;
const PROBE = `mutation ($id: ID!) { probeListing(id: $id) { id passed reason } }`;
const CLAIM = `mutation ($handle: String!) { claimSellerHandle(handle: $handle) { id handle } }`;
const MINE = `{ mySeller { id handle } }`;
const POOL_KEY = `mutation ($input: CreatePoolKeyInput!) { createPoolKey(input: $input) { id } }`;
const TABLE = `query ($model: String!) { routingTable(model: $model) { candidates { listingId verified } } }`;

type Check = { name: string; passed: boolean; detail: string | null };
type ListingView = {
  id: string;
  model: string;
  status: string;
  verification: { status: string; checkedAt: string | null; canonicalModel: string | null; checks: Check[] };
  contract: { id: string; state: string; lastReason: string | null } | null;
};

describe('verified supply: canonical models, seller handles, verification probes', () => {
  let sim: Simulator;
  let stack: TestStack;
  let seller: { accountId: string; jwt: string };
  let other: { accountId: string; jwt: string };
  let keyCount = 0;

  beforeAll(async () => {
    sim = await startSimulator();
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    seller = await signup(stack.url, 'verified-seller');
    other = await signup(stack.url, 'other-seller');
  });
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const asService = async (query: string, variables: Record<string, unknown>) => {
    const market = stack.platform!.runtimes.find((r) => r.name === 'market')!;
    return market.execute(
      { query, variables },
      { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'service', name: 'test' }) },
    );
  };
  const routable = async (model: string) => {
    const result = (await asService(TABLE, { model })) as {
      data?: { routingTable: { candidates: { listingId: string; verified: boolean }[] } };
    };
    return result.data!.routingTable.candidates;
  };

  /** A listing through a fresh simulator key with `faults`, its admission probe run to the end. */
  async function listed(
    jwt: string,
    model: string,
    faults: Partial<FaultConfig> | null = null,
    input: Record<string, unknown> = {},
  ): Promise<{ listing: ListingView; probe: { passed: boolean; reason: string | null } }> {
    const apiKey = `sk-sim-verify-${++keyCount}-0123456789abcdef`;
    const key = await graphql<{ createPoolKey: { id: string } }, unknown>(
      stack.url,
      POOL_KEY,
      { input: { provider: 'simulator', apiKey, label: `v${keyCount}` } },
      jwt,
    );
    expect(key.errors).toBeUndefined();
    sim.setKeyFaults(apiKey, faults);
    const created = await graphql<{ createListing: ListingView }, unknown>(
      stack.url,
      CREATE,
      {
        input: {
          poolKeyId: key.data!.createPoolKey.id,
          model,
          upstreamModel: 'sim-chat',
          inputPricePerMTok: '1',
          outputPricePerMTok: '2',
          ...input,
        },
      },
      jwt,
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createListing.id;
    const probe = await graphql<{ probeListing: { passed: boolean; reason: string | null } }, unknown>(stack.url, PROBE, { id }, jwt);
    expect(probe.errors).toBeUndefined();
    const view = await graphql<{ listing: ListingView }, unknown>(stack.url, GET, { id }, jwt);
    return { listing: view.data!.listing, probe: probe.data!.probeListing };
  }

  it('admits the honest simulator as the canonical dragonfly/sim-chat: every check passed, routable and verified', async () => {
    const { listing, probe } = await listed(seller.jwt, 'dragonfly/sim-chat');
    expect(probe).toMatchObject({ passed: true, reason: null });
    expect(listing.status).toBe('ACTIVE');
    expect(listing.verification).toMatchObject({ status: 'PASSED', canonicalModel: 'dragonfly/sim-chat' });
    expect(listing.verification.checkedAt).not.toBeNull();
    expect(listing.verification.checks.map((c) => c.name)).toEqual([
      'tokenizer',
      'tokenizer',
      'known-answer',
      'known-answer',
      'tools',
      'json_schema',
      'context',
    ]);
    expect(listing.verification.checks.every((c) => c.passed)).toBe(true);
    expect(await routable('dragonfly/sim-chat')).toContainEqual({ listingId: listing.id, verified: true });
  });

  it('never routes an impostor openai/gpt-4o on the simulator, and shows its seller the failed verification (GraphQL and REST)', async () => {
    const { listing, probe } = await listed(seller.jwt, 'openai/gpt-4o');
    expect(probe.passed).toBe(false);
    expect(probe.reason).toMatch(/^verification failed: known-answer: the answer ".*" is not the model's known answer/);
    expect(listing).toMatchObject({ status: 'PENDING', contract: { state: 'PENDING' } });
    expect(listing.verification).toMatchObject({ status: 'FAILED', canonicalModel: 'openai/gpt-4o' });
    // The tokenizer matches (the simulator counts with o200k, as gpt-4o does): the known answer gives it away.
    expect(listing.verification.checks.filter((c) => c.name === 'tokenizer').every((c) => c.passed)).toBe(true);
    expect(listing.verification.checks.find((c) => c.name === 'known-answer' && !c.passed)).toBeDefined();
    expect(await routable('openai/gpt-4o')).toEqual([]);
    const shown = await rest(stack.url, 'GET', `/v1/market/listings/${listing.id}`, { token: seller.jwt });
    expect(shown.status).toBe(200);
    expect(shown.body.verification).toMatchObject({ status: 'failed', canonicalModel: 'openai/gpt-4o' });
    expect(shown.body.verification.checks).toContainEqual(expect.objectContaining({ name: 'known-answer', passed: false }));
  });

  it('drops a canonical listing from routing when a re-verification fails, though its contract is only DEGRADED', async () => {
    const apiKeyOf = (n: number) => `sk-sim-verify-${n}-0123456789abcdef`;
    const { listing } = await listed(seller.jwt, 'dragonfly/sim-chat');
    expect(await routable('dragonfly/sim-chat')).toContainEqual({ listingId: listing.id, verified: true });
    // The same supply starts ignoring tools after its admission.
    sim.setKeyFaults(apiKeyOf(keyCount), { ignoreTools: true });
    const reverify = await graphql<{ reverifyContract: { passed: boolean; reason: string | null } }, unknown>(
      stack.url,
      `mutation ($id: ID!) { reverifyContract(id: $id) { passed reason } }`,
      { id: listing.contract!.id },
      seller.jwt,
    );
    expect(reverify.data!.reverifyContract).toMatchObject({
      passed: false,
      reason: expect.stringContaining('verification failed: tools: '),
    });
    const after = (await graphql<{ listing: ListingView }, unknown>(stack.url, GET, { id: listing.id }, seller.jwt)).data!.listing;
    expect(after.contract!.state).toBe('DEGRADED');
    expect(after.verification.status).toBe('FAILED');
    expect((await routable('dragonfly/sim-chat')).map((c) => c.listingId)).not.toContain(listing.id);
    // Honest again: re-verified, routable again.
    sim.setKeyFaults(apiKeyOf(keyCount), null);
    await graphql(stack.url, `mutation ($id: ID!) { reverifyContract(id: $id) { passed } }`, { id: listing.contract!.id }, seller.jwt);
    expect(await routable('dragonfly/sim-chat')).toContainEqual({ listingId: listing.id, verified: true });
  });

  it.each([
    [
      'a different tokenizer (cl100k counts)',
      { tokenizer: 'cl100k_base' },
      'tokenizer',
      /prompt_tokens \d+ where o200k_base counts \d+ \(±\d+\): another tokenizer/,
    ],
    ['a model that ignores a forced tool call', { ignoreTools: true }, 'tools', /a forced tool call was answered without one/],
    ['invalid JSON under json_schema', { invalidJson: true }, 'json_schema', /is not JSON/],
    [
      'a context shorter than declared',
      { contextTokens: 8000 },
      'context',
      /a prompt of about \d+ tokens \(declared context 16384\) was refused: the upstream answered HTTP 400/,
    ],
  ] as const)('catches %s: FAILED on that check, not admitted, not routable', async (_name, faults, check, detail) => {
    const { listing, probe } = await listed(seller.jwt, 'dragonfly/sim-chat', faults as Partial<FaultConfig>);
    expect(probe.passed).toBe(false);
    expect(probe.reason).toContain(`verification failed: ${check}: `);
    expect(listing.verification.status).toBe('FAILED');
    const failed = listing.verification.checks.filter((c) => !c.passed);
    expect(failed.map((c) => c.name)).toEqual([
      check === 'tokenizer' ? 'tokenizer' : check,
      ...(check === 'tokenizer' ? ['tokenizer'] : []),
    ]);
    expect(failed[0].detail).toMatch(detail);
    expect(listing.status).toBe('PENDING');
    expect((await routable('dragonfly/sim-chat')).map((c) => c.listingId)).not.toContain(listing.id);
  });

  it("lists a model under the seller's own handle (taken from its first listing): nothing to verify, routable", async () => {
    const { listing, probe } = await listed(seller.jwt, 'acme/house-chat');
    expect(probe.passed).toBe(true);
    expect(listing.verification).toEqual({ status: 'NOT_REQUIRED', checkedAt: expect.any(String), canonicalModel: null, checks: [] });
    expect((await graphql<{ mySeller: { handle: string } }, unknown>(stack.url, MINE, {}, seller.jwt)).data!.mySeller.handle).toBe('acme');
    expect(await routable('acme/house-chat')).toContainEqual({ listingId: listing.id, verified: true });
  });

  it("refuses another seller's handle, a reserved vendor namespace outside the registry, and a wrong capability for a canonical id", async () => {
    await listed(seller.jwt, 'acme/first'); // makes sure `acme` is the first seller's
    const create = (jwt: string, model: string, capability?: string) =>
      graphql(
        stack.url,
        CREATE,
        { input: { model, inputPricePerMTok: '1', outputPricePerMTok: '2', ...(capability ? { capability } : {}) } },
        jwt,
      );
    const theirs = await create(other.jwt, 'acme/copy');
    expect(theirs.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(theirs.errors?.[0].message).toMatch(/The handle acme belongs to another seller/);
    const reserved = await create(other.jwt, 'openai/my-own-gpt');
    expect(reserved.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', details: { field: 'model' } } });
    expect(reserved.errors?.[0].message).toMatch(/openai is a reserved vendor handle/);
    const capability = await create(other.jwt, 'dragonfly/sim-chat', 'EMBEDDINGS');
    expect(capability.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', details: { field: 'capability' } } });
    // The first seller's own namespace is theirs alone: another name under another handle is refused too.
    const elsewhere = await create(seller.jwt, 'zeta/chat');
    expect(elsewhere.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(elsewhere.errors?.[0].message).toMatch(/under your handle: acme\/<name>/);
  });

  it('claims a handle once: reserved and malformed ones are BAD_USER_INPUT, a taken one or a change is CONFLICT, anonymous is UNAUTHENTICATED', async () => {
    const fresh = await signup(stack.url, 'handle-claimer');
    const claim = (jwt: string | undefined, handle: string) =>
      graphql<{ claimSellerHandle: { id: string; handle: string } }, unknown>(stack.url, CLAIM, { handle }, jwt);
    for (const bad of ['openai', 'dragonfly', 'meta-llama', 'A', 'x', '-lead', 'trail-', 'has space', 'a'.repeat(40)]) {
      expect((await claim(fresh.jwt, bad)).errors?.[0], bad).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', details: { field: 'handle' } },
      });
    }
    expect((await claim(fresh.jwt, 'acme')).errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect((await claim(undefined, 'anon-handle')).errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect((await claim(fresh.jwt, 'fresh-co')).data!.claimSellerHandle).toEqual({ id: fresh.accountId, handle: 'fresh-co' });
    expect((await claim(fresh.jwt, 'fresh-co')).data!.claimSellerHandle.handle).toBe('fresh-co');
    expect((await claim(fresh.jwt, 'fresh-two')).errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect((await graphql<{ mySeller: { handle: string | null } }, unknown>(stack.url, MINE, {}, fresh.jwt)).data!.mySeller.handle).toBe(
      'fresh-co',
    );
  });

  it("answers the handle rules on Dragonfly's REST routes in its error envelope", async () => {
    const fresh = await signup(stack.url, 'rest-claimer');
    const post = (body: unknown, token: string | undefined | null = fresh.jwt) =>
      rest(stack.url, 'POST', '/v1/market/seller/handle', { token: token ?? undefined, body });
    const reserved = await post({ handle: 'anthropic' });
    expect(reserved.status).toBe(400);
    expect(reserved.body).toMatchObject({ error: { code: 'BAD_USER_INPUT', details: { field: 'handle' } } });
    expect((await post({ handle: 'acme' })).body).toMatchObject({ error: { code: 'CONFLICT' } });
    expect((await post({ handle: 'acme' })).status).toBe(409);
    expect((await post({})).status).toBe(400);
    expect((await post({ handle: 7 })).status).toBe(400);
    expect((await post({ handle: 'ok-co', extra: 1 })).status).toBe(400);
    expect((await post({ handle: 'ok-co' }, null)).status).toBe(401);
    const claimed = await post({ handle: 'rest-co' });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toEqual({ id: fresh.accountId, handle: 'rest-co' });
    expect((await rest(stack.url, 'GET', '/v1/market/seller', { token: fresh.jwt })).body).toEqual({
      id: fresh.accountId,
      handle: 'rest-co',
    });
    const theirs = await rest(stack.url, 'POST', '/v1/market/listings', {
      token: fresh.jwt,
      body: { model: 'acme/stolen', inputPricePerMTok: 1, outputPricePerMTok: 2 },
    });
    expect(theirs.status).toBe(403);
    expect(theirs.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});

describe('scheduled re-verification', () => {
  let sim: Simulator;
  let stack: TestStack;
  let jwt: string;
  // The market's clock runs ahead of the wall clock by `offset`: the schedule's "due" rules follow it.
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };

  beforeAll(async () => {
    sim = await startSimulator();
    stack = await startEmbeddedStack(
      { SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '100', VERIFICATION_INTERVAL_MS: '600000' },
      { clock },
    );
    jwt = (await signup(stack.url, 'scheduled-seller')).jwt;
  });
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  it('re-verifies an active canonical listing once its verification is older than VERIFICATION_INTERVAL_MS, and drops it from routing when it fails', async () => {
    const apiKey = 'sk-sim-scheduled-0123456789abcdef';
    const key = await graphql<{ createPoolKey: { id: string } }, unknown>(
      stack.url,
      POOL_KEY,
      { input: { provider: 'simulator', apiKey, label: 'scheduled' } },
      jwt,
    );
    const created = await graphql<{ createListing: ListingView }, unknown>(
      stack.url,
      CREATE,
      {
        input: {
          poolKeyId: key.data!.createPoolKey.id,
          model: 'dragonfly/sim-chat',
          upstreamModel: 'sim-chat',
          inputPricePerMTok: '1',
          outputPricePerMTok: '2',
        },
      },
      jwt,
    );
    const id = created.data!.createListing.id;
    const view = async () => (await graphql<{ listing: ListingView }, unknown>(stack.url, GET, { id }, jwt)).data!.listing;
    const admitted = await eventually(async () => {
      const listing = await view();
      expect(listing.verification.status).toBe('PASSED');
      return listing;
    });
    sim.setKeyFaults(apiKey, { ignoreTools: true });
    const scheduledRuns = async () => {
      const runs = await graphql<{ listingProbeRuns: { kind: string; startedAt: string }[] }, unknown>(
        stack.url,
        `query ($id: ID!) { listingProbeRuns(listingId: $id, limit: 50) { kind startedAt } }`,
        { id },
        jwt,
      );
      return runs.data!.listingProbeRuns.filter((run) => run.kind === 'SCHEDULED');
    };

    // A minute later: scheduled probes run, the verification is not due yet, the lie goes unseen.
    offset += 60_000;
    await eventually(async () => expect((await scheduledRuns()).length).toBeGreaterThan(0));
    expect((await view()).verification).toMatchObject({ status: 'PASSED', checkedAt: admitted.verification.checkedAt });

    // Past the interval: the next scheduled probe verifies again and catches it.
    offset += 11 * 60_000;
    const caught = await eventually(async () => {
      const listing = await view();
      expect(listing.verification.status).toBe('FAILED');
      return listing;
    });
    expect(caught.verification.checks.find((c) => !c.passed)).toMatchObject({ name: 'tools' });
    const market = stack.platform!.runtimes.find((r) => r.name === 'market')!;
    const table = (await market.execute(
      { query: TABLE, variables: { model: 'dragonfly/sim-chat' } },
      { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'service', name: 'test' }) },
    )) as { data?: { routingTable: { candidates: { listingId: string }[] } } };
    expect(table.data!.routingTable.candidates.map((c) => c.listingId)).not.toContain(id);
  });
});
