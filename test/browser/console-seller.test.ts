// The seller's side of the console, driven in a browser against one embedded stack (its own
// simulator is the upstream of the `simulator` provider, which accepts any well-formed key): a
// seller signs up, adds a pool key and lists a model through the forms, and watches its admission
// probe admit it; bad input shows the API's own words and creates nothing; the raw provider key
// never appears in the page after it was sent; no page reaches off the machine or throws.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DisputeGetDocument,
  DisputeOpenDocument,
  MoneyEarningsSummaryDocument,
  SupplyListingDocument,
  SupplyCreateListingDocument,
  SupplyCreatePoolKeyDocument,
  SupplyListingsDocument,
  SupplyPoolKeysDocument,
  type CreateListingInput,
} from '../../schema/generated/graphql';
import { CHROMIUM, launchBrowser, openPage, screenshot, type WatchedPage } from '../helpers/browser';
import { eventually } from '../helpers/eventually';
import { graphql, rest } from '../helpers/graphql';
import { fundedBuyer } from '../helpers/market';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const PASSWORD = 'password-123';
const SESSION_KEY = 'dragonfly.session';
const SELLER_PAGES = [
  { path: 'pool-keys', heading: 'Pool keys' },
  { path: 'listings', heading: 'Listings' },
  { path: 'earnings', heading: 'Earnings' },
  { path: 'payouts', heading: 'Payouts' },
  { path: 'seller-disputes', heading: 'Buyer disputes' },
];

describe.skipIf(!CHROMIUM)('seller console (browser)', () => {
  let stack: TestStack;
  let browser: Browser;
  // The seller test 1 signs up through the UI; the later tests act as the same seller.
  const suffix = randomUUID().slice(0, 8);
  const email = `seller-${suffix}@example.com`;
  const handle = `seller-${suffix}`;
  const model = `${handle}/chat`;
  const rawKey = `sk-sim-console-${suffix}-abcdefghijkl`;
  let token = '';
  let poolKeyId = '';
  // The request test 4 sends through the listing, and its buyer.
  let served: { requestId: string; buyerJwt: string } | null = null;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  function expectClean(watched: WatchedPage) {
    expect(watched.offMachine).toEqual([]);
    expect(watched.errors).toEqual([]);
  }

  async function signIn(page: Page) {
    await page.goto(`${stack.url}/dashboard/listings`);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email', { exact: true }).fill(email);
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Listings' }).waitFor();
  }

  async function goTo(page: Page, title: string) {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: title, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  }

  /** Every input's current value: a typed secret would be here even when no text shows it. */
  const inputValues = (page: Page) =>
    page.evaluate(() => [...document.querySelectorAll('input, textarea')].map((element) => (element as HTMLInputElement).value));

  it('signs a seller up, adds a pool key and a listing through the forms, and shows the listing admitted', {
    timeout: 60_000,
  }, async () => {
    const watched = await openPage(browser, stack.url);
    const { page } = watched;
    try {
      await page.goto(`${stack.url}/dashboard`);
      await page.getByRole('button', { name: 'New here? Create an account' }).click();
      const signup = page.getByRole('form', { name: 'Sign up' });
      await signup.getByLabel('Name (optional)', { exact: true }).fill('Console Seller');
      await signup.getByLabel('Email', { exact: true }).fill(email);
      await signup.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await signup.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('navigation', { name: 'Console' }).waitFor();
      token = (await page.evaluate((key) => localStorage.getItem(key), SESSION_KEY)) ?? '';
      expect(token).not.toBe('');

      await goTo(page, 'Pool keys');
      const keyForm = page.getByRole('form', { name: 'Add a pool key' });
      await keyForm.getByLabel('Provider', { exact: true }).selectOption('simulator');
      await keyForm.getByLabel('Provider API key', { exact: true }).fill(rawKey);
      await keyForm.getByLabel('Label (optional)', { exact: true }).fill('simulator key');
      await keyForm.getByRole('button', { name: 'Add pool key' }).click();
      const keyRow = page.getByTestId('pool-key-row').filter({ hasText: 'simulator key' });
      await keyRow.waitFor();

      const keys = await graphql(stack.url, SupplyPoolKeysDocument, {}, token);
      expect(keys.data!.poolKeys).toHaveLength(1);
      const [key] = keys.data!.poolKeys;
      poolKeyId = key.id;
      expect(key).toMatchObject({ provider: 'simulator', label: 'simulator key', status: 'ACTIVE' });
      expect(await keyRow.locator('code').innerText()).toBe(key.keyPreview);
      expect(await keyRow.innerText()).toMatch(/\bactive\b/i);
      expect(await page.content()).not.toContain(rawKey);
      expect(await inputValues(page)).not.toContain(rawKey);

      await goTo(page, 'Listings');
      const listingForm = page.getByRole('form', { name: 'New listing' });
      await listingForm.getByLabel('Model id', { exact: true }).fill(model);
      await listingForm.getByLabel('Pool key', { exact: true }).selectOption(poolKeyId);
      await listingForm.getByLabel('Upstream model (optional)', { exact: true }).fill('sim-chat');
      await listingForm.getByLabel('Input price per 1M tokens', { exact: true }).fill('0.5');
      await listingForm.getByLabel('Output price per 1M tokens', { exact: true }).fill('1.25');
      await listingForm.getByText('Caps, limits and metadata').click();
      await listingForm.getByLabel('Requests per minute', { exact: true }).fill('600');
      await listingForm.getByLabel('Context length (tokens)', { exact: true }).fill('16384');
      await listingForm.getByRole('button', { name: 'Create listing' }).click();

      // The background admission probe admits it; the page follows it without a reload.
      const row = page.getByTestId('listing-row').filter({ hasText: model });
      await row.getByTestId('listing-status').getByText('admitted').waitFor({ timeout: 20_000 });
      expect(await row.innerText()).toContain('$0.50 in · $1.25 out');
      const listings = await graphql(stack.url, SupplyListingsDocument, {}, token);
      expect(listings.data!.myListings).toHaveLength(1);
      expect(listings.data!.myListings[0]).toMatchObject({
        model,
        status: 'ACTIVE',
        inputPricePerMTok: { micros: 500_000 },
        outputPricePerMTok: { micros: 1_250_000 },
        caps: { rpm: 600 },
        contextLength: 16384,
        contract: { state: 'ACTIVE' },
        poolKey: { id: poolKeyId },
      });

      // Its details (opened on creation) list the admission probe; "Probe now" adds one more.
      const details = page.getByRole('region', { name: `${model} details` });
      await details.getByTestId('probe-run').first().waitFor();
      const runsBefore = await details.getByTestId('probe-run').count();
      await row.getByRole('button', { name: 'Probe now' }).click();
      await eventually(async () => expect(await details.getByTestId('probe-run').count()).toBe(runsBefore + 1), {
        timeoutMs: 15_000,
        intervalMs: 100,
      });
      expect(await details.getByTestId('probe-run').first().innerText()).toMatch(/\bpassed\b/i);
      // The handle was taken from the first listing under the seller's own namespace.
      await page.getByText(`Your handle: ${handle}`).waitFor();

      await screenshot(page, 'console-seller-light');
      expectClean(watched);
    } finally {
      await watched.close();
    }
  });

  it('shows the API’s own message for bad input and creates nothing', { timeout: 60_000 }, async () => {
    expect(token).not.toBe('');
    const watched = await openPage(browser, stack.url);
    const { page } = watched;
    try {
      await signIn(page);
      const counts = async () => ({
        keys: (await graphql(stack.url, SupplyPoolKeysDocument, {}, token)).data!.poolKeys.length,
        listings: (await graphql(stack.url, SupplyListingsDocument, {}, token)).data!.myListings.length,
      });
      const before = await counts();

      // A custom provider with a base URL that is no URL.
      const badKey = `sk-custom-console-${suffix}`;
      const direct = await graphql(
        stack.url,
        SupplyCreatePoolKeyDocument,
        { input: { provider: 'custom', apiKey: badKey, baseUrl: 'not a url' } },
        token,
      );
      expect(direct.data ?? null).toBeNull();
      const apiMessage = direct.errors![0].message;
      expect(apiMessage).toMatch(/baseUrl/);
      await goTo(page, 'Pool keys');
      const keyForm = page.getByRole('form', { name: 'Add a pool key' });
      await keyForm.getByLabel('Provider', { exact: true }).selectOption('custom');
      await keyForm.getByLabel('Provider API key', { exact: true }).fill(badKey);
      await keyForm.getByLabel('Base URL (required)', { exact: true }).fill('not a url');
      await keyForm.getByRole('button', { name: 'Add pool key' }).click();
      expect(await keyForm.getByRole('alert').innerText()).toBe(apiMessage);

      await goTo(page, 'Listings');
      const listingForm = page.getByRole('form', { name: 'New listing' });
      const base: CreateListingInput = {
        model: `${handle}/refused`,
        capability: 'CHAT',
        poolKeyId,
        upstreamModel: 'sim-chat',
        inputPricePerMTok: '0.5',
        outputPricePerMTok: '1',
      };
      const cases: { name: string; input: CreateListingInput; fill: Record<string, string> }[] = [
        { name: 'a negative price', input: { ...base, outputPricePerMTok: '-1' }, fill: { 'Output price per 1M tokens': '-1' } },
        {
          name: 'an unknown model under a vendor’s handle',
          input: { ...base, model: 'openai/no-such-model' },
          fill: { 'Model id': 'openai/no-such-model' },
        },
        { name: 'text as a price', input: { ...base, inputPricePerMTok: 'cheap' }, fill: { 'Input price per 1M tokens': 'cheap' } },
      ];
      for (const { name, input, fill } of cases) {
        const refused = await graphql(stack.url, SupplyCreateListingDocument, { input }, token);
        expect(refused.data ?? null, name).toBeNull();
        const message = refused.errors![0].message;
        const values: Record<string, string> = {
          'Model id': base.model,
          'Upstream model (optional)': 'sim-chat',
          'Input price per 1M tokens': '0.5',
          'Output price per 1M tokens': '1',
          ...fill,
        };
        for (const [label, value] of Object.entries(values)) await listingForm.getByLabel(label, { exact: true }).fill(value);
        await listingForm.getByLabel('Pool key', { exact: true }).selectOption(poolKeyId);
        await listingForm.getByRole('button', { name: 'Create listing' }).click();
        const alert = listingForm.getByRole('alert').filter({ hasText: message });
        await alert.waitFor();
        expect(await listingForm.getByRole('alert').innerText(), name).toBe(message);
      }

      expect(await counts()).toEqual(before);
      expect(await page.getByTestId('listing-row').count()).toBe(before.listings);
      expectClean(watched);
    } finally {
      await watched.close();
    }
  });

  it('never shows the raw provider key again, only its mask', async () => {
    expect(poolKeyId).not.toBe('');
    const watched = await openPage(browser, stack.url);
    const { page } = watched;
    try {
      await signIn(page);
      const keys = await graphql(stack.url, SupplyPoolKeysDocument, {}, token);
      const preview = keys.data!.poolKeys.find((key) => key.id === poolKeyId)!.keyPreview;
      expect(preview).not.toContain(rawKey);
      // The listing form names the key by its mask.
      expect(await page.getByRole('form', { name: 'New listing' }).getByLabel('Pool key', { exact: true }).innerText()).toContain(preview);
      expect(await page.content()).not.toContain(rawKey);
      await goTo(page, 'Pool keys');
      await page.getByTestId('pool-key-row').first().waitFor();
      expect(await page.getByTestId('pool-key-row').first().innerText()).toContain(preview);
      expect(await page.content()).not.toContain(rawKey);
      expect(await inputValues(page)).not.toContain(rawKey);

      // A key added in this page: once the API has it, neither the text nor any field holds it.
      const secondKey = `sk-sim-console-second-${suffix}`;
      const keyForm = page.getByRole('form', { name: 'Add a pool key' });
      await keyForm.getByLabel('Provider', { exact: true }).selectOption('simulator');
      await keyForm.getByLabel('Provider API key', { exact: true }).fill(secondKey);
      await keyForm.getByLabel('Label (optional)', { exact: true }).fill('second key');
      await keyForm.getByRole('button', { name: 'Add pool key' }).click();
      await page.getByTestId('pool-key-row').filter({ hasText: 'second key' }).waitFor();
      const second = (await graphql(stack.url, SupplyPoolKeysDocument, {}, token)).data!.poolKeys.find(
        (key) => key.label === 'second key',
      )!;
      await page.getByRole('status').filter({ hasText: second.keyPreview }).waitFor();
      for (const secret of [rawKey, secondKey]) {
        expect(await page.content()).not.toContain(secret);
        expect(await inputValues(page)).not.toContain(secret);
      }

      // Deleting the unused key takes it off the page.
      const secondRow = page.getByTestId('pool-key-row').filter({ hasText: 'second key' });
      await secondRow.getByRole('button', { name: 'Delete' }).click();
      await secondRow.getByRole('button', { name: `Delete ${second.keyPreview}` }).click();
      await eventually(async () => expect(await page.getByTestId('pool-key-row').filter({ hasText: 'second key' }).count()).toBe(0), {
        timeoutMs: 10_000,
        intervalMs: 100,
      });
      expect((await graphql(stack.url, SupplyPoolKeysDocument, {}, token)).data!.poolKeys.map((key) => key.id)).toEqual([poolKeyId]);
      expectClean(watched);
    } finally {
      await watched.close();
    }
  });

  it('loads every seller page from this machine alone, without page errors, light and dark', { timeout: 90_000 }, async () => {
    expect(token).not.toBe('');
    // One request through the admitted listing, so the earnings pages have something to show.
    const buyer = await fundedBuyer(stack.url, '5');
    const answer = await rest(stack.url, 'POST', '/v1/chat/completions', {
      token: buyer.key,
      body: { model, messages: [{ role: 'user', content: 'Hello, dragonfly' }] },
    });
    expect(answer.status).toBe(200);
    served = { requestId: answer.headers.get('x-request-id')!, buyerJwt: buyer.jwt };
    expect(served.requestId).toBeTruthy();
    const lifetime = await eventually(async () => {
      const summary = await graphql(stack.url, MoneyEarningsSummaryDocument, {}, token);
      expect(summary.data!.earningsSummary.lifetime.micros).toBeGreaterThan(0);
      return summary.data!.earningsSummary.lifetime.micros;
    });
    for (const colorScheme of ['light', 'dark'] as const) {
      const watched = await openPage(browser, stack.url, { colorScheme });
      const { page } = watched;
      try {
        await signIn(page);
        for (const { heading } of SELLER_PAGES) await goTo(page, heading);
        // Each path also loads on its own (a bookmark, a reload).
        for (const { path, heading } of SELLER_PAGES) {
          await page.goto(`${stack.url}/dashboard/${path}`);
          await page.getByRole('heading', { level: 1, name: heading }).waitFor();
          await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' });
        }
        // The chart, its text alternative, and the request's earning.
        await page.goto(`${stack.url}/dashboard/earnings`);
        const overTime = page.getByRole('region', { name: 'Earned over time' });
        await overTime
          .getByRole('img', { name: /^Earnings per day/ })
          .locator('canvas')
          .waitFor();
        await overTime.getByText('Show as a table').click();
        expect(await overTime.getByRole('table', { name: 'Earnings per bucket' }).innerText()).toContain(formatUsd(lifetime));
        await page.getByRole('region', { name: 'Per request' }).getByRole('cell', { name: model }).waitFor();
        expect(await page.getByRole('group', { name: 'Earnings summary' }).innerText()).toContain(formatUsd(lifetime));
        if (colorScheme === 'dark') {
          await page.goto(`${stack.url}/dashboard/listings`);
          await page.getByTestId('listing-row').filter({ hasText: model }).getByText('admitted').waitFor();
          await screenshot(page, 'console-seller-dark');
        }
        expectClean(watched);
      } finally {
        await watched.close();
      }
    }
  });

  it('fits a 375 px wide screen: no page scrolls sideways, wide tables scroll in place', async () => {
    const watched = await openPage(browser, stack.url, { viewport: { width: 375, height: 800 } });
    const { page } = watched;
    try {
      await signIn(page);
      for (const { path, heading } of SELLER_PAGES) {
        await page.goto(`${stack.url}/dashboard/${path}`);
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' });
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          viewport: document.documentElement.clientWidth,
        }));
        // On failure, name what sticks out (outside any scroll container's clip or not).
        const wide =
          widths.page > widths.viewport
            ? await page.evaluate(
                (limit) =>
                  [...document.querySelectorAll('body *')]
                    .filter((element) => element.getBoundingClientRect().right > limit)
                    .slice(0, 8)
                    .map((element) => `${element.tagName.toLowerCase()}.${element.className}`),
                widths.viewport,
              )
            : [];
        expect(widths.page, `${path}: ${wide.join(', ')}`).toBeLessThanOrEqual(widths.viewport);
      }
      expectClean(watched);
    } finally {
      await watched.close();
    }
  });

  it('pauses and resumes a listing, confirms a held price increase, and contests a dispute', { timeout: 60_000 }, async () => {
    expect(served).not.toBeNull();
    const { requestId, buyerJwt } = served!;
    const watched = await openPage(browser, stack.url);
    const { page } = watched;
    try {
      await signIn(page);
      const row = page.getByTestId('listing-row').filter({ hasText: model });
      const listingId = (await graphql(stack.url, SupplyListingsDocument, {}, token)).data!.myListings[0].id;
      const listing = async () => (await graphql(stack.url, SupplyListingDocument, { id: listingId }, token)).data!.listing;

      await row.getByRole('button', { name: 'Pause' }).click();
      await row.getByTestId('listing-status').getByText('paused').waitFor();
      expect(await listing()).toMatchObject({ paused: true, status: 'PAUSED' });
      await row.getByRole('button', { name: 'Resume' }).click();
      await row.getByTestId('listing-status').getByText('admitted').waitFor();
      expect(await listing()).toMatchObject({ paused: false, status: 'ACTIVE' });

      // A four-fold output price waits for confirmation; the listing keeps its live price meanwhile.
      await row.getByRole('button', { name: 'Details' }).click();
      const details = page.getByRole('region', { name: `${model} details` });
      const prices = details.getByRole('form', { name: `Change prices of ${model}` });
      await prices.getByLabel('Output per 1M tokens (USD)', { exact: true }).fill('5');
      await prices.getByRole('button', { name: 'Change prices' }).click();
      const confirm = details.getByRole('button', { name: 'Confirm new price' });
      await confirm.waitFor();
      expect(await row.innerText()).toContain('$1.25 out');
      expect((await listing()).pendingPriceReview).toMatchObject({
        status: 'PENDING',
        proposed: { outputPricePerMTok: { micros: 5_000_000 } },
      });
      await page.getByRole('region', { name: 'Price reviews' }).getByRole('cell', { name: model }).waitFor();
      await confirm.click();
      await row.getByText('$5.00 out').waitFor();
      expect(await listing()).toMatchObject({ outputPricePerMTok: { micros: 5_000_000 }, pendingPriceReview: null });

      // The buyer disputes the request served in test 4; the seller contests it in the page.
      const opened = await graphql(stack.url, DisputeOpenDocument, { requestId, reason: 'The answer was cut short' }, buyerJwt);
      expect(opened.errors).toBeUndefined();
      expect(opened.data!.openDispute.status).toBe('OPEN');
      await goTo(page, 'Buyer disputes');
      const disputeRow = page.getByRole('row').filter({ hasText: requestId });
      expect(await disputeRow.innerText()).toContain('The answer was cut short');
      await disputeRow.getByRole('button', { name: 'Contest' }).click();
      const contest = disputeRow.getByRole('form', { name: `Contest the dispute of ${requestId}` });
      await contest.getByLabel('Your reason', { exact: true }).fill('The whole answer was streamed');
      await contest.getByRole('button', { name: 'Contest dispute' }).click();
      await disputeRow.getByText('You: The whole answer was streamed').waitFor();
      expect(await disputeRow.getByRole('button', { name: 'Contest' }).count()).toBe(0);
      const dispute = (await graphql(stack.url, DisputeGetDocument, { id: opened.data!.openDispute.id }, token)).data!.dispute;
      expect(dispute).toMatchObject({ status: 'OPEN', sellerResponse: 'The whole answer was streamed' });
      expect(dispute.contestedAt).not.toBeNull();
      expectClean(watched);
    } finally {
      await watched.close();
    }
  });
});

/** Micros as the page writes dollars (two decimals at least, exact). */
function formatUsd(micros: number): string {
  const whole = Math.trunc(micros / 1_000_000);
  const fraction = String(micros % 1_000_000).padStart(6, '0');
  const rest = fraction.slice(2).replace(/0+$/, '');
  return `$${whole.toLocaleString('en-US')}.${fraction.slice(0, 2)}${rest}`;
}
