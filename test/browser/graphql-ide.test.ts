// The GraphQL IDE (development) loads from this origin alone, runs queries over HTTP and
// subscriptions over graphql-ws.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, openPage } from '../helpers/browser';
import { CHAT_MODEL as MODEL, startChatMarket, type ChatMarket } from '../helpers/chat-market';
import type { TestStack } from '../helpers/stack';

describe.skipIf(!CHROMIUM)('GraphQL IDE (browser)', () => {
  let market: ChatMarket;
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    market = await startChatMarket();
    stack = market.stack;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await market?.stop();
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
      await market.chat('hello from the IDE test');
      await watched.page.locator('.graphiql-response').getByText(`"${MODEL}"`).waitFor({ timeout: 10_000 });
      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});
