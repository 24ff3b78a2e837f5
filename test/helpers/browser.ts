// Browser tests drive Debian's chromium through playwright-core (no browser download). Without a
// chromium on the machine the suites skip and say so; CI installs one.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((path): path is string =>
  Boolean(path),
);
export const CHROMIUM = CANDIDATES.find((path) => existsSync(path));
if (!CHROMIUM) console.warn('[browser tests] SKIPPED: no chromium on this machine (apt-get install -y chromium)');

/** Where the tests write the screenshots the README shows (kept by CI). */
export const SCREENSHOTS = join(process.cwd(), 'docs', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Requests (and sockets) to anywhere but the stack under test: each was refused. */
  offMachine: string[];
  /** Uncaught page errors and console errors. */
  errors: string[];
  close(): Promise<void>;
}

/** A page in its own context that refuses and records every request leaving the stack's origin. */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<WatchedPage> {
  const origin = new URL(baseUrl);
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? { width: 1280, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const offMachine: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === origin.host || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    offMachine.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('websocket', (socket) => {
    if (new URL(socket.url()).host !== origin.host) offMachine.push(socket.url());
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message} ${error.stack ?? ''}`.trim()));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { page, context, offMachine, errors, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export interface AccessibilityViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * WCAG 2 A/AA violations on the page as it is now, by axe-core (contrast, labels, names, roles).
 * Run through the DevTools protocol, so the page's own script policy does not apply to it.
 */
export async function accessibilityViolations(page: Page): Promise<AccessibilityViolation[]> {
  const { readFileSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
    }));
  });
}
