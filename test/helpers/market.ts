// Supply on the market for data-plane tests: a seller with simulator pool keys and admitted
// listings, and a funded buyer with a key.
import { AccountCreateKeyDocument, BillingTopUpDocument, FixtureCreateListingDocument, FixtureCreatePoolKeyDocument, FixtureListingStateDocument, FixtureProbeListingDocument } from '../../schema/generated/graphql';
import type { CreateListingInput } from '../../schema/generated/graphql';
import { graphql } from './graphql';
import { signup } from './credentials';

export async function poolKey(url: string, jwt: string, apiKey: string): Promise<string> {
  const result = await graphql(url, FixtureCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey, label: apiKey } }, jwt);
  if (!result.data) throw new Error(`pool key failed: ${JSON.stringify(result.errors)}`);
  return result.data.createPoolKey.id;
}

/** Creates a listing and waits until its admission probe made it routable. */
export async function admittedListing(url: string, jwt: string, input: CreateListingInput): Promise<string> {
  const created = await graphql(url, FixtureCreateListingDocument, { input }, jwt);
  if (!created.data) throw new Error(`listing failed: ${JSON.stringify(created.errors)}`);
  const id = created.data.createListing.id;
  for (let i = 0; i < 100; i++) {
    const state = await graphql(url, FixtureListingStateDocument, { id }, jwt);
    if (state.data?.listing.contract?.state === 'ACTIVE') return id;
    if (i === 20) await graphql(url, FixtureProbeListingDocument, { id }, jwt);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`listing ${input.model} was not admitted`);
}

export async function fundedBuyer(url: string, topUpUsd = '10', keyInput: Record<string, unknown> = {}) {
  const buyer = await signup(url, 'buyer');
  if (Number(topUpUsd) > 0) await graphql(url, BillingTopUpDocument, { amount: topUpUsd }, buyer.jwt);
  const key = await graphql(url, AccountCreateKeyDocument, { input: { name: 'sdk', ...keyInput } }, buyer.jwt);
  if (!key.data) throw new Error(`key failed: ${JSON.stringify(key.errors)}`);
  return { ...buyer, key: key.data.createApiKey.rawKey, keyId: key.data.createApiKey.apiKey.id };
}
