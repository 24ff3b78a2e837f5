// Every page and every console section meets WCAG 2.1 A/AA as axe-core checks it (contrast,
// labels, names, roles), in light and in dark, with no request leaving the machine and no page
// error. The console's sections are found from its own navigation, so a new section is checked
// without being listed here. Left out: the GraphQL IDE (GraphiQL) and the API reference (Swagger
// UI), both rendered by packages from npm whose markup is theirs (axe finds unlabelled inputs and
// nested controls in both).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, CHROMIUM, launchBrowser, openPage } from '../helpers/browser';
import { signup } from '../helpers/credentials';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

describe.skipIf(!CHROMIUM)('accessibility (browser)', () => {
  let stack: TestStack;
  let browser: Browser;
  let session: string;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    browser = await launchBrowser();
    session = (await signup(stack.url, 'a11y')).jwt;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no WCAG A/AA violation on the public pages (${colorScheme})`, async () => {
      const watched = await openPage(browser, stack.url, { colorScheme });
      try {
        for (const path of ['/', '/dashboard']) {
          await watched.page.goto(`${stack.url}${path}`);
          await watched.page.locator('h1').first().waitFor();
          await watched.page.waitForLoadState('networkidle');
          expect(await accessibilityViolations(watched.page), `${path} (${colorScheme})`).toEqual([]);
        }
        expect(watched.offMachine).toEqual([]);
        expect(watched.errors).toEqual([]);
      } finally {
        await watched.close();
      }
    });

    it(`has no WCAG A/AA violation in any console section (${colorScheme})`, async () => {
      const watched = await openPage(browser, stack.url, { colorScheme });
      try {
        await watched.context.addInitScript((token) => localStorage.setItem('dragonfly.session', token), session);
        await watched.page.goto(`${stack.url}/dashboard`);
        const nav = watched.page.getByRole('navigation', { name: 'Console' });
        await nav.waitFor();
        const paths = await nav.locator('a[href^="/dashboard/"]').evaluateAll((links) => links.map((link) => link.getAttribute('href')!));
        expect(paths.length).toBeGreaterThan(0);
        for (const path of paths) {
          await watched.page.goto(`${stack.url}${path}`);
          await watched.page.locator('main h2, main h1').first().waitFor();
          await watched.page.waitForLoadState('networkidle');
          expect(await accessibilityViolations(watched.page), `${path} (${colorScheme})`).toEqual([]);
        }
        expect(watched.offMachine).toEqual([]);
        expect(watched.errors).toEqual([]);
      } finally {
        await watched.close();
      }
    });
  }
});
