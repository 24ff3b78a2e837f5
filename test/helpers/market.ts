// Supply on the market for data-plane tests: a seller with simulator pool keys and admitted
// listings, and a funded buyer with a key.
import {
  AccountCreateKeyDocument,
  BillingTopUpDocument,
  FixtureCreateListingDocument,
  FixtureCreatePoolKeyDocument,
  FixtureListingStateDocument,
  FixtureProbeListingDocument,
} from '../../schema/generated/graphql';
import type { CreateListingInput } from '../../schema/generated/graphql';
import { SIMULATOR_CHAT_PARAMETERS } from '../../gateway/simulator/models';
import { shippedRegistry } from '../../subgraphs/market/services/registry';
import { eventually } from './eventually';
import { graphql } from './graphql';
import { signup } from './credentials';

/** What the simulator really honours; the data plane sends a request using one of these only to supply that declares it. */
export { SIMULATOR_CHAT_PARAMETERS };

export async function poolKey(url: string, jwt: string, apiKey: string): Promise<string> {
  const result = await graphql(url, FixtureCreatePoolKeyDocument, { input: { provider: 'simulator', apiKey, label: apiKey } }, jwt);
  if (!result.data) throw new Error(`pool key failed: ${JSON.stringify(result.errors)}`);
  return result.data.createPoolKey.id;
}

/**
 * The input as a test means it: a chat listing of a model outside the registry declares what the
 * simulator honours unless the test says otherwise (canonical dragonfly/* models have it from the registry).
 */
export function withSimulatorParameters(input: CreateListingInput): CreateListingInput {
  const chat = input.capability == null || input.capability === 'CHAT';
  if (!chat || input.supportedParameters !== undefined || shippedRegistry().get(input.model)) return input;
  return { ...input, supportedParameters: SIMULATOR_CHAT_PARAMETERS };
}

/** Creates a listing and waits until its admission probe made it routable. */
export async function admittedListing(url: string, jwt: string, input: CreateListingInput): Promise<string> {
  const created = await graphql(url, FixtureCreateListingDocument, { input: withSimulatorParameters(input) }, jwt);
  if (!created.data) throw new Error(`listing failed: ${JSON.stringify(created.errors)}`);
  const id = created.data.createListing.id;
  let reads = 0;
  try {
    await eventually(
      async () => {
        const state = await graphql(url, FixtureListingStateDocument, { id }, jwt);
        if (state.data?.listing.contract?.state === 'ACTIVE') return;
        // A probe of its own once the background admission had its chance (a failed one is not retried by itself).
        if (++reads === 20) await graphql(url, FixtureProbeListingDocument, { id }, jwt);
        throw new Error(`listing ${input.model} is ${state.data?.listing.contract?.state ?? 'unknown'}`);
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  } catch {
    throw new Error(`listing ${input.model} was not admitted`);
  }
  return id;
}

export async function fundedBuyer(url: string, topUpUsd = '10', keyInput: Record<string, unknown> = {}) {
  const buyer = await signup(url, 'buyer');
  if (Number(topUpUsd) > 0) await graphql(url, BillingTopUpDocument, { amount: topUpUsd }, buyer.jwt);
  const key = await graphql(url, AccountCreateKeyDocument, { input: { name: 'sdk', ...keyInput } }, buyer.jwt);
  if (!key.data) throw new Error(`key failed: ${JSON.stringify(key.errors)}`);
  return { ...buyer, key: key.data.createApiKey.rawKey, keyId: key.data.createApiKey.apiKey.id };
}
