// The web pages as HTTP answers (the browser suites drive them): where each page is served, its
// policy, the assets' caching, the IDE only in development, and a clear page when nothing is built.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP, registerWebPages } from '../../gateway/web-pages';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const html = { accept: 'text/html,application/xhtml+xml' };

describe('web pages over HTTP', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the overview at / and the console at /dashboard and below, under the page policy', async () => {
    for (const path of ['/', '/dashboard', '/dashboard/keys']) {
      const page = await fetch(`${stack.url}${path}`, { headers: html });
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const body = await page.text();
      expect(body).toContain('<div id="root"');
      // Every script and stylesheet is this origin's.
      for (const [, src] of body.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src.startsWith('/assets/'), src).toBe(true);
    }
    expect(await (await fetch(`${stack.url}/`)).text()).toContain('Network overview');
    expect(await (await fetch(`${stack.url}/dashboard/keys`)).text()).toContain('Console');
  });

  it('serves hashed assets with long-lived caching, and nothing outside the asset folder', async () => {
    const page = await (await fetch(`${stack.url}/`)).text();
    const script = page.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    for (const escape of ['/assets/../index.html', '/assets/%2e%2e/%2e%2e/package.json', '/assets/nope.js']) {
      const refused = await fetch(`${stack.url}${escape}`);
      expect(refused.status, escape).toBe(404);
    }
  });

  it('answers GET /graphql from a browser with the IDE, and a GET that names a query with its result', async () => {
    const ide = await fetch(`${stack.url}/graphql`, { headers: html });
    expect(ide.status).toBe(200);
    expect(await ide.text()).toContain('GraphQL IDE');
    const query = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(query.status).toBe(200);
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('has no IDE in production, while the overview and console stay', async () => {
    const production = await startEmbeddedStack({ NODE_ENV: 'production' });
    try {
      const ide = await fetch(`${production.url}/graphql`, { headers: html });
      expect(await ide.text()).not.toContain('GraphQL IDE');
      expect((await fetch(`${production.url}/`, { headers: html })).status).toBe(200);
    } finally {
      await production.stop();
    }
  });

  it('says how to build the pages when they are not built, with a 503', async () => {
    const app = Fastify();
    await registerWebPages(app, { production: false, dist: mkdtempSync(join(tmpdir(), 'no-web-')) });
    const answer = await app.inject({ method: 'GET', url: '/' });
    expect(answer.statusCode).toBe(503);
    expect(answer.body).toContain('npm run build:web');
    await app.close();
  });
});
