// The public network overview at `/`: it renders offline from the Dashboard* operations, a chat
// call shows up in the live job feed without a reload, the timeframe control sends NaaP's
// `timeframe` ("6") and `period` ("6h"), the README's screenshots (light, dark, 390 px), and the
// feed's state when its socket drops and comes back.
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardJobFeedDocument } from '../../schema/generated/graphql';
import { CHROMIUM, launchBrowser, openPage, screenshot } from '../helpers/browser';
import { CHAT_MODEL as MODEL, startChatMarket, type ChatMarket } from '../helpers/chat-market';
import { eventually } from '../helpers/eventually';
import { graphql } from '../helpers/graphql';
import type { TestStack } from '../helpers/stack';

interface SentOperation {
  name: string;
  variables: Record<string, unknown>;
}

/** Every GraphQL operation the page POSTs, by its operation name. */
function captureOperations(page: Page): SentOperation[] {
  const sent: SentOperation[] = [];
  page.on('request', (request) => {
    if (request.method() !== 'POST' || new URL(request.url()).pathname !== '/graphql') return;
    const body = request.postDataJSON() as { query: string; variables?: Record<string, unknown> };
    const name = /^\s*(?:query|mutation)\s+(\w+)/.exec(body.query)?.[1] ?? '(anonymous)';
    sent.push({ name, variables: body.variables ?? {} });
  });
  return sent;
}

describe.skipIf(!CHROMIUM)('network overview (browser)', () => {
  let market: ChatMarket;
  let stack: TestStack;
  let browser: Browser;
  const chat = (content: string) => market.chat(content);

  /** The page with its first data in: the tiles, and the live feed connected. */
  const loadOverview = async (page: Page, path = '/') => {
    // A missing element fails its own wait, well inside the test's time.
    page.setDefaultTimeout(10_000);
    await page.goto(`${stack.url}${path}`);
    await page.getByTestId('kpi-tiles').waitFor();
    await page.locator('[data-testid=live-status]', { hasText: /^Live$/ }).waitFor({ timeout: 10_000 });
  };

  beforeAll(async () => {
    market = await startChatMarket();
    stack = market.stack;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await market?.stop();
  });

  it('renders the tiles, charts and tables offline, with empty states before any traffic', async () => {
    const watched = await openPage(browser, stack.url);
    try {
      const { page } = watched;
      await loadOverview(page);
      const tiles = page.getByTestId('kpi-tiles').getByRole('group');
      expect(await tiles.allInnerTexts()).toHaveLength(5);
      for (const name of ['Success rate', 'Orchestrators online', 'Usage', 'Sessions', 'Network fees'])
        await page.getByRole('group', { name, exact: true }).waitFor();

      // Both hourly charts draw (uPlot's canvas), each labelled, with its figures as a table.
      for (const id of ['usage-chart', 'sessions-chart']) {
        await page.getByTestId(id).locator('canvas').first().waitFor();
        expect(await page.getByTestId(id).getByRole('img').getAttribute('aria-label')).toMatch(/per hour over the last 24 hours/);
        expect(await page.getByTestId(id).locator('table th[scope=col]').count()).toBe(2);
      }
      await page.getByRole('region', { name: 'Fees and volume' }).locator('canvas').first().waitFor();

      // Nothing has been served yet: the catalog lists the pipelines without models, and each
      // other section says in words that it is empty.
      await page.getByTestId('catalog-table').getByRole('rowheader', { name: /llm/ }).waitFor();
      expect(await page.getByTestId('catalog-table').getByText('None served in the last 30 days').count()).toBe(3);
      await page.getByText('No prices yet').waitFor();
      await page.getByText('No jobs yet.').waitFor();
      await page.getByText('No orchestrator served a request in the last 24 hours.').waitFor();
      await page.getByText('No pipeline served a request in the last 24 hours.').waitFor();
      await page.getByText('No admitted listing declares GPUs.').waitFor();
      await page.getByTestId('protocol').getByText('Settlement round').waitFor();

      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });

  it('prepends a chat call to the live job feed without a reload', async () => {
    const watched = await openPage(browser, stack.url);
    try {
      const { page } = watched;
      // Every frame the page's sockets receive (a reconnect on a loaded machine opens another).
      const frames: string[] = [];
      page.on('websocket', (socket) => socket.on('framereceived', (frame) => frames.push(String(frame.payload))));
      await loadOverview(page);
      await page.getByText('No jobs yet.').waitFor();
      // Its subscription has reached the gateway's upstream before the call is made.
      await eventually(() => expect(stack.platform!.gateway.subscriptionStats().upstreams).toBeGreaterThanOrEqual(1));
      await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));

      const jobId = await chat('Hello from the overview test.');

      const row = page.getByTestId('job-feed').locator('tbody tr').first();
      await row.getByText(MODEL).waitFor({ timeout: 15_000 });
      await row.getByText('completed').waitFor();
      // The same document (not a reload), and the job came over the socket.
      expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
      expect(frames.some((frame) => frame.includes('"type":"next"') && frame.includes(`"id":"${jobId}"`))).toBe(true);
      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });

  it('sends timeframe "6" and period "6h" when the timeframe is set to 6 hours', async () => {
    const watched = await openPage(browser, stack.url);
    try {
      const { page } = watched;
      const sent = captureOperations(page);
      await loadOverview(page);
      // The first load uses the default window, 24 hours.
      await eventually(() =>
        expect(sent.find((operation) => operation.name === 'DashboardOrchestrators')?.variables).toEqual({ period: '24h' }),
      );
      expect(sent.find((operation) => operation.name === 'DashboardKpi')?.variables).toEqual({ timeframe: '24' });
      sent.length = 0;

      await page.getByLabel('Timeframe').selectOption('6');

      const variablesOf = (name: string) => sent.filter((operation) => operation.name === name).map((operation) => operation.variables);
      await eventually(() => {
        expect(variablesOf('DashboardKpi')).toEqual([{ timeframe: '6' }]);
        expect(variablesOf('DashboardPipelines')).toEqual([{ timeframe: '6', limit: 200 }]);
        expect(variablesOf('DashboardGpuCapacity')).toEqual([{ timeframe: '6' }]);
        expect(variablesOf('DashboardOrchestrators')).toEqual([{ period: '6h' }]);
      });
      // Operations without a window are not sent again.
      expect(variablesOf('DashboardPricing')).toEqual([]);
      expect(variablesOf('DashboardPipelineCatalog')).toEqual([]);
      await page
        .getByTestId('usage-chart')
        .getByRole('img', { name: /over the last 6 hours/ })
        .waitFor();
      expect(new URL(page.url()).searchParams.get('timeframe')).toBe('6');

      // The fees chart has its own control: history in days.
      await page.getByLabel('History').selectOption('7');
      await eventually(() => expect(variablesOf('DashboardFees')).toEqual([{ days: 7 }]));
      await page.getByRole('img', { name: 'Daily fee volume in USD over the last 7 days' }).waitFor();

      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });

  it('shows the traffic in light, dark and at 390 px (screenshots)', async () => {
    for (const content of ['Summarise the network.', 'Name three pipelines.', 'What is a listing?']) await chat(content);
    // Jobs are recorded from the bus: all four are in before the pages load.
    await eventually(async () => expect((await graphql(stack.url, DashboardJobFeedDocument, { limit: 10 })).data?.jobFeed).toHaveLength(4));

    const shots = [
      { name: 'overview-light', colorScheme: 'light' as const, viewport: { width: 1280, height: 900 } },
      { name: 'overview-dark', colorScheme: 'dark' as const, viewport: { width: 1280, height: 900 } },
      { name: 'overview-mobile', colorScheme: 'light' as const, viewport: { width: 390, height: 844 } },
    ];
    for (const shot of shots) {
      const watched = await openPage(browser, stack.url, { colorScheme: shot.colorScheme, viewport: shot.viewport });
      try {
        const { page } = watched;
        await loadOverview(page);
        // The served traffic is in every section that counts it.
        await page.getByTestId('job-feed').locator('tbody tr').nth(3).waitFor();
        await page.getByTestId('orchestrators-table').getByText(MODEL).waitFor();
        await page.getByTestId('pipelines-table').getByText(MODEL).waitFor();
        await page.getByTestId('catalog-table').getByText(MODEL).waitFor();
        await page.getByTestId('pricing-table').getByText(MODEL).waitFor();
        await page.getByTestId('pricing-table').getByText('per 1M tokens').waitFor();
        await page.getByRole('group', { name: 'Sessions', exact: true }).getByText('4', { exact: true }).waitFor();
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(background).toBe(shot.colorScheme === 'dark' ? 'rgb(15, 18, 22)' : 'rgb(247, 248, 250)');
        // Nothing makes the page wider than the screen (wide tables scroll inside their card).
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(shot.viewport.width);
        await screenshot(page, shot.name);
        expect(watched.offMachine).toEqual([]);
        expect(watched.errors).toEqual([]);
      } finally {
        await watched.close();
      }
    }
  });
  it('says when the live connection drops, reconnects by itself and fills in the jobs it missed', async () => {
    const watched = await openPage(browser, stack.url);
    try {
      const { page } = watched;
      // The page's socket goes through the test, which can cut it as a restarting server would.
      const sockets: WebSocketRoute[] = [];
      await page.routeWebSocket(/\/graphql$/, (socket) => {
        socket.connectToServer();
        sockets.push(socket);
      });
      const sent = captureOperations(page);
      await loadOverview(page);
      const rowsBefore = await page.getByTestId('job-feed').locator('tbody tr').count();

      const fetchesBefore = sent.filter((operation) => operation.name === 'DashboardJobFeed').length;
      // The page's current socket (a loaded machine may already have reconnected once).
      await sockets[sockets.length - 1].close({ code: 1012, reason: 'Service restart' });
      await page.locator('[data-testid=live-status]', { hasText: 'Reconnecting' }).waitFor();
      // A job that finishes while the page is offline.
      await chat('Are you there?');
      await page.locator('[data-testid=live-status]', { hasText: /^Live$/ }).waitFor({ timeout: 15_000 });
      expect(sockets.length).toBeGreaterThanOrEqual(2);

      // The missed job is read back from the feed once the socket is back.
      await page.getByTestId('job-feed').locator('tbody tr').nth(rowsBefore).waitFor();
      expect(sent.filter((operation) => operation.name === 'DashboardJobFeed').length).toBeGreaterThan(fetchesBefore);
      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});

// A seller chooses its own display name, and the public overview shows it beside each job it served:
// markup in it is text, never an element or a script.
describe.skipIf(!CHROMIUM)('network overview with a hostile seller name (browser)', () => {
  const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  let market: ChatMarket;
  let browser: Browser;

  beforeAll(async () => {
    market = await startChatMarket({ sellerName: HOSTILE });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await market?.stop();
  });

  it('shows the name as text in the live feed and runs nothing', async () => {
    const watched = await openPage(browser, market.stack.url);
    try {
      const { page } = watched;
      await page.goto(market.stack.url);
      await page.locator('[data-testid=live-status]', { hasText: /^Live$/ }).waitFor();
      await eventually(() => expect(market.stack.platform!.gateway.subscriptionStats().upstreams).toBeGreaterThanOrEqual(1));
      await market.chat('Who served this?');
      const feed = page.getByTestId('job-feed');
      await feed.getByText(HOSTILE).first().waitFor();
      expect(await feed.locator('img, script').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(watched.offMachine).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});
