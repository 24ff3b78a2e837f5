// The buyer's side of the console, driven in a browser against one embedded stack: sign-up, keys
// (shown once, then only masked), the API's own validation messages, disable/enable/revoke, sandbox
// top-ups, routing profiles, management keys, and a real request in the spend log, its receipt and
// a dispute opened from it. Every page stays on this machine, logs no error and meets WCAG A/AA
// (axe-core) in light and dark with rows in its tables.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../gateway/simulator/server';
import {
  AccountCreateKeyDocument,
  AccountKeysDocument,
  DisputeListDocument,
  DragonflyListKeyGroupsDocument,
  MoneyBalanceDocument,
  MoneyTopUpDocument,
  MoneyTransactionsDocument,
  SpendLogRequestDocument,
} from '../../schema/generated/graphql';
import { BUYER_KEY_PREFIX, MANAGEMENT_KEY_PREFIX } from '../../subgraphs/accounts/keys';
import { accessibilityViolations, CHROMIUM, launchBrowser, openPage, screenshot, type WatchedPage } from '../helpers/browser';
import { signup } from '../helpers/credentials';
import { eventually } from '../helpers/eventually';
import { graphql, rest } from '../helpers/graphql';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const SESSION_KEY = 'dragonfly.session';
const SECTIONS = ['keys', 'usage', 'spend-log', 'disputes', 'routing', 'billing', 'management-keys'];
const MODEL = 'acme/console-chat';

/** The message the API answers for a call, as the page must show it. */
async function apiMessage(result: { errors?: { message: string }[]; data?: unknown }): Promise<string> {
  expect(result.errors?.length, JSON.stringify(result)).toBeGreaterThan(0);
  return result.errors![0].message;
}

/** Dollars as the console formats them (formatMicros), for amounts with whole cents. */
function dollars(micros: number): string {
  const cents = Math.round(micros / 10_000);
  return `$${Math.floor(cents / 100).toLocaleString('en-US')}.${String(cents % 100).padStart(2, '0')}`;
}

describe.skipIf(!CHROMIUM)('buyer console (browser)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  let browser: Browser;
  const opened: WatchedPage[] = [];

  /** A page signed in as `jwt` (the console keeps its session token in localStorage). */
  async function signedInPage(jwt: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
    const watched = await openPage(browser, stack.url, options);
    opened.push(watched);
    await watched.context.addInitScript(([key, token]) => localStorage.setItem(key, token), [SESSION_KEY, jwt] as const);
    return watched;
  }

  async function section(page: Page, path: string, heading: string): Promise<void> {
    await page.goto(`${stack.url}/dashboard/${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  function expectClean(watched: WatchedPage): void {
    expect(watched.offMachine).toEqual([]);
    expect(watched.errors).toEqual([]);
  }

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-console'] });
    stack = await startEmbeddedStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', LISTING_COOLDOWN_MS: '0' });
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    for (const watched of opened) await watched.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await sim?.close();
  });

  it('signs up through the page, shows a new key once (a working key), then only its mask', async () => {
    const watched = await openPage(browser, stack.url);
    opened.push(watched);
    const { page } = watched;
    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    const form = page.getByRole('form', { name: 'Sign up', exact: true });
    await form.getByLabel('Email').fill(`console-${Date.now()}@example.com`);
    await form.getByLabel('Password').fill('password-123');
    await form.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();

    const create = page.getByRole('form', { name: 'Create a key', exact: true });
    await create.getByLabel('Name').fill('production');
    await create.getByLabel('Spend limit (USD)').fill('12.50');
    await create.getByLabel('Limit cycle').selectOption('MONTHLY');
    await create.getByRole('button', { name: 'Create key' }).click();
    const rawKey = (await page.getByTestId('secret').textContent())!.trim();
    expect(rawKey.startsWith(BUYER_KEY_PREFIX)).toBe(true);
    await page.getByTestId('shown-once').getByRole('button', { name: 'Copy' }).click();
    await page.getByTestId('shown-once').getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(rawKey);

    // The key shown is the one the API issued: it works on the data plane as a bearer.
    const models = await rest(stack.url, 'GET', '/v1/models', { token: rawKey });
    expect(models.status).toBe(200);
    const jwt = (await page.evaluate((key) => localStorage.getItem(key), SESSION_KEY))!;
    const listed = await graphql(stack.url, AccountKeysDocument, {}, jwt);
    expect(listed.data!.apiKeys.items).toHaveLength(1);
    const key = listed.data!.apiKeys.items[0];
    expect(key).toMatchObject({ name: 'production', cycle: 'MONTHLY', limit: { micros: 12_500_000 } });
    const row = page.getByTestId(`key-${key.id}`);
    await row.getByText(key.preview).waitFor();
    await expect(row.textContent()).resolves.toContain('$12.50 / month');

    await page.reload();
    await page.getByTestId(`key-${key.id}`).getByText(key.preview).waitFor();
    expect(await page.getByTestId('shown-once').count()).toBe(0);
    expect(await page.content()).not.toContain(rawKey);
    expect(await page.evaluate(() => document.body.innerText)).not.toContain(rawKey);
    expectClean(watched);
  });

  it('a forged or signed-out session gets the sign-in form, and the page forgets it', async () => {
    const { jwt } = await signup(stack.url, 'signed-out');
    expect((await rest(stack.url, 'POST', '/api/auth/logout', { token: jwt })).status).toBeLessThan(300);
    for (const token of ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.forged', jwt]) {
      const watched = await openPage(browser, stack.url);
      try {
        await watched.page.goto(`${stack.url}/dashboard`);
        await watched.page.evaluate(([key, value]) => localStorage.setItem(key, value), [SESSION_KEY, token] as const);
        await watched.page.goto(`${stack.url}/dashboard/keys`);
        await watched.page.getByRole('heading', { level: 1, name: 'Sign in to the console' }).waitFor();
        expect(await watched.page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
        expect(await watched.page.evaluate((key) => localStorage.getItem(key), SESSION_KEY)).toBeNull();
        // The browser logs the API's 401 itself; nothing on the page failed.
        expect(watched.errors.filter((error) => !/status of 401/.test(error))).toEqual([]);
        expect(watched.offMachine).toEqual([]);
      } finally {
        await watched.close();
      }
    }
  });

  it('shows the API’s own message for bad input and creates nothing', async () => {
    const account = await signup(stack.url, 'validation');
    const watched = await signedInPage(account.jwt);
    const { page } = watched;
    await section(page, 'keys', 'API keys');
    const create = page.getByRole('form', { name: 'Create a key', exact: true });
    await create.getByLabel('Name').fill('bad');

    const past = '2020-01-01T00:00';
    await create.getByLabel('Expires').fill(past);
    await create.getByRole('button', { name: 'Create key' }).click();
    const expiryMessage = await apiMessage(
      await graphql(stack.url, AccountCreateKeyDocument, { input: { name: 'bad', expiredAt: new Date(past).toISOString() } }, account.jwt),
    );
    expect(expiryMessage).toMatch(/future/);
    await expect(create.getByRole('alert').textContent()).resolves.toBe(expiryMessage);

    await create.getByLabel('Expires').fill('');
    await create.getByLabel('Allowed IPs (CIDR, one per line)').fill('10.0.0.0/8\nnot-an-address');
    await create.getByRole('button', { name: 'Create key' }).click();
    const ipMessage = await apiMessage(
      await graphql(
        stack.url,
        AccountCreateKeyDocument,
        { input: { name: 'bad', ipAllow: ['10.0.0.0/8', 'not-an-address'] } },
        account.jwt,
      ),
    );
    expect(ipMessage).toContain('not-an-address');
    await create.getByRole('alert').getByText(ipMessage, { exact: true }).waitFor();

    await create.getByLabel('Allowed IPs (CIDR, one per line)').fill('');
    await create.getByLabel('Spend limit (USD)').fill('twelve');
    await create.getByRole('button', { name: 'Create key' }).click();
    const limitMessage = await apiMessage(
      await graphql(stack.url, AccountCreateKeyDocument, { input: { name: 'bad', limit: 'twelve' } }, account.jwt),
    );
    await create.getByRole('alert').getByText(limitMessage, { exact: true }).waitFor();

    expect(await page.getByTestId('shown-once').count()).toBe(0);
    expect((await graphql(stack.url, AccountKeysDocument, { includeRevoked: true }, account.jwt)).data!.apiKeys.total).toBe(0);

    const before = (await graphql(stack.url, MoneyTransactionsDocument, { page: 1, pageSize: 100 }, account.jwt)).data!.transactions.total;
    await section(page, 'billing', 'Balance and billing');
    const topUp = page.getByRole('form', { name: 'Top up', exact: true });
    await topUp.getByLabel('Top-up amount (USD)').fill('0');
    await topUp.getByRole('button', { name: 'Add funds' }).click();
    const topUpMessage = await apiMessage(await graphql(stack.url, MoneyTopUpDocument, { amount: '0' }, account.jwt));
    await topUp.getByRole('alert').getByText(topUpMessage, { exact: true }).waitFor();
    expect((await graphql(stack.url, MoneyTransactionsDocument, { page: 1, pageSize: 100 }, account.jwt)).data!.transactions.total).toBe(
      before,
    );
    expect(watched.offMachine).toEqual([]);
    expect(watched.errors).toEqual([]);
  });

  it('edits a key’s limits, disables, enables and revokes it, and a reload shows each state', async () => {
    const account = await signup(stack.url, 'lifecycle');
    const created = await graphql(stack.url, AccountCreateKeyDocument, { input: { name: 'ci runner' } }, account.jwt);
    const { rawKey, apiKey } = created.data!.createApiKey;
    const watched = await signedInPage(account.jwt);
    const { page } = watched;
    await section(page, 'keys', 'API keys');
    const row = () => page.getByTestId(`key-${apiKey.id}`);
    const status = () => row().getByTestId('key-status');

    // Limits are edited in place.
    await row().getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit ci runner', exact: true });
    await edit.getByLabel('Spend limit (USD)').fill('5');
    await edit.getByLabel('Limit cycle').selectOption('DAILY');
    await edit.getByLabel('Allowed IPs (CIDR, one per line)').fill('0.0.0.0/0\n::/0');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await row().getByText('$5.00 / day').waitFor();
    const edited = (await graphql(stack.url, AccountKeysDocument, {}, account.jwt)).data!.apiKeys.items[0];
    expect(edited).toMatchObject({ limit: { micros: 5_000_000 }, cycle: 'DAILY', ipAllow: ['0.0.0.0/0', '::/0'] });

    await row().getByRole('button', { name: 'Disable' }).click();
    await status().getByText('disabled').waitFor();
    await page.reload();
    await status().getByText('disabled').waitFor();
    expect((await rest(stack.url, 'GET', '/v1/models', { token: rawKey })).status).toBe(401);

    await row().getByRole('button', { name: 'Enable' }).click();
    await status().getByText('active').waitFor();
    await page.reload();
    await status().getByText('active').waitFor();
    expect((await rest(stack.url, 'GET', '/v1/models', { token: rawKey })).status).toBe(200);

    await row().getByRole('button', { name: 'Revoke' }).click();
    await row().getByRole('button', { name: 'Yes, revoke' }).click();
    await status().getByText('revoked').waitFor();
    await page.reload();
    await status().getByText('revoked').waitFor();
    expect(await row().getByRole('button').count()).toBe(0);
    expect((await rest(stack.url, 'GET', '/v1/models', { token: rawKey })).status).toBe(401);
    const listed = await graphql(stack.url, AccountKeysDocument, { includeRevoked: true }, account.jwt);
    expect(listed.data!.apiKeys.items.map((key) => key.status)).toEqual(['REVOKED']);
    expectClean(watched);
  });

  it('a sandbox top-up raises the balance shown', async () => {
    const account = await signup(stack.url, 'topup');
    const watched = await signedInPage(account.jwt);
    const { page } = watched;
    // The trial credit is posted after sign-up: start from the settled balance.
    const start = await eventually(async () => {
      const micros = (await graphql(stack.url, MoneyBalanceDocument, {}, account.jwt)).data!.me.balance!.micros;
      expect(micros).toBeGreaterThan(0);
      return micros;
    });
    await section(page, 'billing', 'Balance and billing');
    await page.getByTestId('balance').getByText(dollars(start), { exact: true }).waitFor();
    const topUp = page.getByRole('form', { name: 'Top up', exact: true });
    await topUp.getByLabel('Top-up amount (USD)').fill('25.50');
    await topUp.getByRole('button', { name: 'Add funds' }).click();
    const after = start + 25_500_000;
    await page.getByTestId('balance').getByText(dollars(after), { exact: true }).waitFor();
    expect((await graphql(stack.url, MoneyBalanceDocument, {}, account.jwt)).data!.me.balance!.micros).toBe(after);
    await page
      .getByRole('table', { name: /Transactions/ })
      .getByText('$25.50', { exact: true })
      .first()
      .waitFor();
    await page.reload();
    await page.getByTestId('balance').getByText(dollars(after), { exact: true }).waitFor();
    await screenshot(page, 'console-billing-light');
    expectClean(watched);
  });

  it('visits every section; routing profiles and management keys are created through the page', async () => {
    const account = await signup(stack.url, 'tour');
    const watched = await signedInPage(account.jwt);
    const { page } = watched;
    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    const titles: Record<string, string> = {
      keys: 'API keys',
      usage: 'Usage',
      'spend-log': 'Spend log',
      disputes: 'Disputes',
      routing: 'Routing profiles',
      billing: 'Balance and billing',
      'management-keys': 'Management keys',
    };
    for (const path of SECTIONS) {
      await nav.getByRole('link', { name: titles[path], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: titles[path] }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/dashboard/${path}`);
      await page.waitForLoadState('networkidle');
      expect(await page.getByRole('alert').count(), path).toBe(0);
    }

    await section(page, 'routing', 'Routing profiles');
    const routing = page.getByRole('form', { name: 'Create a routing profile', exact: true });
    await routing.getByLabel('Name').fill('cheap first');
    await routing.getByLabel('Max input price per MTok (USD)').fill('1.5');
    await routing.getByLabel('Fallback models (in order)').fill(MODEL);
    await routing.getByRole('button', { name: 'Create profile' }).click();
    const profiles = page.getByRole('table', { name: 'Routing profiles', exact: true });
    await profiles
      .getByRole('row', { name: /cheap first/ })
      .getByText('$1.50')
      .waitFor();
    await profiles
      .getByRole('row', { name: /cheap first/ })
      .getByRole('button', { name: 'Edit' })
      .click();
    const edit = page.getByRole('form', { name: 'Edit routing profile cheap first', exact: true });
    await edit.getByLabel('Sort').selectOption('LATENCY');
    await edit.getByRole('button', { name: 'Save profile' }).click();
    await profiles
      .getByRole('row', { name: /cheap first/ })
      .getByText('latency')
      .waitFor();
    expect(await accessibilityViolations(page), 'routing').toEqual([]);

    // The profile is offered when a key is created, and bound to it.
    await section(page, 'keys', 'API keys');
    const create = page.getByRole('form', { name: 'Create a key', exact: true });
    await create.getByLabel('Name').fill('routed');
    await create.getByLabel('Routing profile').selectOption({ label: 'cheap first' });
    await create.getByLabel('Or a new group').fill('backend');
    await create.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('shown-once').waitFor();
    const key = (await graphql(stack.url, AccountKeysDocument, {}, account.jwt)).data!.apiKeys.items[0];
    expect(key.routingProfileId).not.toBeNull();
    expect(key.group?.name).toBe('backend');
    const groupRow = page.getByRole('table', { name: 'Key groups', exact: true }).getByRole('row', { name: /backend/ });
    await groupRow.getByRole('button', { name: 'Edit budget' }).click();
    await groupRow.getByLabel('Monthly budget (USD)').fill('100');
    await groupRow.getByRole('button', { name: 'Save' }).click();
    await groupRow.getByText('$100.00', { exact: true }).waitFor();
    expect((await graphql(stack.url, DragonflyListKeyGroupsDocument, {}, account.jwt)).data!.keyGroups).toMatchObject([
      { name: 'backend', monthlyBudget: { micros: 100_000_000 } },
    ]);
    expect(await accessibilityViolations(page), 'keys with a new key shown').toEqual([]);

    await section(page, 'management-keys', 'Management keys');
    const mk = page.getByRole('form', { name: 'Create a management key', exact: true });
    await mk.getByLabel('Name').fill('deploy bot');
    await mk.getByLabel('Scope').selectOption('BUYER');
    await mk.getByRole('button', { name: 'Create management key' }).click();
    const mkRaw = (await page.getByTestId('secret').textContent())!.trim();
    expect(mkRaw.startsWith(MANAGEMENT_KEY_PREFIX)).toBe(true);
    expect((await rest(stack.url, 'GET', '/api/keys', { token: mkRaw })).status).toBe(200);
    expect(await accessibilityViolations(page), 'management keys').toEqual([]);
    const mkRow = page.getByRole('table', { name: 'Management keys', exact: true }).getByRole('row', { name: /deploy bot/ });
    await mkRow.getByRole('button', { name: 'Disable' }).click();
    await mkRow.getByText('disabled').waitFor();
    await mkRow.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('form', { name: 'Rename deploy bot', exact: true }).getByLabel('New name').fill('release bot');
    await page.getByRole('form', { name: 'Rename deploy bot', exact: true }).getByRole('button', { name: 'Save' }).click();
    const renamed = page.getByRole('table', { name: 'Management keys', exact: true }).getByRole('row', { name: /release bot/ });
    await renamed.waitFor();
    await renamed.getByRole('button', { name: 'Delete' }).click();
    await renamed.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('No management keys yet.').waitFor();
    await page.reload();
    await page.getByText('No management keys yet.').waitFor();
    expectClean(watched);
  });

  it('a real request appears in usage and the spend log, with its receipt, and a dispute opens from it', async () => {
    const seller = await signup(stack.url, 'seller');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: await poolKey(stack.url, seller.jwt, 'sk-sim-console'),
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '2',
    });
    const buyer = await fundedBuyer(stack.url, '5');
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 }),
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id')!;
    const record = await eventually(async () => {
      const result = await graphql(stack.url, SpendLogRequestDocument, { id: requestId }, buyer.jwt);
      expect(result.data?.generation.id).toBe(requestId);
      return result.data!.generation;
    });

    const watched = await signedInPage(buyer.jwt);
    const { page } = watched;
    await section(page, 'usage', 'Usage');
    await page
      .getByRole('img', { name: /Spend and requests per day/ })
      .locator('canvas')
      .waitFor();
    await page
      .getByRole('table', { name: 'Usage by key, biggest spend first', exact: true })
      .getByRole('row', { name: /sdk/ })
      .getByRole('cell', { name: '1', exact: true })
      .first()
      .waitFor();
    await page.getByText('Per-day figures as a table').click();
    await page.getByRole('table', { name: 'Usage per UTC day', exact: true }).getByRole('row').nth(1).waitFor();

    await section(page, 'spend-log', 'Spend log');
    const row = page.getByRole('row', { name: new RegExp(requestId) });
    await row.getByText(MODEL).waitFor();
    await row.getByRole('button', { name: 'Details' }).click();
    await page.getByText(record.receipt, { exact: true }).waitFor();

    // Filters: another model matches nothing; clearing brings the row back.
    const filters = page.getByRole('form', { name: 'Spend log filters', exact: true });
    await filters.getByLabel('Model').fill('acme/none');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No requests match.').waitFor();
    await filters.getByRole('button', { name: 'Clear' }).click();
    await row.getByRole('button', { name: 'Dispute' }).click();
    const dispute = page.getByRole('form', { name: `Dispute request ${requestId}` });
    await dispute.getByLabel('Reason').fill('The answer was cut short');
    await dispute.getByRole('button', { name: 'Open dispute' }).click();
    await page
      .getByRole('status')
      .getByText(new RegExp(`Dispute opened for request ${requestId}`))
      .waitFor();
    const disputes = (await graphql(stack.url, DisputeListDocument, { page: 1, pageSize: 20 }, buyer.jwt)).data!.disputes.items;
    expect(disputes.map((entry) => entry.requestId)).toEqual([requestId]);

    await section(page, 'disputes', 'Disputes');
    const listed = page
      .getByRole('table', { name: 'Disputes, newest first', exact: true })
      .getByRole('row', { name: new RegExp(requestId) });
    await listed.getByText('The answer was cut short').waitFor();
    await listed.getByText(disputes[0].status.replace(/_/g, ' ').toLowerCase(), { exact: true }).waitFor();
    expectClean(watched);

    // With rows in every table (and the spend log's detail and dispute form open), each section
    // meets WCAG A/AA in light and dark.
    for (const colorScheme of ['light', 'dark'] as const) {
      const themed = await signedInPage(buyer.jwt, { colorScheme });
      for (const path of SECTIONS) {
        await themed.page.goto(`${stack.url}/dashboard/${path}`);
        await themed.page.getByRole('heading', { level: 1 }).waitFor();
        await themed.page.waitForLoadState('networkidle');
        if (path === 'spend-log') {
          const entry = themed.page.getByRole('row', { name: new RegExp(requestId) });
          await entry.getByRole('button', { name: 'Details' }).click();
          await themed.page.getByText(record.receipt, { exact: true }).waitFor();
        }
        if (path === 'keys') {
          await themed.page.getByTestId(`key-${buyer.keyId}`).getByRole('button', { name: 'Edit' }).click();
          await themed.page.getByRole('form', { name: 'Edit sdk', exact: true }).waitFor();
        }
        expect(await accessibilityViolations(themed.page), `${path} (${colorScheme})`).toEqual([]);
      }
      expectClean(themed);
    }
  }, 90_000);

  it('screenshots the keys section with a key in light and dark', async () => {
    const account = await signup(stack.url, 'screens');
    await graphql(
      stack.url,
      AccountCreateKeyDocument,
      { input: { name: 'production', limit: '50', cycle: 'MONTHLY', ipAllow: ['203.0.113.0/24'] } },
      account.jwt,
    );
    await graphql(stack.url, AccountCreateKeyDocument, { input: { name: 'staging', keyGroup: 'internal' } }, account.jwt);
    for (const scheme of ['light', 'dark'] as const) {
      const watched = await signedInPage(account.jwt, { colorScheme: scheme });
      await section(watched.page, 'keys', 'API keys');
      await watched.page.getByRole('table', { name: 'API keys', exact: true }).getByText('production').waitFor();
      await watched.page.getByRole('table', { name: 'Key groups', exact: true }).getByText('internal').waitFor();
      const background = await watched.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe(scheme === 'dark' ? 'rgb(15, 18, 22)' : 'rgb(247, 248, 250)');
      await screenshot(watched.page, `console-${scheme}`);
      expectClean(watched);
    }
  });
});
