// Buyer-side routing: routing profiles (rules, scopes, ownership), the data plane's routing table
// (platform only, ordered by the profile; each candidate with its seller's handle and the listing's
// metadata), supply chosen by seller handle, seller id or listing id, and the public models view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MarketCreateListingDocument,
  MarketCreatePoolKeyDocument,
  MarketCreateRoutingProfileDocument,
  MarketDeleteRoutingProfileDocument,
  MarketModelDocument,
  MarketModelsDocument,
  MarketProbeListingDocument,
  MarketRoutingProfileDocument,
  MarketRoutingProfilesDocument,
  MarketSetListingPausedDocument,
  MarketUpdateListingDocument,
  MarketUpdateRoutingProfileDocument,
  MarketReverifyContractDocument,
  SupplyClaimSellerHandleDocument,
  type CreateRoutingProfileInput,
} from '../../schema/generated/graphql';
import { PrincipalSigner, PRINCIPAL_HEADER, type Principal } from '../../subgraphs/common/principal';
import { SecretSealer } from '../../subgraphs/common/sealing';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import { eventually } from '../helpers/eventually';
import { graphql } from '../helpers/graphql';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const TABLE = `query($model: String!, $profileId: ID) {
  routingTable(model: $model, profileId: $profileId) {
    model capability profileId allowFallbacks fallbackModels timeoutMs maxRetries
    candidates { listingId sellerId provider baseUrl upstreamModel sealedApiKey sealContext inputPriceMicrosPerMTok outputPriceMicrosPerMTok priceMicrosPerMChars caps { rpm maxConcurrency } latencyMs ttftMs tokensPerSecond contractState }
  }
}`;

interface Candidate {
  listingId: string;
  provider: string;
  baseUrl: string;
  sealedApiKey: string;
  sealContext: string;
  inputPriceMicrosPerMTok: number;
  outputPriceMicrosPerMTok: number;
  contractState: string;
  latencyMs: number | null;
}
interface Table {
  model: string;
  capability: string | null;
  profileId: string | null;
  allowFallbacks: boolean;
  fallbackModels: string[];
  timeoutMs: number | null;
  maxRetries: number | null;
  candidates: Candidate[];
}

describe('market routing', () => {
  let sim: Simulator;
  let stack: TestStack;
  let creds: Credentials;

  beforeAll(async () => {
    sim = await startSimulator();
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    creds = await credentials(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  const runAs = async (principal: Principal, query: string, variables: Record<string, unknown>) =>
    stack
      .platform!.runtimes.find((r) => r.name === 'market')!
      .execute({ query, variables }, { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign(principal) });
  const table = async (model: string, profileId?: string) => {
    const result = await runAs({ kind: 'service', name: 'data-plane' }, TABLE, { model, profileId });
    expect(result.errors).toBeUndefined();
    return (result.data as { routingTable: Table }).routingTable;
  };
  const createProfile = (input: CreateRoutingProfileInput, token = creds.jwt) =>
    graphql(stack.url, MarketCreateRoutingProfileDocument, { input }, token);

  describe('routing profiles', () => {
    it('creates with defaults, updates field by field (null resets), lists, reads, deletes', async () => {
      const created = await createProfile({ name: 'defaults' });
      expect(created.errors).toBeUndefined();
      expect(created.data!.createRoutingProfile).toMatchObject({
        name: 'defaults',
        sort: 'PRICE',
        providerOrder: [],
        allowProviders: null,
        denyProviders: [],
        maxInputPricePerMTok: null,
        allowFallbacks: true,
        fallbackModels: [],
        timeoutMs: null,
        maxRetries: null,
      });
      const id = created.data!.createRoutingProfile.id;
      const updated = await graphql(
        stack.url,
        MarketUpdateRoutingProfileDocument,
        {
          id,
          input: {
            sort: 'LATENCY',
            providerOrder: ['OpenAI', 'simulator'],
            maxInputPricePerMTok: '2.5',
            fallbackModels: ['acme/other'],
            timeoutMs: 30000,
            maxRetries: 2,
            allowFallbacks: false,
          },
        },
        creds.jwt,
      );
      expect(updated.data!.updateRoutingProfile).toMatchObject({
        name: 'defaults',
        sort: 'LATENCY',
        providerOrder: ['openai', 'simulator'],
        maxInputPricePerMTok: { micros: 2_500_000 },
        fallbackModels: ['acme/other'],
        timeoutMs: 30000,
        maxRetries: 2,
        allowFallbacks: false,
      });
      const reset = await graphql(
        stack.url,
        MarketUpdateRoutingProfileDocument,
        { id, input: { sort: null, maxInputPricePerMTok: null, timeoutMs: null } },
        creds.jwt,
      );
      expect(reset.data!.updateRoutingProfile).toMatchObject({ sort: 'PRICE', maxInputPricePerMTok: null, timeoutMs: null, maxRetries: 2 });
      expect((await graphql(stack.url, MarketRoutingProfilesDocument, {}, creds.mkBuyer)).data!.routingProfiles.map((p) => p.id)).toContain(
        id,
      );
      expect((await graphql(stack.url, MarketRoutingProfileDocument, { id }, creds.jwt)).data!.routingProfile.id).toBe(id);
      expect((await graphql(stack.url, MarketDeleteRoutingProfileDocument, { id }, creds.jwt)).data!.deleteRoutingProfile.id).toBe(id);
      expect((await graphql(stack.url, MarketRoutingProfileDocument, { id }, creds.jwt)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    });

    it.each<[string, CreateRoutingProfileInput, string]>([
      ['an empty name', { name: ' ' }, 'name'],
      ['an unknown provider in the order', { name: 'p', providerOrder: ['nosuch'] }, 'providerOrder'],
      ['an empty allow list', { name: 'p', allowProviders: [] }, 'allowProviders'],
      ['a provider both allowed and denied', { name: 'p', allowProviders: ['openai'], denyProviders: ['openai'] }, 'denyProviders'],
      ['a bad price ceiling', { name: 'p', maxOutputPricePerMTok: '1.1234567' }, 'maxOutputPricePerMTok'],
      ['a negative price ceiling', { name: 'p', maxInputPricePerMTok: '-1' }, 'maxInputPricePerMTok'],
      ['a timeout under a second', { name: 'p', timeoutMs: 999 }, 'timeoutMs'],
      ['a timeout over ten minutes', { name: 'p', timeoutMs: 600_001 }, 'timeoutMs'],
      ['negative retries', { name: 'p', maxRetries: -1 }, 'maxRetries'],
      ['more than 10 retries', { name: 'p', maxRetries: 11 }, 'maxRetries'],
      ['a fallback that is no model id', { name: 'p', fallbackModels: ['Not A Model'] }, 'fallbackModels'],
      ['more than 10 fallbacks', { name: 'p', fallbackModels: Array.from({ length: 11 }, (_, i) => `acme/m${i}`) }, 'fallbackModels'],
    ])('refuses %s (BAD_USER_INPUT naming the field)', async (_name, input, field) => {
      const result = await createProfile(input);
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
    });

    it('refuses a duplicate name, and keeps profiles to their account and scope', async () => {
      const first = await createProfile({ name: 'unique' });
      expect((await createProfile({ name: 'unique' })).errors?.[0].extensions?.code).toBe('CONFLICT');
      const id = first.data!.createRoutingProfile.id;
      const other = creds.other.jwt;
      for (const result of [
        await graphql(stack.url, MarketRoutingProfileDocument, { id }, other),
        await graphql(stack.url, MarketUpdateRoutingProfileDocument, { id, input: { sort: 'THROUGHPUT' } }, other),
        await graphql(stack.url, MarketDeleteRoutingProfileDocument, { id }, other),
      ]) {
        expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      }
      expect((await graphql(stack.url, MarketRoutingProfilesDocument, {}, other)).data!.routingProfiles).toEqual([]);
      expect((await createProfile({ name: 'by buyer mk' }, creds.mkBuyer)).errors).toBeUndefined();
      expect((await createProfile({ name: 'by full mk' }, creds.mkFull)).errors).toBeUndefined();
      for (const token of [creds.mkSeller, creds.buyerKey]) {
        expect((await createProfile({ name: 'nope' }, token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
        expect((await graphql(stack.url, MarketRoutingProfilesDocument, {}, token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }
      expect((await graphql(stack.url, MarketRoutingProfilesDocument, {})).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('routing table and models', () => {
    // Several sellers' supply of one id: the canonical simulator model, which each must verify.
    const model = 'dragonfly/sim-chat-large';
    const listings: Record<string, string> = {};

    beforeAll(async () => {
      // Three sellers' supply of one model: simulator keys at two prices, and a custom endpoint.
      const supply = [
        { name: 'cheap', provider: 'simulator', input: '0.5', output: '1' },
        { name: 'mid', provider: 'custom', input: '1', output: '1.5' },
        { name: 'pricey', provider: 'simulator', input: '3', output: '3' },
      ];
      for (const s of supply) {
        const { jwt } = await signup(stack.url, s.name);
        const key = await graphql(
          stack.url,
          MarketCreatePoolKeyDocument,
          {
            input: { provider: s.provider, apiKey: `sk-sim-route-${s.name}-0123456789`, baseUrl: s.provider === 'custom' ? sim.url : null },
          },
          jwt,
        );
        const created = await graphql(
          stack.url,
          MarketCreateListingDocument,
          {
            input: {
              poolKeyId: key.data!.createPoolKey.id,
              model,
              upstreamModel: 'sim-chat',
              inputPricePerMTok: s.input,
              outputPricePerMTok: s.output,
              caps: { maxConcurrency: 4 },
              hardware: { gpuModel: 'L4', gpuCount: 1 },
            },
          },
          jwt,
        );
        listings[s.name] = created.data!.createListing.id;
        expect((await graphql(stack.url, MarketProbeListingDocument, { id: listings[s.name] }, jwt)).data!.probeListing.passed).toBe(true);
        (listings as Record<string, string>)[`${s.name}:jwt`] = jwt;
      }
    });

    it('serves the data plane ranked supply, by price then latency without a profile, with sealed keys it can open', async () => {
      const t = await table(model);
      expect(t).toMatchObject({ model, capability: 'CHAT', profileId: null, allowFallbacks: true, fallbackModels: [] });
      expect(t.candidates.map((c) => c.listingId)).toEqual([listings.cheap, listings.mid, listings.pricey]);
      expect(t.candidates[0]).toMatchObject({
        provider: 'simulator',
        baseUrl: sim.url,
        upstreamModel: 'sim-chat',
        inputPriceMicrosPerMTok: 500_000,
        outputPriceMicrosPerMTok: 1_000_000,
        contractState: 'ACTIVE',
        caps: { maxConcurrency: 4 },
      });
      expect(t.candidates[0].latencyMs).toBeGreaterThan(0);
      const sealer = new SecretSealer(stack.config.platformSecret);
      expect(sealer.open(t.candidates[0].sealedApiKey, t.candidates[0].sealContext)).toBe('sk-sim-route-cheap-0123456789');
      expect(await table('acme/nobody-lists-this')).toMatchObject({ capability: null, candidates: [] });
    });

    it('orders and filters by the profile: provider order, deny, allow, price ceilings, sort, fallbacks', async () => {
      const make = async (input: Omit<CreateRoutingProfileInput, 'name'>) =>
        (await createProfile({ name: `p-${Math.random()}`, ...input })).data!.createRoutingProfile.id;
      const order = async (input: Omit<CreateRoutingProfileInput, 'name'>) =>
        (await table(model, await make(input))).candidates.map((c) => c.listingId);
      expect(await order({ providerOrder: ['custom'] })).toEqual([listings.mid, listings.cheap, listings.pricey]);
      expect(await order({ denyProviders: ['custom'] })).toEqual([listings.cheap, listings.pricey]);
      expect(await order({ allowProviders: ['custom'] })).toEqual([listings.mid]);
      expect(await order({ maxInputPricePerMTok: '1' })).toEqual([listings.cheap, listings.mid]);
      expect(await order({ maxOutputPricePerMTok: '1.2' })).toEqual([listings.cheap]);
      expect(new Set(await order({ sort: 'LATENCY' }))).toEqual(new Set([listings.cheap, listings.mid, listings.pricey]));
      expect(new Set(await order({ sort: 'THROUGHPUT' }))).toEqual(new Set([listings.cheap, listings.mid, listings.pricey]));
      const withFallbacks = await table(model, await make({ fallbackModels: ['acme/other'], timeoutMs: 20000, maxRetries: 1 }));
      expect(withFallbacks).toMatchObject({ allowFallbacks: true, fallbackModels: ['acme/other'], timeoutMs: 20000, maxRetries: 1 });
      expect((await table(model, await make({ fallbackModels: ['acme/other'], allowFallbacks: false }))).fallbackModels).toEqual([]);
      // A profile id that names nothing routes by default.
      expect((await table(model, 'no-such-profile')).profileId).toBeNull();
    });

    it('ranks DEGRADED supply last, drops paused and suspended supply, and keeps routing at the live price during a review', async () => {
      const cheapJwt = listings['cheap:jwt'];
      const contractOf = async (jwt: string, id: string) =>
        (await graphql(stack.url, MarketSetListingPausedDocument, { id, paused: false }, jwt)).data!.setListingPaused.contract!.id;
      sim.setKeyFaults('sk-sim-route-cheap-0123456789', { status: 500 });
      const check = await graphql(stack.url, MarketReverifyContractDocument, { id: await contractOf(cheapJwt, listings.cheap) }, cheapJwt);
      expect(check.data!.reverifyContract.stateAfter).toBe('DEGRADED');
      sim.setKeyFaults('sk-sim-route-cheap-0123456789', null);
      let t = await table(model);
      expect(t.candidates.map((c) => [c.listingId, c.contractState])).toEqual([
        [listings.mid, 'ACTIVE'],
        [listings.pricey, 'ACTIVE'],
        [listings.cheap, 'DEGRADED'],
      ]);

      await graphql(stack.url, MarketSetListingPausedDocument, { id: listings.pricey, paused: true }, listings['pricey:jwt']);
      t = await table(model);
      expect(t.candidates.map((c) => c.listingId)).toEqual([listings.mid, listings.cheap]);
      await graphql(stack.url, MarketSetListingPausedDocument, { id: listings.pricey, paused: false }, listings['pricey:jwt']);

      const raised = await graphql(
        stack.url,
        MarketUpdateListingDocument,
        { id: listings.mid, input: { outputPricePerMTok: '9' } },
        listings['mid:jwt'],
      );
      expect(raised.data!.updateListing.pendingPriceReview).not.toBeNull();
      t = await table(model);
      expect(t.candidates.find((c) => c.listingId === listings.mid)!.outputPriceMicrosPerMTok).toBe(1_500_000);
      await graphql(stack.url, MarketReverifyContractDocument, { id: await contractOf(cheapJwt, listings.cheap) }, cheapJwt); // heals
    });

    it('is platform only: FORBIDDEN for a user principal, absent from the public API', async () => {
      const asUser = await runAs({ kind: 'user', accountId: creds.accountId }, TABLE, { model });
      expect(asUser.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const anonymous = await runAs({ kind: 'anonymous' }, TABLE, { model });
      expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const viaGateway = await graphql(stack.url, TABLE, { model }, creds.jwt);
      expect(viaGateway.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('shows public models with ACTIVE supply: counts, capacity, price ranges, latency', async () => {
      const all = await graphql(stack.url, MarketModelsDocument, {});
      expect(all.errors).toBeUndefined();
      const routed = all.data!.models.find((m) => m.id === model)!;
      expect(routed).toMatchObject({
        name: 'Dragonfly Simulated Chat Large',
        capability: 'CHAT',
        pipeline: 'llm',
        realtime: true,
        activeListings: 3,
        warmSupply: 3,
        totalCapacity: 12,
        gpuCount: 3,
        inputPrice: { min: { micros: 500_000 }, max: { micros: 3_000_000 }, avg: { micros: 1_500_000 } },
        outputPrice: { min: { micros: 1_000_000 }, max: { micros: 3_000_000 } },
        pricePerMChars: null,
      });
      expect(routed.badges).toEqual(expect.arrayContaining(['streaming', 'multi-seller']));
      expect(routed.latencyP50Ms).toBeGreaterThan(0);
      expect(routed.tokensPerSecond).toBeGreaterThan(0);
      expect(routed.costPerMinute!.min.micros).toBeGreaterThan(0);
      expect((await graphql(stack.url, MarketModelDocument, { id: model }, creds.mkSeller)).data!.model!.id).toBe(model);
      expect((await graphql(stack.url, MarketModelDocument, { id: 'acme/nothing' }, creds.jwt)).data!.model).toBeNull();
    });
  });
  describe('supply by seller and listing', () => {
    // One model, three sellers with handles; each candidate carries its seller's handle and the listing's metadata.
    const model = 'dragonfly/sim-chat';
    const SUPPLY_TABLE = `query($model: String!, $profileId: ID) {
      routingTable(model: $model, profileId: $profileId) {
        candidates { listingId sellerId sellerHandle contractState contextLength maxOutputTokens supportedParameters quantization region dataPolicy { retainsPrompts trainsOnPrompts zeroRetention } }
      }
    }`;
    type SupplyCandidate = {
      listingId: string;
      sellerId: string;
      sellerHandle: string | null;
      contractState: string;
      contextLength: number | null;
      maxOutputTokens: number | null;
      supportedParameters: string[];
      quantization: string | null;
      region: string | null;
      dataPolicy: Record<string, boolean>;
    };
    const sellers: Record<
      'north' | 'south' | 'east',
      { jwt: string; accountId: string; listingId: string; contractId: string; apiKey: string }
    > = {} as never;
    const supplyTable = async (profileId?: string): Promise<SupplyCandidate[]> => {
      const result = await runAs({ kind: 'service', name: 'data-plane' }, SUPPLY_TABLE, { model, profileId });
      expect(result.errors).toBeUndefined();
      return (result.data as { routingTable: { candidates: SupplyCandidate[] } }).routingTable.candidates;
    };
    const market = () => stack.platform!.runtimes.find((r) => r.name === 'market')!;
    const statementsOf = async (work: () => Promise<unknown>) => {
      const before = market().db.statementCount();
      await work();
      return market().db.statementCount() - before;
    };
    const profile = async (input: Omit<CreateRoutingProfileInput, 'name'>) => {
      const created = await createProfile({ name: `supply-${Math.random()}`, ...input });
      expect(created.errors).toBeUndefined();
      return created.data!.createRoutingProfile.id;
    };
    const order = async (input: Omit<CreateRoutingProfileInput, 'name'>) =>
      (await supplyTable(await profile(input))).map((c) => c.listingId);

    async function seller(name: 'north' | 'south' | 'east', price: string, metadata: Record<string, unknown>) {
      const { jwt, accountId } = await signup(stack.url, `supply-${name}`);
      expect((await graphql(stack.url, SupplyClaimSellerHandleDocument, { handle: `${name}-gpu` }, jwt)).errors).toBeUndefined();
      const apiKey = `sk-sim-supply-${name}-0123456789`;
      const key = await graphql(stack.url, MarketCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey } }, jwt);
      const created = await graphql(
        stack.url,
        MarketCreateListingDocument,
        {
          input: {
            poolKeyId: key.data!.createPoolKey.id,
            model,
            upstreamModel: 'sim-chat',
            inputPricePerMTok: price,
            outputPricePerMTok: price,
            ...metadata,
          },
        },
        jwt,
      );
      expect(created.errors).toBeUndefined();
      const listingId = created.data!.createListing.id;
      expect((await graphql(stack.url, MarketProbeListingDocument, { id: listingId }, jwt)).data!.probeListing.passed).toBe(true);
      sellers[name] = { jwt, accountId, listingId, contractId: created.data!.createListing.contract!.id, apiKey };
    }

    it("carries each seller's handle and the listing's effective metadata, loading every seller in one statement", async () => {
      await seller('north', '1', {
        region: 'eu-west',
        quantization: 'fp8',
        dataPolicy: { zeroRetention: true },
        contextLength: 8000,
        maxOutputTokens: 2000,
      });
      const withOne = await statementsOf(() => supplyTable());
      await seller('south', '2', { region: 'us' });
      await seller('east', '3', {});
      const withThree = await statementsOf(() => supplyTable());
      expect(withThree).toBe(withOne);

      const candidates = await supplyTable();
      expect(candidates.map((c) => [c.listingId, c.sellerHandle, c.sellerId])).toEqual([
        [sellers.north.listingId, 'north-gpu', sellers.north.accountId],
        [sellers.south.listingId, 'south-gpu', sellers.south.accountId],
        [sellers.east.listingId, 'east-gpu', sellers.east.accountId],
      ]);
      const canonicalParameters = ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop'];
      expect(candidates[0]).toMatchObject({
        contextLength: 8000,
        maxOutputTokens: 2000,
        supportedParameters: canonicalParameters,
        quantization: 'fp8',
        region: 'eu-west',
        dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: true },
      });
      // Nothing declared: the canonical model's values, no quantization or region, a data policy of all false.
      expect(candidates[2]).toMatchObject({
        contextLength: 16_384,
        maxOutputTokens: 4096,
        supportedParameters: canonicalParameters,
        quantization: null,
        region: null,
        dataPolicy: { retainsPrompts: false, trainsOnPrompts: false, zeroRetention: false },
      });
      // A seller without a handle (the sellers of the section above list canonical ids only): null.
      const unnamed = await runAs({ kind: 'service', name: 'data-plane' }, SUPPLY_TABLE, { model: 'dragonfly/sim-chat-large' });
      expect(
        (unnamed.data as { routingTable: { candidates: SupplyCandidate[] } }).routingTable.candidates.map((c) => c.sellerHandle),
      ).toEqual([null, null, null]);
    });

    it('allowSupply keeps, denySupply drops and supplyOrder puts first the candidates an entry names: a seller handle, a seller id or a listing id', async () => {
      const { north, south, east } = sellers;
      expect(await order({ allowSupply: ['north-gpu'] })).toEqual([north.listingId]);
      expect(await order({ allowSupply: [east.listingId, south.accountId] })).toEqual([south.listingId, east.listingId]);
      expect(await order({ allowSupply: ['nobody-here'] })).toEqual([]);
      expect(await order({ denySupply: ['north-gpu'] })).toEqual([south.listingId, east.listingId]);
      expect(await order({ denySupply: [south.listingId, east.accountId] })).toEqual([north.listingId]);
      // The entries' order, then the sort (price) for the rest.
      expect(await order({ supplyOrder: ['east-gpu', south.listingId] })).toEqual([east.listingId, south.listingId, north.listingId]);
      expect(await order({ supplyOrder: [south.accountId] })).toEqual([south.listingId, north.listingId, east.listingId]);
      // Filters and order together; supplyOrder before providerOrder (all three are simulator keys here).
      expect(await order({ allowSupply: ['north-gpu', 'east-gpu'], supplyOrder: ['east-gpu'], providerOrder: ['simulator'] })).toEqual([
        east.listingId,
        north.listingId,
      ]);
    });

    it('keeps healthy supply before degraded supply whatever supplyOrder says', async () => {
      const { north, south, east } = sellers;
      const first = await profile({ supplyOrder: ['east-gpu'] });
      sim.setKeyFaults(east.apiKey, { status: 500 });
      const check = await graphql(stack.url, MarketReverifyContractDocument, { id: east.contractId }, east.jwt);
      expect(check.data!.reverifyContract.stateAfter).toBe('DEGRADED');
      sim.setKeyFaults(east.apiKey, null);
      expect((await supplyTable(first)).map((c) => [c.listingId, c.contractState])).toEqual([
        [north.listingId, 'ACTIVE'],
        [south.listingId, 'ACTIVE'],
        [east.listingId, 'DEGRADED'],
      ]);
      await graphql(stack.url, MarketReverifyContractDocument, { id: east.contractId }, east.jwt); // heals
      expect((await supplyTable(first)).map((c) => c.listingId)).toEqual([east.listingId, north.listingId, south.listingId]);
    });

    it('takes the supply lists on a profile (duplicates dropped, null resets) and refuses bad ones naming the field', async () => {
      const created = await createProfile({
        name: 'supply lists',
        allowSupply: ['north-gpu', 'east-gpu', 'north-gpu'],
        denySupply: ['south-gpu'],
        supplyOrder: ['east-gpu'],
      });
      expect(created.errors).toBeUndefined();
      expect(created.data!.createRoutingProfile).toMatchObject({
        allowSupply: ['north-gpu', 'east-gpu'],
        denySupply: ['south-gpu'],
        supplyOrder: ['east-gpu'],
      });
      const id = created.data!.createRoutingProfile.id;
      const reset = await graphql(
        stack.url,
        MarketUpdateRoutingProfileDocument,
        { id, input: { allowSupply: null, denySupply: null } },
        creds.jwt,
      );
      expect(reset.data!.updateRoutingProfile).toMatchObject({ allowSupply: null, denySupply: [], supplyOrder: ['east-gpu'] });
      const defaults = await createProfile({ name: 'no supply lists' });
      expect(defaults.data!.createRoutingProfile).toMatchObject({ allowSupply: null, denySupply: [], supplyOrder: [] });
      const refused: [Omit<CreateRoutingProfileInput, 'name'>, string][] = [
        [{ allowSupply: [] }, 'allowSupply'],
        [{ allowSupply: Array.from({ length: 51 }, (_, i) => `s-${i}`) }, 'allowSupply'],
        [{ denySupply: ['x'.repeat(65)] }, 'denySupply'],
        [{ supplyOrder: [''] }, 'supplyOrder'],
        [{ supplyOrder: Array.from({ length: 51 }, (_, i) => `s-${i}`) }, 'supplyOrder'],
        [{ allowSupply: ['north-gpu'], denySupply: ['north-gpu'] }, 'denySupply'],
      ];
      for (const [input, field] of refused) {
        const result = await createProfile({ name: `bad-${Math.random()}`, ...input });
        expect(result.errors?.[0].extensions, JSON.stringify(input).slice(0, 80)).toMatchObject({
          code: 'BAD_USER_INPUT',
          details: { field },
        });
        const update = await graphql(stack.url, MarketUpdateRoutingProfileDocument, { id, input }, creds.jwt);
        expect(update.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
      }
      // Refused updates changed nothing; another account cannot touch them; seller-scope keys are FORBIDDEN.
      expect((await graphql(stack.url, MarketRoutingProfileDocument, { id }, creds.jwt)).data!.routingProfile).toMatchObject({
        allowSupply: null,
        denySupply: [],
        supplyOrder: ['east-gpu'],
      });
      expect(
        (await graphql(stack.url, MarketUpdateRoutingProfileDocument, { id, input: { allowSupply: ['east-gpu'] } }, creds.other.jwt))
          .errors?.[0].extensions?.code,
      ).toBe('NOT_FOUND');
      expect(
        (await graphql(stack.url, MarketUpdateRoutingProfileDocument, { id, input: { allowSupply: ['east-gpu'] } }, creds.mkSeller))
          .errors?.[0].extensions?.code,
      ).toBe('FORBIDDEN');
    });

    it('routes a canonical listing with its new parameters once they are verified', async () => {
      const { south } = sellers;
      const changed = await graphql(
        stack.url,
        MarketUpdateListingDocument,
        { id: south.listingId, input: { supportedParameters: ['seed'] } },
        south.jwt,
      );
      expect(changed.errors).toBeUndefined();
      const back = await eventually(async () => {
        const found = (await supplyTable()).find((c) => c.listingId === south.listingId);
        expect(found).toBeDefined();
        return found!;
      });
      expect(back.supportedParameters).toEqual(['tools', 'tool_choice', 'json_schema', 'json_object', 'stop', 'seed']);
    });
  });
});
