// The embedded first run: a demo seller lists the simulator's models, a demo buyer gets $5 and a
// key, and `npm start` prints that key with a curl line. Later starts reuse both accounts and
// replace the demo key (the raw key of the previous one cannot be shown again).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  DemoKeyDocument,
  DemoListingDocument,
  DemoPoolKeyDocument,
  DemoRevokeKeyDocument,
  DemoSignupDocument,
  DemoTopUpDocument,
} from '../schema/generated/graphql';
import type { Principal } from '../subgraphs/common/principal';
import type { Gateway } from './app';
import { SIMULATOR_CHAT_PARAMETERS, SIMULATOR_CONTEXT_LENGTH } from './simulator/models';

interface DemoState {
  sellerId: string;
  buyerId: string;
  keyId?: string;
}

async function must<T>(result: Promise<{ data?: T | null; errors?: readonly { message: string }[] }>): Promise<T> {
  const { data, errors } = await result;
  if (!data || errors?.length) throw new Error(`demo seeding failed: ${errors?.[0]?.message ?? 'no data'}`);
  return data;
}

export async function seedDemo(gateway: Gateway, dataDir: string): Promise<{ key: string; models: string[] }> {
  const file = path.join(dataDir, 'demo.json');
  let state: DemoState | null = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoState) : null;
  const user = (accountId: string): Principal => ({ kind: 'user', accountId });
  const anonymous: Principal = { kind: 'anonymous' };
  const models = ['demo/sim-chat', 'demo/sim-embed', 'demo/sim-tts'];

  if (!state) {
    const password = randomBytes(18).toString('base64url');
    const tag = randomBytes(4).toString('hex');
    const seller = await must(
      gateway.run(DemoSignupDocument, { input: { email: `demo-seller-${tag}@example.com`, password, name: 'Demo seller' } }, anonymous),
    );
    const sellerId = seller.signup.account.id;
    // The simulator accepts any key; this one identifies the demo seller's pool entry.
    const pool = await must(
      gateway.run(DemoPoolKeyDocument, { input: { provider: 'simulator', apiKey: `sk-sim-demo-${tag}`, label: 'demo' } }, user(sellerId)),
    );
    const poolKeyId = pool.createPoolKey.id;
    // Declared hardware, so the network overview's GPU figures show something from the first start;
    // the chat listing declares what the simulator honours (tools and JSON answers go only to supply that does).
    await must(
      gateway.run(
        DemoListingDocument,
        {
          input: {
            poolKeyId,
            model: models[0],
            upstreamModel: 'sim-chat',
            capability: 'CHAT',
            inputPricePerMTok: '0.50',
            outputPricePerMTok: '1.50',
            hardware: { gpuModel: 'H100', gpuCount: 8 },
            supportedParameters: SIMULATOR_CHAT_PARAMETERS,
            contextLength: SIMULATOR_CONTEXT_LENGTH,
            maxOutputTokens: 4096,
          },
        },
        user(sellerId),
      ),
    );
    await must(
      gateway.run(
        DemoListingDocument,
        {
          input: {
            poolKeyId,
            model: models[1],
            upstreamModel: 'sim-embed',
            capability: 'EMBEDDINGS',
            inputPricePerMTok: '0.02',
            hardware: { gpuModel: 'L4', gpuCount: 2 },
          },
        },
        user(sellerId),
      ),
    );
    await must(
      gateway.run(
        DemoListingDocument,
        {
          input: {
            poolKeyId,
            model: models[2],
            upstreamModel: 'sim-tts',
            capability: 'SPEECH',
            pricePerMChars: '15',
            hardware: { gpuModel: 'L4', gpuCount: 1 },
          },
        },
        user(sellerId),
      ),
    );
    const buyer = await must(
      gateway.run(DemoSignupDocument, { input: { email: `demo-buyer-${tag}@example.com`, password, name: 'Demo buyer' } }, anonymous),
    );
    await must(gateway.run(DemoTopUpDocument, { amount: '5' }, user(buyer.signup.account.id)));
    state = { sellerId, buyerId: buyer.signup.account.id };
  } else if (state.keyId) {
    await gateway.run(DemoRevokeKeyDocument, { id: state.keyId }, user(state.buyerId));
  }
  const key = await must(gateway.run(DemoKeyDocument, { input: { name: 'demo' } }, user(state.buyerId)));
  state.keyId = key.createApiKey.apiKey.id;
  writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
  return { key: key.createApiKey.rawKey, models };
}
