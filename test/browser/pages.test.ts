// The pages load from this origin alone: the overview, the console's sign-in, the GraphQL IDE.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, openPage } from '../helpers/browser';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

describe.skipIf(!CHROMIUM)('web pages (browser)', () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('loads the GraphQL IDE offline and runs a query through it', async () => {
    const watched = await openPage(browser, stack.url);
    try {
      await watched.page.goto(`${stack.url}/graphql`);
      await watched.page.locator('.graphiql-container').waitFor();
      await watched.page.getByRole('button', { name: /execute/i }).click();
      await watched.page.locator('.graphiql-response').getByText('"successRate"').waitFor({ timeout: 10_000 });
      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});
