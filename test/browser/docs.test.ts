// The API reference at /docs: Swagger UI from the installed package, loaded from this origin alone
// (no CDN, no remote fonts, no validator badge) under the page's own policy, showing the
// operations of /openapi.json.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, openPage, screenshot } from '../helpers/browser';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

describe.skipIf(!CHROMIUM)('API reference (browser)', () => {
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

  it("loads /docs offline and shows every surface's operations", async () => {
    const watched = await openPage(browser, stack.url);
    try {
      const response = await watched.page.goto(`${stack.url}/docs`);
      expect(response?.status()).toBe(200);
      const { page } = watched;
      await page.getByRole('heading', { name: /Dragonfly Market API/ }).waitFor();
      // One section per tag, each listing its operations by summary.
      for (const tag of ['Dragonfly', 'DGrid', 'NaaP', 'Data plane'])
        await page.locator(`h3#operations-tag-${tag.replace(' ', '_')}`).waitFor();
      await page.getByText('Create a chat completion').first().waitFor();
      await page.getByText('List model API keys').first().waitFor();
      await page.getByText('Live job feed').first().waitFor();

      // An operation opens to its parameters, with the seed's defaults.
      await page.locator('#operations-DGrid-dgridListKeys button.opblock-summary-control').click();
      const opened = page.locator('#operations-DGrid-dgridListKeys');
      await opened.getByText('Page size').waitFor();
      await expect.poll(() => opened.locator('tr[data-param-name="size"]').innerText()).toMatch(/Default value\s*:\s*20/);
      // The picture: DGrid open with that operation, the other surfaces folded to their headings.
      for (const tag of ['Dragonfly', 'NaaP', 'Data_plane']) {
        await page.locator(`h3#operations-tag-${tag}`).click();
        await page.locator(`h3#operations-tag-${tag}[data-is-open="false"]`).waitFor();
      }
      await screenshot(page, 'api-reference');

      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});
