// A small market that serves chat: the simulated upstream, an embedded stack, a seller with one
// admitted chat listing and a funded buyer. For the browser suites that need real jobs.
import { startSimulator } from '../../gateway/simulator/server';
import { signup } from './credentials';
import { admittedListing, fundedBuyer, poolKey } from './market';
import { startEmbeddedStack, type TestStack } from './stack';

export const CHAT_MODEL = 'dragonfly/sim-chat';

export interface ChatMarket {
  stack: TestStack;
  buyerKey: string;
  /** One chat call as the buyer; resolves to its request id (the job's id in the feed). */
  chat(content: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startChatMarket(options: { sellerName?: string } = {}): Promise<ChatMarket> {
  const upstreamKey = 'sk-sim-chat-market';
  const sim = await startSimulator({ apiKeys: [upstreamKey] });
  const stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
  const seller = await signup(stack.url, 'seller', options.sellerName);
  const key = await poolKey(stack.url, seller.jwt, upstreamKey);
  await admittedListing(stack.url, seller.jwt, {
    poolKeyId: key,
    model: CHAT_MODEL,
    upstreamModel: 'sim-chat',
    capability: 'CHAT',
    inputPricePerMTok: '0.5',
    outputPricePerMTok: '1.5',
  });
  const buyerKey = (await fundedBuyer(stack.url)).key;
  return {
    stack,
    buyerKey,
    chat: async (content) => {
      const response = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${buyerKey}` },
        body: JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content }], max_tokens: 16 }),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${text}`);
      return response.headers.get('x-request-id')!;
    },
    stop: async () => {
      await stack.stop();
      await sim.close();
    },
  };
}
