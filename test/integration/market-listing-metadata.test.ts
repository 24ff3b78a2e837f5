// Listing metadata through GraphQL: context length, output cap, supported parameters,
// quantization, region and data policy on create and update (absent stays, null clears), read
// back on the listing and on the public endpoints; each bad value a BAD_USER_INPUT naming its
// field with nothing written; a canonical model's limits and values; another seller can neither
// see nor edit it; and a changed claim (context length, parameters) is verified again, never
// left PASSED on the old evidence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import { credentials, type Credentials } from '../helpers/credentials';
import { eventually } from '../helpers/eventually';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const METADATA =
  'contextLength maxOutputTokens supportedParameters quantization region dataPolicy { retainsPrompts trainsOnPrompts zeroRetention }';
const VERIFICATION = 'verification { status checkedAt canonicalModel checks { name passed detail } }';
const LISTING = `id model ${METADATA} ${VERIFICATION} contract { id state }`;
const CREATE = `mutation ($input: CreateListingInput!) { createListing(input: $input) { ${LISTING} } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { ${LISTING} } }`;
const GET = `query ($id: ID!) { listing(id: $id) { ${LISTING} } }`;
const PROBE = `mutation ($id: ID!) { probeListing(id: $id) { passed reason } }`;
const REVERIFY = `mutation ($id: ID!) { reverifyContract(id: $id) { passed reason } }`;
const POOL_KEY = `mutation ($input: CreatePoolKeyInput!) { createPoolKey(input: $input) { id } }`;
const ENDPOINTS = `query ($id: ID!) { model(id: $id) { id contextLength supportedParameters quantizations endpoints { id ${METADATA} } } }`;
const TABLE = `query ($model: String!) { routingTable(model: $model) { candidates { listingId verified } } }`;

type Metadata = {
  contextLength: number | null;
  maxOutputTokens: number | null;
  supportedParameters: string[];
  quantization: string | null;
  region: string | null;
  dataPolicy: { retainsPrompts: boolean; trainsOnPrompts: boolean; zeroRetention: boolean };
};
type Check = { name: string; passed: boolean; detail: string | null };
type ListingView = Metadata & {
  id: string;
  model: string;
  verification: { status: string; checkedAt: string | null; canonicalModel: string | null; checks: Check[] };
  contract: { id: string; state: string } | null;
};
type Result<T> = Awaited<ReturnType<typeof graphql<T, unknown>>>;

const NONE: Metadata = {
  contextLength: null,
  maxOutputTokens: null,
  supportedParameters: [],
  quantization: null,
  region: null,
  dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: false },
};

describe('listing metadata (GraphQL)', () => {
  let sim: Simulator;
  let stack: TestStack;
  let c: Credentials;
  let keyCount = 0;
  let models = 0;

  beforeAll(async () => {
    sim = await startSimulator();
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    c = await credentials(stack.url);
    await newPoolKey();
  });
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const newModel = () => `owner/meta-${++models}`;
  const call = <T>(query: string, variables: Record<string, unknown>, token = c.jwt) =>
    graphql<T, unknown>(stack.url, query, variables, token);
  const asService = async (query: string, variables: Record<string, unknown>) => {
    const market = stack.platform!.runtimes.find((r) => r.name === 'market')!;
    return market.execute(
      { query, variables },
      { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'service', name: 'test' }) },
    ) as Promise<{ data?: any; errors?: unknown[] }>;
  };
  const publicEndpoints = async (model: string): Promise<string[]> => {
    const page = await graphql<{ model: { endpoints: { id: string }[] } | null }, unknown>(
      stack.url,
      `query ($id: ID!) { model(id: $id) { endpoints { id } } }`,
      { id: model },
    );
    expect(page.errors).toBeUndefined();
    return page.data!.model?.endpoints.map((endpoint) => endpoint.id) ?? [];
  };
  const routable = async (model: string): Promise<{ listingId: string; verified: boolean }[]> =>
    (await asService(TABLE, { model })).data!.routingTable.candidates;

  async function newPoolKey(): Promise<{ id: string; apiKey: string }> {
    const apiKey = `sk-sim-metadata-${++keyCount}-0123456789abcdef`;
    const created = await call<{ createPoolKey: { id: string } }>(POOL_KEY, {
      input: { provider: 'simulator', apiKey, label: `m${keyCount}` },
    });
    expect(created.errors).toBeUndefined();
    return { id: created.data!.createPoolKey.id, apiKey };
  }

  /** A draft (no pool key): never probed, so nothing races the test's own reads. */
  const draft = (input: Record<string, unknown> = {}) =>
    call<{ createListing: ListingView }>(CREATE, {
      input: { model: newModel(), upstreamModel: 'sim-chat', inputPricePerMTok: '1', outputPricePerMTok: '2', ...input },
    });
  const get = async (id: string, token = c.jwt) => (await call<{ listing: ListingView }>(GET, { id }, token)).data!.listing;
  const update = (id: string, input: Record<string, unknown>, token = c.jwt) =>
    call<{ updateListing: ListingView }>(UPDATE, { id, input }, token);
  const metadataOf = ({ contextLength, maxOutputTokens, supportedParameters, quantization, region, dataPolicy }: Metadata): Metadata => ({
    contextLength,
    maxOutputTokens,
    supportedParameters,
    quantization,
    region,
    dataPolicy,
  });

  function expectBadInput(result: Result<unknown>, field: string, message?: RegExp) {
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0].extensions, JSON.stringify(result.errors)).toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
    if (message) expect(result.errors![0].message).toMatch(message);
  }

  /** A listing on its own simulator key, its admission probe run to the end. */
  async function admitted(model: string, input: Record<string, unknown> = {}) {
    const key = await newPoolKey();
    const created = await call<{ createListing: ListingView }>(CREATE, {
      input: { poolKeyId: key.id, model, upstreamModel: 'sim-chat', inputPricePerMTok: '1', outputPricePerMTok: '2', ...input },
    });
    expect(created.errors).toBeUndefined();
    const id = created.data!.createListing.id;
    const probe = await call<{ probeListing: { passed: boolean; reason: string | null } }>(PROBE, { id }); // joins the background admission
    expect(probe.data!.probeListing, JSON.stringify(probe)).toMatchObject({ passed: true });
    return { listing: await get(id), apiKey: key.apiKey };
  }

  it('creates a listing with every metadata field and reads it back; without any, none is declared', async () => {
    const created = await draft({
      contextLength: 32_768,
      maxOutputTokens: 4096,
      supportedParameters: ['seed', 'tools', 'json_schema', 'tools'],
      quantization: 'fp8',
      region: 'eu-west',
      dataPolicy: { zeroRetention: true },
    });
    expect(created.errors).toBeUndefined();
    const expected: Metadata = {
      contextLength: 32_768,
      maxOutputTokens: 4096,
      // Duplicates dropped; in the registry's order of parameters.
      supportedParameters: ['tools', 'json_schema', 'seed'],
      quantization: 'fp8',
      region: 'eu-west',
      dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: true },
    };
    expect(metadataOf(created.data!.createListing)).toEqual(expected);
    expect(metadataOf(await get(created.data!.createListing.id))).toEqual(expected);

    const bare = await draft();
    expect(metadataOf(bare.data!.createListing)).toEqual(NONE);
    // An embeddings listing declares a context length; it has no chat parameters.
    const embed = await draft({ capability: 'EMBEDDINGS', upstreamModel: 'sim-embed', outputPricePerMTok: null, contextLength: 8192 });
    expect(embed.errors).toBeUndefined();
    expect(metadataOf(embed.data!.createListing)).toEqual({ ...NONE, contextLength: 8192 });
  });

  it("fills in a canonical model's context, output cap and parameters, and adds the declared ones", async () => {
    const canonical = await draft({ model: 'dragonfly/sim-chat' });
    expect(canonical.errors).toBeUndefined();
    expect(metadataOf(canonical.data!.createListing)).toEqual({
      ...NONE,
      contextLength: 16_384,
      maxOutputTokens: 4096,
      supportedParameters: ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop'],
    });
    const declared = await draft({
      model: 'dragonfly/sim-chat',
      contextLength: 8000,
      maxOutputTokens: 1000,
      supportedParameters: ['seed'],
    });
    expect(declared.errors).toBeUndefined();
    expect(metadataOf(declared.data!.createListing)).toMatchObject({
      contextLength: 8000,
      maxOutputTokens: 1000,
      supportedParameters: ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop', 'seed'],
    });
    // At the canonical limit is fine; the output cap must fit the context.
    expect((await draft({ model: 'dragonfly/sim-chat', contextLength: 16_384, maxOutputTokens: 4096 })).errors).toBeUndefined();
  });

  it('updates field by field: absent stays, null clears, dataPolicy fields one at a time (null: all false)', async () => {
    const id = (
      await draft({
        contextLength: 8192,
        maxOutputTokens: 1024,
        supportedParameters: ['tools'],
        quantization: 'bf16',
        region: 'us',
        dataPolicy: { retainsPrompts: true },
      })
    ).data!.createListing.id;
    const region = await update(id, { region: 'eu-west' });
    expect(region.errors).toBeUndefined();
    expect(metadataOf(region.data!.updateListing)).toEqual({
      contextLength: 8192,
      maxOutputTokens: 1024,
      supportedParameters: ['tools'],
      quantization: 'bf16',
      region: 'eu-west',
      dataPolicy: { retainsPrompts: true, trainsOnPrompts: false, zeroRetention: false },
    });
    const more = await update(id, { supportedParameters: ['json_object', 'stop', 'json_object'], dataPolicy: { trainsOnPrompts: true } });
    expect(metadataOf(more.data!.updateListing)).toMatchObject({
      supportedParameters: ['json_object', 'stop'],
      dataPolicy: { retainsPrompts: true, trainsOnPrompts: true, zeroRetention: false },
    });
    const cleared = await update(id, {
      contextLength: null,
      maxOutputTokens: null,
      supportedParameters: null,
      quantization: null,
      region: null,
      dataPolicy: null,
    });
    expect(cleared.errors).toBeUndefined();
    expect(metadataOf(cleared.data!.updateListing)).toEqual(NONE);
    expect(metadataOf(await get(id))).toEqual(NONE);
    const zero = await update(id, { dataPolicy: { zeroRetention: true } });
    expect(metadataOf(zero.data!.updateListing).dataPolicy).toEqual({ retainsPrompts: false, trainsOnPrompts: false, zeroRetention: true });
  });

  // [what, the metadata sent, the field named, the message, the listing it is sent for (model, capability, prices)]
  const CANONICAL = { model: 'dragonfly/sim-chat' };
  const EMBEDDINGS = { capability: 'EMBEDDINGS', upstreamModel: 'sim-embed', outputPricePerMTok: null };
  const SPEECH = {
    capability: 'SPEECH',
    upstreamModel: 'sim-tts',
    inputPricePerMTok: null,
    outputPricePerMTok: null,
    pricePerMChars: '15',
  };
  it.each<[string, Record<string, unknown>, string, RegExp | null, Record<string, unknown>?]>([
    ['a zero context length', { contextLength: 0 }, 'contextLength', /1 to 10,000,000/],
    ['a context length above 10,000,000', { contextLength: 10_000_001 }, 'contextLength', null],
    ['a negative output cap', { maxOutputTokens: -1 }, 'maxOutputTokens', null],
    [
      'an output cap above the context length',
      { contextLength: 4096, maxOutputTokens: 4097 },
      'maxOutputTokens',
      /at most the context length \(4096\)/,
    ],
    ['an unknown parameter', { supportedParameters: ['tools', 'telepathy'] }, 'supportedParameters', /"telepathy" is not a parameter/],
    ['an empty parameter', { supportedParameters: [''] }, 'supportedParameters', null],
    ['51 parameter entries', { supportedParameters: Array(51).fill('tools') }, 'supportedParameters', /at most 50/],
    ['an unknown quantization', { quantization: 'fp9' }, 'quantization', /int4, int8, fp4, fp6, fp8, fp16, bf16, fp32, unknown/],
    ['an upper-case quantization', { quantization: 'FP8' }, 'quantization', null],
    ['a one-letter region', { region: 'x' }, 'region', /2 to 32 lowercase/],
    ['an upper-case region', { region: 'EU' }, 'region', null],
    ['a region with an underscore', { region: 'eu_west' }, 'region', null],
    ['a 33-character region', { region: 'a'.repeat(33) }, 'region', null],
    [
      'zero retention while retaining prompts',
      { dataPolicy: { retainsPrompts: true, zeroRetention: true } },
      'dataPolicy.zeroRetention',
      /retainsPrompts/,
    ],
    [
      'zero retention while training on prompts',
      { dataPolicy: { trainsOnPrompts: true, zeroRetention: true } },
      'dataPolicy.zeroRetention',
      /trainsOnPrompts/,
    ],
    [
      "a context length above the canonical model's",
      { contextLength: 16_385 },
      'contextLength',
      /above dragonfly\/sim-chat's 16384/,
      CANONICAL,
    ],
    [
      "an output cap above the canonical model's",
      { maxOutputTokens: 4097 },
      'maxOutputTokens',
      /above dragonfly\/sim-chat's 4096/,
      CANONICAL,
    ],
    [
      'an output cap above the declared context of a canonical model',
      { contextLength: 2000, maxOutputTokens: 2001 },
      'maxOutputTokens',
      null,
      CANONICAL,
    ],
    ['an output cap on embeddings', { maxOutputTokens: 10 }, 'maxOutputTokens', /CHAT listings only/, EMBEDDINGS],
    ['parameters on embeddings', { supportedParameters: ['tools'] }, 'supportedParameters', /CHAT listings only/, EMBEDDINGS],
    ['a context length on speech', { contextLength: 100 }, 'contextLength', /CHAT and EMBEDDINGS/, SPEECH],
  ])(
    'refuses %s on create and update (BAD_USER_INPUT naming the field, nothing written)',
    async (_name, metadata, field, message, base = {}) => {
      const count = async () => (await call<{ myListings: { id: string }[] }>('{ myListings { id } }', {})).data!.myListings.length;
      const before = await count();
      expectBadInput(await draft({ ...base, ...metadata }), field, message ?? undefined);
      expect(await count()).toBe(before);
      // On an update of a listing of that kind, beside a valid change: refused as a whole, the listing unchanged.
      const target = await draft(base);
      expect(target.errors).toBeUndefined();
      const id = target.data!.createListing.id;
      const stored = metadataOf(await get(id));
      expectBadInput(await update(id, { region: 'kept-out', ...metadata }), field, message ?? undefined);
      expect(metadataOf(await get(id))).toEqual(stored);
    },
  );

  it('checks the whole result on update: a zero-retention policy against the stored one, an output cap against the stored context', async () => {
    const id = (await draft({ contextLength: 2048, dataPolicy: { retainsPrompts: true } })).data!.createListing.id;
    expectBadInput(await update(id, { dataPolicy: { zeroRetention: true } }), 'dataPolicy.zeroRetention');
    expectBadInput(await update(id, { maxOutputTokens: 4096 }), 'maxOutputTokens');
    // Both changes together are consistent.
    const fixed = await update(id, {
      maxOutputTokens: 4096,
      contextLength: 8192,
      dataPolicy: { retainsPrompts: false, zeroRetention: true },
    });
    expect(fixed.errors).toBeUndefined();
    expect(metadataOf(fixed.data!.updateListing)).toMatchObject({
      contextLength: 8192,
      maxOutputTokens: 4096,
      dataPolicy: { retainsPrompts: false, zeroRetention: true },
    });
  });

  it("answers NOT_FOUND when another seller reads or edits a listing's metadata, which stays unchanged", async () => {
    const id = (await draft({ region: 'us', quantization: 'fp16' })).data!.createListing.id;
    for (const token of [c.other.jwt, c.other.mkFull]) {
      const read = await call(GET, { id }, token);
      expect(read.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      const edit = await update(id, { region: 'eu', quantization: 'int4', dataPolicy: { trainsOnPrompts: true } }, token);
      expect(edit.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(edit.data ?? null).toBeNull();
    }
    expect(metadataOf(await get(id))).toMatchObject({ region: 'us', quantization: 'fp16', dataPolicy: { trainsOnPrompts: false } });
  });

  it('takes metadata from seller-side credentials only: buyer keys and buyer-scope management keys are FORBIDDEN, anonymous UNAUTHENTICATED', async () => {
    const id = (await draft()).data!.createListing.id;
    expect((await update(id, { region: 'us' }, c.mkSeller)).errors).toBeUndefined();
    for (const token of [c.mkBuyer, c.buyerKey])
      expect((await update(id, { region: 'eu' }, token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await graphql(stack.url, UPDATE, { id, input: { region: 'eu' } });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await get(id)).region).toBe('us');
  });

  it("shows an admitted listing's metadata on the public endpoints of its model, and the model's summary", async () => {
    const model = newModel();
    const { listing } = await admitted(model, {
      contextLength: 4096,
      maxOutputTokens: 512,
      supportedParameters: ['json_object', 'seed'],
      quantization: 'int8',
      region: 'us-east',
      dataPolicy: { zeroRetention: true },
    });
    const page = await graphql<
      {
        model: {
          id: string;
          contextLength: number | null;
          supportedParameters: string[];
          quantizations: string[];
          endpoints: (Metadata & { id: string })[];
        };
      },
      unknown
    >(stack.url, ENDPOINTS, { id: model });
    expect(page.errors).toBeUndefined();
    expect(page.data!.model).toMatchObject({ contextLength: 4096, supportedParameters: ['json_object', 'seed'], quantizations: ['int8'] });
    expect(page.data!.model.endpoints).toEqual([{ id: listing.id, ...metadataOf(listing) }]);
    expect(metadataOf(listing)).toMatchObject({ contextLength: 4096, region: 'us-east', dataPolicy: { zeroRetention: true } });
  });

  describe('a changed claim is verified again', () => {
    // Honest supply of the canonical model beside the listings under test, so its public page exists throughout.
    let witness: string;
    beforeAll(async () => {
      witness = (await admitted('dragonfly/sim-chat')).listing.id;
    });
    /** The public endpoints of dragonfly/sim-chat (the witness always among them). */
    const simChatEndpoints = async () => {
      const ids = await publicEndpoints('dragonfly/sim-chat');
      expect(ids).toContain(witness);
      return ids;
    };

    it('an own-namespace listing that starts declaring tools is verified, with a tools check', async () => {
      const { listing } = await admitted(newModel());
      expect(listing.verification).toMatchObject({ status: 'NOT_REQUIRED', checks: [] });
      const changed = await update(listing.id, { supportedParameters: ['tools'] });
      expect(changed.errors).toBeUndefined();
      const verified = await eventually(async () => {
        const now = await get(listing.id);
        expect(now.verification.status).toBe('PASSED');
        return now;
      });
      expect(verified.verification.checks.map((check) => check.name)).toEqual(['tools']);
      // The REVERIFY ran against the admitted contract, which stays ACTIVE.
      expect(verified.contract!.state).toBe('ACTIVE');
    });

    it('a canonical listing whose new context length its upstream cannot take: FAILED on the context check, out of routing; honest again, routable', async () => {
      const { listing, apiKey } = await admitted('dragonfly/sim-chat');
      expect(listing.verification.status).toBe('PASSED');
      expect(await routable('dragonfly/sim-chat')).toContainEqual({ listingId: listing.id, verified: true });
      // The supply takes 8,000 tokens: the registry's 16,384 was never re-checked; 12,000 is, and fails.
      sim.setKeyFaults(apiKey, { contextTokens: 8000 });
      expect((await update(listing.id, { contextLength: 12_000 })).errors).toBeUndefined();
      const failed = await eventually(async () => {
        const now = await get(listing.id);
        expect(now.verification.status).toBe('FAILED');
        return now;
      });
      expect(failed.verification.checks.find((check) => !check.passed)).toMatchObject({
        name: 'context',
        detail: expect.stringContaining('declared context 12000'),
      });
      expect((await routable('dragonfly/sim-chat')).map((candidate) => candidate.listingId)).not.toContain(listing.id);
      expect(await simChatEndpoints()).not.toContain(listing.id);
      // Declared within what it takes: verified again and routable.
      expect((await update(listing.id, { contextLength: 7000 })).errors).toBeUndefined();
      await eventually(async () => expect((await get(listing.id)).verification.status).toBe('PASSED'));
      const passed = await get(listing.id);
      expect(passed.verification.checks.find((check) => check.name === 'context')?.detail).toContain('declared 7000');
      await eventually(async () => expect(await routable('dragonfly/sim-chat')).toContainEqual({ listingId: listing.id, verified: true }));
      sim.setKeyFaults(apiKey, null);
    });

    it('never keeps PASSED from the old evidence: with the upstream down the new claim stays PENDING and the canonical listing unroutable', async () => {
      const { listing, apiKey } = await admitted('dragonfly/sim-chat');
      expect(listing.verification.status).toBe('PASSED');
      sim.setKeyFaults(apiKey, { status: 500 });
      const changed = await update(listing.id, { supportedParameters: ['seed'] });
      expect(changed.errors).toBeUndefined();
      expect(changed.data!.updateListing.verification).toMatchObject({
        status: 'PENDING',
        checks: [],
        checkedAt: null,
        canonicalModel: 'dragonfly/sim-chat',
      });
      // The re-verification's probe fails before any check (HTTP 500): a failed check on the contract, no new evidence.
      await eventually(async () => expect((await get(listing.id)).contract!.state).toBe('DEGRADED'));
      expect((await get(listing.id)).verification.status).toBe('PENDING');
      expect((await routable('dragonfly/sim-chat')).map((candidate) => candidate.listingId)).not.toContain(listing.id);
      // Nor on the public pages: what is sold under a canonical id is what was verified.
      expect(await simChatEndpoints()).not.toContain(listing.id);
      // Up again: the seller re-verifies, the new claims pass.
      sim.setKeyFaults(apiKey, null);
      const reverified = await call<{ reverifyContract: { passed: boolean } }>(REVERIFY, { id: listing.contract!.id });
      expect(reverified.data!.reverifyContract.passed).toBe(true);
      expect((await get(listing.id)).verification.status).toBe('PASSED');
      expect(await routable('dragonfly/sim-chat')).toContainEqual({ listingId: listing.id, verified: true });
      expect(await simChatEndpoints()).toContain(listing.id);
    });

    it('changing what is not a claim (region, quantization, data policy) keeps the verification as it is', async () => {
      const { listing } = await admitted('dragonfly/sim-chat');
      const before = listing.verification;
      const changed = await update(listing.id, { region: 'eu', quantization: 'fp16', dataPolicy: { retainsPrompts: true } });
      expect(changed.errors).toBeUndefined();
      expect(changed.data!.updateListing.verification).toEqual(before);
      expect((await get(listing.id)).verification).toEqual(before);
    });
  });
});
