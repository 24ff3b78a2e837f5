// Listings through GraphQL: creation rules and bad inputs, the price-review flow, pause and
// delete, events on every routing change, who may touch what (another seller's ids are NOT_FOUND,
// scopes are FORBIDDEN), and list fields that cost a fixed number of statements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MarketConfirmListingPriceDocument,
  MarketContractChecksDocument,
  MarketCreateListingDocument,
  MarketCreatePoolKeyDocument,
  MarketDeleteListingDocument,
  MarketDeletePoolKeyDocument,
  MarketListingContractsDocument,
  MarketListingDocument,
  MarketListingProbeRunsDocument,
  MarketListingsDocument,
  MarketPriceReviewsDocument,
  MarketProbeListingDocument,
  MarketReverifyContractDocument,
  MarketSetListingPausedDocument,
  MarketUnsuspendContractDocument,
  MarketUpdateListingDocument,
  type CreateListingInput,
} from '../../schema/generated/graphql';
import type { ListingChangedEvent } from '../../subgraphs/common/events';
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import { startSimulator, type Simulator } from '../../gateway/simulator/server';
import { graphql } from '../helpers/graphql';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

let counter = 0;
const newKey = () => `sk-sim-listings-${String(++counter).padStart(4, '0')}-abcdefghijkl`;

describe('market listings', () => {
  let sim: Simulator;
  let stack: TestStack;
  let creds: Credentials;
  let poolKeyId: string;
  const events: ListingChangedEvent[] = [];

  beforeAll(async () => {
    sim = await startSimulator(); // any non-empty key is accepted
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    stack.bus.subscribe('listing.changed', (event) => events.push(event));
    creds = await credentials(stack.url);
    poolKeyId = await poolKey(creds.jwt);
  });
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  async function poolKey(token: string): Promise<string> {
    const created = await graphql(stack.url, MarketCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey: newKey() } }, token);
    expect(created.errors).toBeUndefined();
    return created.data!.createPoolKey.id;
  }

  async function create(input: Partial<CreateListingInput>, token = creds.jwt) {
    return graphql(
      stack.url,
      MarketCreateListingDocument,
      {
        input: {
          poolKeyId,
          model: `acme/m-${++counter}`,
          upstreamModel: 'sim-chat',
          inputPricePerMTok: '1',
          outputPricePerMTok: '2',
          ...input,
        },
      },
      token,
    );
  }

  async function active(input: Partial<CreateListingInput> = {}) {
    const created = await create(input);
    expect(created.errors).toBeUndefined();
    const id = created.data!.createListing.id;
    const probe = await graphql(stack.url, MarketProbeListingDocument, { id }, creds.jwt); // joins the background admission
    expect(probe.data!.probeListing.passed).toBe(true);
    return id;
  }

  const settle = () => new Promise((r) => setTimeout(r, 30));

  it('creates a listing with every setting, PENDING with a PENDING contract, and announces it', async () => {
    const created = await create({
      model: 'acme/full-settings',
      inputPricePerMTok: '0.15',
      outputPricePerMTok: '0.6',
      priceFloor: '0.5',
      caps: { rpm: 600, tpm: 100000, maxConcurrency: 8, dailyTokens: 5_000_000 },
      hardware: { gpuModel: 'H100 80GB', gpuCount: 4 },
    });
    expect(created.errors).toBeUndefined();
    const listing = created.data!.createListing;
    expect(listing).toMatchObject({
      model: 'acme/full-settings',
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      status: 'PENDING',
      paused: false,
      inputPricePerMTok: { micros: 150_000, usd: '0.150000' },
      outputPricePerMTok: { micros: 600_000 },
      pricePerMChars: null,
      priceFloor: { micros: 500_000 },
      caps: { rpm: 600, tpm: 100000, maxConcurrency: 8, dailyTokens: 5_000_000 },
      hardware: { gpuModel: 'H100 80GB', gpuCount: 4 },
      poolKey: { id: poolKeyId, provider: 'simulator' },
      contract: { state: 'PENDING', consecutiveFailures: 0 },
      pendingPriceReview: null,
    });
    await settle();
    expect(events).toContainEqual({ listingId: listing.id, sellerId: creds.accountId, model: 'acme/full-settings', change: 'created' });
  });

  it.each<[string, Partial<CreateListingInput>, string]>([
    ['a model id without a vendor', { model: 'no-vendor' }, 'model'],
    ['an upper-case model id', { model: 'Acme/Model' }, 'model'],
    ['an upstream model with spaces', { upstreamModel: 'sim chat' }, 'upstreamModel'],
    ['a price with 7 decimals', { inputPricePerMTok: '0.0000001' }, 'inputPricePerMTok'],
    ['a negative price', { outputPricePerMTok: '-1' }, 'outputPricePerMTok'],
    ['a price above 10000', { outputPricePerMTok: '10000.01' }, 'outputPricePerMTok'],
    ['text as a price', { inputPricePerMTok: 'cheap' }, 'inputPricePerMTok'],
    ['a chat listing without an output price', { outputPricePerMTok: null }, 'outputPricePerMTok'],
    ['a chat listing with a per-character price', { pricePerMChars: '10' }, 'pricePerMChars'],
    ['a speech listing without a per-character price', { capability: 'SPEECH', upstreamModel: 'sim-tts' }, 'pricePerMChars'],
    ['a price floor above the price', { priceFloor: '3.01' }, 'priceFloor'],
    ['a zero rpm cap', { caps: { rpm: 0 } }, 'caps.rpm'],
    ['a huge concurrency cap', { caps: { maxConcurrency: 1_000_000 } }, 'caps.maxConcurrency'],
    ['zero GPUs', { hardware: { gpuCount: 0 } }, 'hardware.gpuCount'],
    ['an empty GPU model', { hardware: { gpuModel: ' ' } }, 'hardware.gpuModel'],
  ])('refuses %s (BAD_USER_INPUT naming the field)', async (_name, input, field) => {
    const result = await create(input);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
  });

  it('refuses a second capability for one model id, the same listing twice, and unknown pool keys', async () => {
    await create({ model: 'acme/one-thing' });
    const other = await create({ model: 'acme/one-thing', capability: 'EMBEDDINGS', upstreamModel: 'sim-embed' });
    expect(other.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'capability' } });
    const twice = await create({ model: 'acme/one-thing' });
    expect(twice.errors?.[0].extensions?.code).toBe('CONFLICT');
    const unknown = await create({ poolKeyId: '00000000-0000-0000-0000-000000000000' });
    expect(unknown.errors?.[0]).toMatchObject({ message: 'Pool key not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('keeps drafts (no pool key) PENDING: nothing to probe until the listing gets a key', async () => {
    const draft = await create({ poolKeyId: null, model: 'acme/draft' });
    expect(draft.data!.createListing).toMatchObject({ status: 'PENDING', poolKey: null, contract: { state: 'PENDING' } });
    const id = draft.data!.createListing.id;
    const probe = await graphql(stack.url, MarketProbeListingDocument, { id }, creds.jwt);
    expect(probe.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'poolKeyId' } });
    const keyed = await graphql(stack.url, MarketUpdateListingDocument, { id, input: { poolKeyId } }, creds.jwt);
    expect(keyed.data!.updateListing.poolKey?.id).toBe(poolKeyId);
    const admitted = await graphql(stack.url, MarketProbeListingDocument, { id }, creds.jwt);
    expect(admitted.data!.probeListing.passed).toBe(true);
    expect((await graphql(stack.url, MarketListingDocument, { id }, creds.jwt)).data!.listing.status).toBe('ACTIVE');
    const detach = await graphql(stack.url, MarketUpdateListingDocument, { id, input: { poolKeyId: null } }, creds.jwt);
    expect(detach.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'poolKeyId' } });
  });

  it('applies decreases and small increases at once, holds a large increase for review, and confirms it', async () => {
    const id = await active({ inputPricePerMTok: '1', outputPricePerMTok: '2' });
    const update = (input: Record<string, unknown>) => graphql(stack.url, MarketUpdateListingDocument, { id, input }, creds.jwt);

    const small = await update({ outputPricePerMTok: '2.4' }); // +20%: at the threshold, not above it
    expect(small.data!.updateListing).toMatchObject({ outputPricePerMTok: { micros: 2_400_000 }, pendingPriceReview: null });
    const down = await update({ inputPricePerMTok: '0.5' });
    expect(down.data!.updateListing).toMatchObject({ inputPricePerMTok: { micros: 500_000 }, pendingPriceReview: null });

    const up = await update({ inputPricePerMTok: '0.45', outputPricePerMTok: '3.6' }); // a decrease and +50% in one update
    expect(up.errors).toBeUndefined();
    const held = up.data!.updateListing;
    expect(held).toMatchObject({ status: 'ACTIVE', inputPricePerMTok: { micros: 450_000 }, outputPricePerMTok: { micros: 2_400_000 } }); // still routed at the live price
    expect(held.pendingPriceReview).toMatchObject({
      status: 'PENDING',
      increasePercent: 50,
      current: { inputPricePerMTok: { micros: 450_000 }, outputPricePerMTok: { micros: 2_400_000 } },
      proposed: { inputPricePerMTok: null, outputPricePerMTok: { micros: 3_600_000 }, pricePerMChars: null },
    });
    const queue = await graphql(stack.url, MarketPriceReviewsDocument, {}, creds.jwt);
    expect(queue.data!.priceReviews).toEqual([
      expect.objectContaining({ id: held.pendingPriceReview!.id, listing: { id, model: expect.any(String) } }),
    ]);

    // A new change of the same price replaces the review.
    const again = await update({ outputPricePerMTok: '4.8' });
    expect(again.data!.updateListing.pendingPriceReview).toMatchObject({
      increasePercent: 100,
      proposed: { outputPricePerMTok: { micros: 4_800_000 } },
    });
    const history = await graphql(stack.url, MarketPriceReviewsDocument, { includeResolved: true }, creds.jwt);
    expect(history.data!.priceReviews.map((r) => r.status)).toEqual(['PENDING', 'SUPERSEDED']);

    const confirmed = await graphql(stack.url, MarketConfirmListingPriceDocument, { id }, creds.jwt);
    expect(confirmed.data!.confirmListingPrice).toMatchObject({ outputPricePerMTok: { micros: 4_800_000 }, pendingPriceReview: null });
    expect((await graphql(stack.url, MarketPriceReviewsDocument, {}, creds.jwt)).data!.priceReviews).toEqual([]);
    const nothing = await graphql(stack.url, MarketConfirmListingPriceDocument, { id }, creds.jwt);
    expect(nothing.errors?.[0].extensions?.code).toBe('CONFLICT');
    await settle();
    expect(events.filter((e) => e.listingId === id).map((e) => e.change)).toEqual([
      'created',
      'updated',
      'updated',
      'updated',
      'updated',
      'price-confirmed',
    ]);

    // Lowering back down undoes a pending increase: nothing left to review.
    await update({ inputPricePerMTok: '1' }); // +122%: held
    const undone = await update({ inputPricePerMTok: '0.45' });
    expect(undone.data!.updateListing.pendingPriceReview).toBeNull();
  });

  it('keeps prices at or above the price floor', async () => {
    const id = await active({ inputPricePerMTok: '1', outputPricePerMTok: '2', priceFloor: '2.5' });
    const update = (input: Record<string, unknown>) => graphql(stack.url, MarketUpdateListingDocument, { id, input }, creds.jwt);
    const below = await update({ caps: { rpm: 7 }, hardware: { gpuCount: 3 }, outputPricePerMTok: '1' });
    expect(below.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'outputPricePerMTok' } });
    // A refused update leaves nothing of itself behind.
    const unchanged = (await graphql(stack.url, MarketListingDocument, { id }, creds.jwt)).data!.listing;
    expect(unchanged).toMatchObject({ caps: { rpm: null }, hardware: null, outputPricePerMTok: { micros: 2_000_000 } });
    const floorUp = await update({ priceFloor: '3.5' });
    expect(floorUp.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'priceFloor' } });
    const cleared = await update({ priceFloor: null, outputPricePerMTok: '1' });
    expect(cleared.data!.updateListing).toMatchObject({ priceFloor: null, outputPricePerMTok: { micros: 1_000_000 } });
    const cleared2 = await update({ inputPricePerMTok: null });
    expect(cleared2.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'inputPricePerMTok' } });
  });

  it('updates caps and hardware field by field (null clears), pauses and resumes', async () => {
    const id = await active({ caps: { rpm: 10, tpm: 1000 }, hardware: { gpuModel: 'A100', gpuCount: 2 } });
    const update = (input: Record<string, unknown>) => graphql(stack.url, MarketUpdateListingDocument, { id, input }, creds.jwt);
    expect((await update({ caps: { rpm: null, maxConcurrency: 3 } })).data!.updateListing.caps).toEqual({
      rpm: null,
      tpm: 1000,
      maxConcurrency: 3,
      dailyTokens: null,
    });
    expect((await update({ caps: null })).data!.updateListing.caps).toEqual({
      rpm: null,
      tpm: null,
      maxConcurrency: null,
      dailyTokens: null,
    });
    expect((await update({ hardware: { gpuCount: 8 } })).data!.updateListing.hardware).toEqual({ gpuModel: 'A100', gpuCount: 8 });
    expect((await update({ hardware: null })).data!.updateListing.hardware).toBeNull();

    const paused = await graphql(stack.url, MarketSetListingPausedDocument, { id, paused: true }, creds.jwt);
    expect(paused.data!.setListingPaused).toMatchObject({ paused: true, status: 'PAUSED', contract: { state: 'ACTIVE' } });
    const resumed = await graphql(stack.url, MarketSetListingPausedDocument, { id, paused: false }, creds.jwt);
    expect(resumed.data!.setListingPaused).toMatchObject({ paused: false, status: 'ACTIVE' });
  });

  it('deletes softly: gone from the lists, NOT_FOUND afterwards, and its pool key deletable only then', async () => {
    const ownKey = await poolKey(creds.jwt);
    const created = await create({ poolKeyId: ownKey, model: 'acme/to-delete' });
    const id = created.data!.createListing.id;
    const inUse = await graphql(stack.url, MarketDeletePoolKeyDocument, { id: ownKey }, creds.jwt);
    expect(inUse.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/used by 1 listing/) });

    const deleted = await graphql(stack.url, MarketDeleteListingDocument, { id }, creds.jwt);
    expect(deleted.data!.deleteListing).toMatchObject({ id, status: 'DELETED' });
    expect(deleted.data!.deleteListing.deletedAt).not.toBeNull();
    expect((await graphql(stack.url, MarketListingsDocument, {}, creds.jwt)).data!.myListings.some((l) => l.id === id)).toBe(false);
    expect((await graphql(stack.url, MarketListingDocument, { id }, creds.jwt)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await graphql(stack.url, MarketDeleteListingDocument, { id }, creds.jwt)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const freed = await graphql(stack.url, MarketDeletePoolKeyDocument, { id: ownKey }, creds.jwt);
    expect(freed.data!.deletePoolKey).toMatchObject({ id: ownKey, status: 'DELETED' });
    await settle();
    expect(events).toContainEqual({ listingId: id, sellerId: creds.accountId, model: 'acme/to-delete', change: 'deleted' });
  });

  it("answers NOT_FOUND for another seller's listing, contract and pool key ids", async () => {
    const id = await active();
    const contractId = (await graphql(stack.url, MarketListingDocument, { id }, creds.jwt)).data!.listing.contract!.id;
    const other = creds.other.jwt;
    const attempts = [
      graphql(stack.url, MarketListingDocument, { id }, other),
      graphql(stack.url, MarketUpdateListingDocument, { id, input: { inputPricePerMTok: '0.1' } }, other),
      graphql(stack.url, MarketConfirmListingPriceDocument, { id }, other),
      graphql(stack.url, MarketSetListingPausedDocument, { id, paused: true }, other),
      graphql(stack.url, MarketDeleteListingDocument, { id }, other),
      graphql(stack.url, MarketProbeListingDocument, { id }, other),
      graphql(stack.url, MarketListingProbeRunsDocument, { listingId: id }, other),
      graphql(stack.url, MarketListingContractsDocument, { listingId: id }, other),
      graphql(stack.url, MarketContractChecksDocument, { contractId }, other),
      graphql(stack.url, MarketReverifyContractDocument, { id: contractId }, other),
      graphql(stack.url, MarketUnsuspendContractDocument, { id: contractId }, other),
      graphql(stack.url, MarketDeletePoolKeyDocument, { id: poolKeyId }, other),
      create({ poolKeyId, model: 'other-seller/m' }, other),
    ];
    for (const result of await Promise.all(attempts)) {
      expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(result.data ?? null).toBeNull();
    }
    // Its public face through federation (another account's dashboard) shows no private side.
    const market = stack.platform!.runtimes.find((r) => r.name === 'market')!;
    const entity = await market.execute(
      {
        query:
          'query($r: [_Any!]!) { _entities(representations: $r) { ... on Listing { id model upstreamModel poolKey { id } contract { id } priceFloor { micros } } } }',
        variables: { r: [{ __typename: 'Listing', id }] },
      },
      { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'user', accountId: creds.other.accountId }) },
    );
    expect(entity.data).toEqual({
      _entities: [{ id, model: expect.any(String), upstreamModel: null, poolKey: null, contract: null, priceFloor: null }],
    });
  });

  it('lets seller and full management keys manage supply; buyer-scope keys and buyer keys are FORBIDDEN; anonymous is UNAUTHENTICATED', async () => {
    const sellerKey = await graphql(
      stack.url,
      MarketCreatePoolKeyDocument,
      { input: { provider: 'simulator', apiKey: newKey() } },
      creds.mkSeller,
    );
    expect(sellerKey.errors).toBeUndefined();
    const byFull = await create({ model: 'acme/by-mk-full' }, creds.mkFull);
    expect(byFull.errors).toBeUndefined();
    expect((await graphql(stack.url, MarketListingsDocument, {}, creds.mkSeller)).data!.myListings.length).toBeGreaterThan(0);
    for (const token of [creds.mkBuyer, creds.buyerKey]) {
      for (const result of [
        await create({}, token),
        await graphql(stack.url, MarketListingsDocument, {}, token),
        await graphql(stack.url, MarketPriceReviewsDocument, {}, token),
        await graphql(stack.url, MarketCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey: newKey() } }, token),
      ]) {
        expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }
    }
    expect((await create({})).errors).toBeUndefined();
    const anonymous = await graphql(stack.url, MarketListingsDocument, {});
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('costs the same SQL statements for a seller with 1 listing and with 12 (pool keys, contracts, reviews batched)', async () => {
    const market = stack.platform!.runtimes.find((r) => r.name === 'market')!;
    async function sellerWith(n: number): Promise<string> {
      const { jwt } = await signup(stack.url, `batch${n}`);
      const key = await poolKey(jwt);
      for (let i = 0; i < n; i++) {
        const created = await graphql(
          stack.url,
          MarketCreateListingDocument,
          {
            input: {
              poolKeyId: key,
              model: `batch${n}/batch-${n}-${i}`,
              upstreamModel: 'sim-chat',
              inputPricePerMTok: '1',
              outputPricePerMTok: '1',
            },
          },
          jwt,
        );
        await graphql(stack.url, MarketProbeListingDocument, { id: created.data!.createListing.id }, jwt);
        await graphql(
          stack.url,
          MarketUpdateListingDocument,
          { id: created.data!.createListing.id, input: { outputPricePerMTok: '5' } },
          jwt,
        ); // a pending review each
      }
      return jwt;
    }
    async function measure(jwt: string) {
      const before = market.db.statementCount();
      const result = await graphql(stack.url, MarketListingsDocument, {}, jwt);
      expect(result.errors).toBeUndefined();
      return { statements: market.db.statementCount() - before, listings: result.data!.myListings };
    }
    const one = await measure(await sellerWith(1));
    const twelve = await measure(await sellerWith(12));
    expect(twelve.listings).toHaveLength(12);
    expect(twelve.listings.every((l) => l.poolKey && l.contract?.state === 'ACTIVE' && l.pendingPriceReview?.status === 'PENDING')).toBe(
      true,
    );
    expect(one.statements).toBeGreaterThan(0);
    expect(twelve.statements).toBe(one.statements);
  });
});
