// The GraphQL IDE (development) loads from this origin alone, runs queries over HTTP and
// subscriptions over graphql-ws.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../gateway/simulator/server';
import { CHROMIUM, launchBrowser, openPage } from '../helpers/browser';
import { signup } from '../helpers/credentials';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const MODEL = 'dragonfly/sim-chat';

describe.skipIf(!CHROMIUM)('GraphQL IDE (browser)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let browser: Browser;
  let buyerKey: string;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-ide'] });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0' });
    const seller = await signup(stack.url, 'ide-seller');
    const key = await poolKey(stack.url, seller.jwt, 'sk-sim-ide');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: key,
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '0.5',
      outputPricePerMTok: '1.5',
    });
    buyerKey = (await fundedBuyer(stack.url)).key;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await sim?.close();
  });

  /** The IDE, once it has the schema: a run before that is not taken. */
  async function openIde(page: Page): Promise<void> {
    const introspected = page.waitForResponse((response) => response.url().endsWith('/graphql') && response.request().method() === 'POST');
    await page.goto(`${stack.url}/graphql`);
    await introspected;
    await page.locator('.graphiql-container').waitFor();
  }

  it('loads offline and runs its default query over HTTP', async () => {
    const watched = await openPage(browser, stack.url);
    try {
      await openIde(watched.page);
      await watched.page.getByRole('button', { name: /execute/i }).click();
      await watched.page.locator('.graphiql-response').getByText('"successRate"').waitFor({ timeout: 10_000 });
      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });

  it('runs a subscription over graphql-ws: a chat call made meanwhile arrives in the result', async () => {
    const watched = await openPage(browser, stack.url);
    const frames: string[] = [];
    watched.page.on('websocket', (socket) => socket.on('framesent', (frame) => frames.push(String(frame.payload))));
    try {
      await openIde(watched.page);
      await watched.page.locator('.graphiql-query-editor .CodeMirror').first().click();
      await watched.page.keyboard.press('ControlOrMeta+a');
      await watched.page.keyboard.press('Delete');
      await watched.page.keyboard.insertText('subscription IdeFeed { jobFeed { id model status } }');
      // The tab takes the operation's name once the IDE has read the new text.
      await watched.page.locator('.graphiql-tab', { hasText: 'IdeFeed' }).waitFor();
      await watched.page.getByRole('button', { name: /execute/i }).click();
      await expect.poll(() => frames.some((frame) => frame.includes('"type":"subscribe"') && frame.includes('IdeFeed'))).toBe(true);
      const answer = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${buyerKey}` },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello from the IDE test' }], max_tokens: 8 }),
      });
      expect(answer.status).toBe(200);
      await watched.page.locator('.graphiql-response').getByText(`"${MODEL}"`).waitFor({ timeout: 10_000 });
      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});
