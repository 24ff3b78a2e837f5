// The web face, served from this origin: the network overview (/), the account console
// (/dashboard), and in development the GraphQL IDE (GET /graphql from a browser). The pages are
// built into web/dist by `npm run build:web` (run by npm's postinstall), and talk to the same
// /graphql and REST routes as every other client.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The policy of every page: this origin's scripts, styles, images and sockets only. */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // GraphiQL and the chart library set style attributes at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export const WEB_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');

const PAGES = { overview: 'index.html', console: 'dashboard/index.html', graphiql: 'graphiql/index.html' } as const;
type Page = keyof typeof PAGES;

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Dragonfly Market</title>
<body style="font-family: system-ui, sans-serif; margin: 2rem"><h1>The web pages are not built</h1>
<p>Run <code>npm run build:web</code> (npm runs it after <code>npm ci</code>), then reload.</p>
<p>The API is up: <code>/graphql</code>, <code>/v1</code>, <code>/api</code>.</p></body></html>`;

export interface WebPagesOptions {
  production: boolean;
  /** Where the built pages are; tests point it elsewhere. */
  dist?: string;
}

/** A browser asking for a page (not a GraphQL GET, which names a query). */
function wantsPage(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  const query = request.query as Record<string, unknown> | undefined;
  return accept.includes('text/html') && !(query && 'query' in query);
}

export async function registerWebPages(app: FastifyInstance, options: WebPagesOptions): Promise<void> {
  const dist = options.dist ?? WEB_DIST;
  const built = existsSync(join(dist, PAGES.overview));
  const html = new Map<Page, string>();
  const pageOf = (page: Page): string => {
    let text = html.get(page);
    if (text === undefined) {
      text = built ? readFileSync(join(dist, PAGES[page]), 'utf8') : NOT_BUILT;
      html.set(page, text);
    }
    return text;
  };
  const sendPage = (reply: FastifyReply, page: Page) =>
    reply
      .code(built ? 200 : 503)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', PAGE_CSP)
      .send(pageOf(page));

  if (built) {
    // Hashed file names: each may be cached for good.
    await app.register(fastifyStatic, {
      root: join(dist, 'assets'),
      prefix: '/assets/',
      immutable: true,
      maxAge: '365d',
      index: false,
      wildcard: true,
    });
  }
  app.get('/', async (_request, reply) => sendPage(reply, 'overview'));
  app.get('/dashboard', async (_request, reply) => sendPage(reply, 'console'));
  app.get('/dashboard/*', async (_request, reply) => sendPage(reply, 'console'));

  // GET /graphql from a browser in development: the IDE, in place of Apollo's CDN-loaded sandbox.
  // A GET that names a query, or asks for JSON, still reaches Apollo Server.
  if (!options.production) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'GET' || request.url.split('?')[0] !== '/graphql' || !wantsPage(request)) return;
      return sendPage(reply, 'graphiql');
    });
  }
}
