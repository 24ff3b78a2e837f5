// Request attribution and the spend log through the whole stack: the end user, tags and metadata of
// a real chat call against the simulator reach the usage record, the spend log, the breakdowns and
// the CSV export; bad attribution is a 400 before any upstream call and bills nothing. With usage
// injected as the data plane sends it (billing's applyUsage): exact breakdown figures, keyset
// paging without gaps or repeats, every filter, CSV quoting and formula defusing, the export cap,
// the credential matrix (another account never sees a row; a seller-scoped key is refused like
// /api/usage) and hostile input (SQL-ish filters, huge pages, forged cursors). The last block runs
// the same reads on PostgreSQL (scaled stack).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../gateway/simulator/server';
import type { UsageEvent } from '../../subgraphs/common/events';
import { billingFixtures } from '../helpers/billing';
import { HAVE_SCALED_SERVICES, logSkip } from '../helpers/config';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { eventually } from '../helpers/eventually';
import { graphql, rest } from '../helpers/graphql';
import { admittedListing, fundedBuyer, poolKey } from '../helpers/market';
import { startEmbeddedStack, startScaledStack, type TestStack } from '../helpers/stack';
import { expectError } from '../helpers/expect-error';

const MODEL = 'acme/spend-chat';
const HOUR = 3_600_000;
const ROUTES = ['/api/usage/requests', '/api/usage/requests.csv', '/api/usage/by-model', '/api/usage/by-tag', '/api/usage/by-user'];

type Response = Awaited<ReturnType<typeof rest>>;

/** RFC 4180: quoted cells may hold commas, doubled quotes and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      (row = []), (cell = ''), i++;
    } else cell += ch;
  }
  expect(cell, 'the export ends with CRLF').toBe('');
  expect(row).toEqual([]);
  return rows;
}

async function chat(url: string, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello' }], max_tokens: 16, ...body }),
  });
  return { status: response.status, requestId: response.headers.get('x-request-id')!, body: (await response.json()) as any };
}

describe('spend log (embedded)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;
  const fx = billingFixtures(() => stack);
  let seller: Awaited<ReturnType<typeof signup>>;
  let listing: string;
  let c: Credentials;
  const call = (path: string, token?: string) => rest(stack.url, 'GET', path, { token });

  beforeAll(async () => {
    process.env.SETTLEMENT_INTERVAL_MS = '0';
    sim = await startSimulator({ apiKeys: ['sk-sim-spend'] });
    stack = await startEmbeddedStack({
      SIMULATOR_URL: sim.url,
      CONTRACT_CHECK_INTERVAL_MS: '0',
      LISTING_COOLDOWN_MS: '0',
      MANAGEMENT_RATE_LIMIT_PER_MINUTE: '100000',
    });
    seller = await signup(stack.url, 'seller');
    listing = await admittedListing(stack.url, seller.jwt, {
      poolKeyId: await poolKey(stack.url, seller.jwt, 'sk-sim-spend'),
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '2',
    });
    c = await credentials(stack.url);
    // Injected usage is charged against the trial credit: wait until it is posted.
    await eventually(async () => expect((await fx.buckets(c.accountId)).promo).toBe(100_000));
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  describe('capture through a real chat call', () => {
    it('the end user, header and body tags and metadata reach the spend log, the breakdowns, the CSV and the receipt link', async () => {
      const buyer = await fundedBuyer(stack.url, '1');
      const sent = await chat(
        stack.url,
        buyer.key,
        { user: 'customer-42', tags: ['prod', 'team:search'], metadata: { order: 'A-1', note: 'first' } },
        { 'x-df-tags': 'team:search, exp.1' },
      );
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      const page = await eventually(async () => {
        const response = await call('/api/usage/requests', buyer.jwt);
        expect(response.status).toBe(200);
        expect(response.body.requests).toHaveLength(1);
        return response.body;
      });
      const row = page.requests[0];
      expect(row).toMatchObject({
        id: sent.requestId,
        keyId: buyer.keyId,
        model: MODEL,
        listingId: listing,
        capability: 'chat',
        status: 'completed',
        tags: ['team:search', 'exp.1', 'prod'],
        user: 'customer-42',
        metadata: { order: 'A-1', note: 'first' },
        receiptUrl: `/api/usage/requests/${sent.requestId}`,
      });
      expect(row.inputTokens).toBeGreaterThan(0);
      expect(row.costMicros).toBeGreaterThan(0);
      expect(row.cost).toBe(row.costMicros / 1_000_000);
      expect(page.nextCursor).toBeNull();

      // The receipt link is the record the buyer key reads at /v1/generation, signed the same.
      const linked = await call(row.receiptUrl, buyer.jwt);
      expect(linked.status).toBe(200);
      const generation = await rest(stack.url, 'GET', `/v1/generation?id=${sent.requestId}`, { token: buyer.key });
      expect(linked.body.receipt).toBe(generation.body.data.receipt);
      expect(linked.body).toMatchObject({ id: sent.requestId, costMicros: row.costMicros, status: 'completed' });

      const byTag = (await call('/api/usage/by-tag', buyer.jwt)).body.tags;
      expect(byTag.map((t: { tag: string }) => t.tag).sort()).toEqual(['exp.1', 'prod', 'team:search']);
      for (const tag of byTag) expect(tag).toMatchObject({ requests: 1, costMicros: row.costMicros, inputTokens: row.inputTokens });
      expect((await call('/api/usage/by-user', buyer.jwt)).body.users).toEqual([
        {
          user: 'customer-42',
          requests: 1,
          inputTokens: row.inputTokens,
          outputTokens: row.outputTokens,
          characters: 0,
          cost: row.cost,
          costMicros: row.costMicros,
        },
      ]);
      expect((await call('/api/usage/by-model', buyer.jwt)).body.models).toEqual([
        {
          model: MODEL,
          requests: 1,
          inputTokens: row.inputTokens,
          outputTokens: row.outputTokens,
          characters: 0,
          cost: row.cost,
          costMicros: row.costMicros,
        },
      ]);
      expect((await call('/api/usage/requests?tag=exp.1', buyer.jwt)).body.requests.map((r: { id: string }) => r.id)).toEqual([
        sent.requestId,
      ]);
      expect((await call('/api/usage/requests?tag=other', buyer.jwt)).body.requests).toEqual([]);

      // The same request is in the (public) job feed, which carries no end user, tags or metadata.
      const job = await eventually(async () => {
        const entry = await graphql<any, any>(stack.url, 'query ($id: ID!) { jobFeedEntry(id: $id) { id model status } }', {
          id: sent.requestId,
        });
        expect(entry.data?.jobFeedEntry).toEqual({ id: sent.requestId, model: MODEL, status: 'completed' });
        return entry;
      });
      expect(JSON.stringify(job)).not.toMatch(/customer-42|team:search|A-1/);

      const csv = await call('/api/usage/requests.csv', buyer.jwt);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const [header, line] = parseCsv(csv.body.__raw);
      const cells = Object.fromEntries(header.map((name, i) => [name, line[i]]));
      expect(cells).toMatchObject({
        request_id: sent.requestId,
        user: 'customer-42',
        tags: 'team:search exp.1 prod',
        cost_micros: String(row.costMicros),
        status: 'completed',
      });
      expect(JSON.parse(cells.metadata)).toEqual({ order: 'A-1', note: 'first' });
    });

    it('refuses bad attribution with a 400 in OpenAI’s envelope before any upstream call, and bills nothing', async () => {
      const buyer = await fundedBuyer(stack.url, '1');
      const before = await fx.buckets(buyer.accountId);
      const upstreamCalls = sim.requestCount();
      const cases: [Record<string, unknown>, Record<string, string>, string][] = [
        [{ user: 'u'.repeat(257) }, {}, 'user'],
        [{ user: 42 }, {}, 'user'],
        [{ tags: 'prod' }, {}, 'tags'],
        [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, {}, 'tags'],
        [{ tags: ["x' or 1=1 --"] }, {}, 'tags[0]'],
        [{}, { 'x-df-tags': 'a'.repeat(65) }, 'x-df-tags'],
        [{}, { 'x-df-tags': '=HYPERLINK("x")' }, 'x-df-tags'],
        [{ metadata: { big: 'v'.repeat(513) } }, {}, 'metadata.big'],
        [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, {}, 'metadata'],
        [{ metadata: { n: 1 } }, {}, 'metadata.n'],
        [{ metadata: ['a'] }, {}, 'metadata'],
      ];
      for (const [body, headers, param] of cases) {
        const refused = await chat(stack.url, buyer.key, body, headers);
        expect({ status: refused.status, param: refused.body.error?.param, type: refused.body.error?.type }, JSON.stringify(body)).toEqual({
          status: 400,
          param,
          type: 'invalid_request_error',
        });
        expect(Object.keys(refused.body)).toEqual(['error']);
      }
      expect(sim.requestCount()).toBe(upstreamCalls);
      // One good request afterwards: it alone is in the log and it alone was charged.
      const good = await chat(stack.url, buyer.key, { user: 'ok' });
      expect(good.status).toBe(200);
      const rows = await eventually(async () => {
        const response = await call('/api/usage/requests', buyer.jwt);
        expect(response.body.requests).toHaveLength(1);
        return response.body.requests;
      });
      expect(rows[0].id).toBe(good.requestId);
      const after = await fx.buckets(buyer.accountId);
      expect(before.balance + before.promo - (after.balance + after.promo)).toBe(rows[0].costMicros);
    });
  });

  describe('injected usage', () => {
    /** The owner's rows, oldest to newest, an hour apart from `base`; two share one instant (the id breaks the tie). */
    const base = Date.now() - 20 * HOUR;
    let keyA: string;
    let keyB: string;
    let events: UsageEvent[];
    /** The ids newest first, as the log must order them. */
    let expected: string[];

    beforeAll(async () => {
      keyA = c.buyerKeyId;
      keyB = `key-${randomUUID()}`;
      const at = (hours: number) => new Date(base + hours * HOUR).toISOString();
      const owner = { accountId: c.accountId, jwt: c.jwt };
      const e = (id: string, hours: number, overrides: Partial<UsageEvent>) =>
        fx.usage(owner, null, {
          requestId: `req_${id}_${randomUUID().slice(0, 8)}`,
          keyId: keyA,
          occurredAt: at(hours),
          costMicros: 1_000,
          ...overrides,
        });
      events = [
        e('a', 0, { model: 'acme/alpha', tags: ['prod', 'team:a'], endUser: 'alice', listingId: 'listing-x' }),
        e('b', 1, { model: 'acme/alpha', tags: ['prod'], endUser: 'bob', costMicros: 2_000 }),
        e('c', 2, {
          model: 'acme/beta',
          tags: ['team:a'],
          endUser: 'alice',
          keyId: keyB,
          costMicros: 4_000,
          inputTokens: 7,
          outputTokens: 3,
        }),
        e('d', 3, { model: 'acme/beta', status: 'failed', costMicros: 0, inputTokens: 0, outputTokens: 0 }),
        e('e', 4, { model: 'acme/beta', status: 'cancelled', costMicros: 500, endUser: 'bob' }),
        e('f', 5, {
          model: '=1+1',
          endUser: '@SUM(A1)',
          tags: ['x'],
          metadata: [
            { key: 'note', value: 'a "b", c\r\nd' },
            { key: 'f', value: "=cmd|' /C calc'!A0" },
          ],
        }),
        e('g', 5, { model: 'acme/alpha', costMicros: 8_000 }),
      ];
      expect(await fx.apply(...events)).toBe(events.length);
      expected = [...events]
        .sort((x, y) => (x.occurredAt === y.occurredAt ? (x.requestId < y.requestId ? 1 : -1) : x.occurredAt < y.occurredAt ? 1 : -1))
        .map((x) => x.requestId);
    });

    const ids = (response: Response) => response.body.requests.map((r: { id: string }) => r.id);

    it('pages newest first by cursor, without gaps or repeats, ties broken by request id', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response: Response = await call(`/api/usage/requests?limit=3${cursor ? `&after=${cursor}` : ''}`, c.jwt);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        expect(response.body.requests.length).toBeLessThanOrEqual(3);
        seen.push(...ids(response));
        cursor = response.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(expected);
    });

    it('filters by key, model, listing, status, tag, end user and date range, alone and together', async () => {
      const only = (pred: (e: UsageEvent) => boolean) => expected.filter((id) => pred(events.find((e) => e.requestId === id)!));
      const cases: [string, (e: UsageEvent) => boolean][] = [
        [`keyId=${keyB}`, (e) => e.keyId === keyB],
        ['model=acme%2Falpha', (e) => e.model === 'acme/alpha'],
        ['listingId=listing-x', (e) => e.listingId === 'listing-x'],
        ['status=failed', (e) => e.status === 'failed'],
        ['status=cancelled', (e) => e.status === 'cancelled'],
        ['tag=prod', (e) => !!e.tags?.includes('prod')],
        ['tag=team:a&user=alice', (e) => !!e.tags?.includes('team:a') && e.endUser === 'alice'],
        ['user=bob', (e) => e.endUser === 'bob'],
        [
          `from=${new Date(base + 2 * HOUR).toISOString()}&to=${new Date(base + 4 * HOUR).toISOString()}`,
          (e) => e.occurredAt >= new Date(base + 2 * HOUR).toISOString() && e.occurredAt < new Date(base + 4 * HOUR).toISOString(),
        ],
        ['model=acme%2Fbeta&status=completed', (e) => e.model === 'acme/beta' && e.status === 'completed'],
      ];
      for (const [query, pred] of cases) {
        const response = await call(`/api/usage/requests?${query}`, c.jwt);
        expect(response.status, query).toBe(200);
        expect(ids(response), query).toEqual(only(pred));
        expect(only(pred).length, `${query} selects something`).toBeGreaterThan(0);
      }
    });

    it('breaks usage down by model, tag and end user with exact figures (a request counts under each of its tags)', async () => {
      const models = (await call('/api/usage/by-model', c.jwt)).body.models;
      expect(models.map((m: { model: string; costMicros: number; requests: number }) => [m.model, m.costMicros, m.requests])).toEqual([
        ['acme/alpha', 11_000, 3],
        ['acme/beta', 4_500, 3],
        ['=1+1', 1_000, 1],
      ]);
      const beta = models.find((m: { model: string }) => m.model === 'acme/beta');
      expect(beta).toMatchObject({ inputTokens: 7 + 0 + 100, outputTokens: 3 + 0 + 50, cost: 0.0045 });
      const tags = (await call('/api/usage/by-tag', c.jwt)).body.tags;
      expect(tags.map((t: { tag: string; costMicros: number; requests: number }) => [t.tag, t.costMicros, t.requests])).toEqual([
        ['team:a', 5_000, 2],
        ['prod', 3_000, 2],
        ['x', 1_000, 1],
      ]);
      const users = (await call('/api/usage/by-user', c.jwt)).body.users;
      expect(users.map((u: { user: string | null; costMicros: number; requests: number }) => [u.user, u.costMicros, u.requests])).toEqual([
        [null, 8_000, 2],
        ['alice', 5_000, 2],
        ['bob', 2_500, 2],
        ['@SUM(A1)', 1_000, 1],
      ]);
      // The window bounds the breakdowns like /api/usage; limit bounds the rows.
      const early = await call(
        `/api/usage/by-tag?from=${new Date(base - HOUR).toISOString()}&to=${new Date(base + HOUR).toISOString()}`,
        c.jwt,
      );
      expect(early.body.tags.map((t: { tag: string }) => t.tag).sort()).toEqual(['prod', 'team:a']);
      expect(early.body.from).toBe(new Date(base - HOUR).toISOString());
      expect((await call('/api/usage/by-user?limit=1', c.jwt)).body.users).toHaveLength(1);
    });

    it('exports CSV quoted and formula-safe, capped with a header and a cursor to go on from', async () => {
      const csv = await call('/api/usage/requests.csv', c.jwt);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-disposition')).toBe('attachment; filename="spend-log.csv"');
      expect(csv.headers.get('x-df-export-truncated')).toBeNull();
      expect(csv.headers.get('x-df-export-rows')).toBe(String(events.length));
      const [header, ...rows] = parseCsv(csv.body.__raw);
      expect(header).toEqual([
        'request_id',
        'created_at',
        'key_id',
        'model',
        'listing_id',
        'capability',
        'status',
        'input_tokens',
        'output_tokens',
        'characters',
        'cost_micros',
        'cost_usd',
        'latency_ms',
        'tags',
        'user',
        'metadata',
        'receipt_url',
      ]);
      expect(rows.map((r) => r[0])).toEqual(expected);
      const hostile = Object.fromEntries(header.map((name, i) => [name, rows.find((r) => r[0].startsWith('req_f_'))![i]]));
      expect(hostile.model).toBe("'=1+1");
      expect(hostile.user).toBe("'@SUM(A1)");
      // The metadata cell is JSON, so it starts with `{`; its values keep their quotes, commas and line breaks.
      expect(JSON.parse(hostile.metadata)).toEqual({ note: 'a "b", c\r\nd', f: "=cmd|' /C calc'!A0" });
      expect(hostile).toMatchObject({ cost_micros: '1000', cost_usd: '0.001000', status: 'completed', tags: 'x' });
      // No cell of any row starts with a formula character.
      for (const row of rows) for (const cell of row) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);

      const cut = await call('/api/usage/requests.csv?limit=4', c.jwt);
      expect(cut.headers.get('x-df-export-truncated')).toBe('true');
      expect(cut.headers.get('x-df-export-rows')).toBe('4');
      const rest1 = parseCsv(cut.body.__raw)
        .slice(1)
        .map((r) => r[0]);
      const more = await call(`/api/usage/requests.csv?after=${cut.headers.get('x-df-next-cursor')}`, c.jwt);
      expect(more.headers.get('x-df-export-truncated')).toBeNull();
      expect([
        ...rest1,
        ...parseCsv(more.body.__raw)
          .slice(1)
          .map((r) => r[0]),
      ]).toEqual(expected);
      expectError('dragonfly', await call('/api/usage/requests.csv?limit=10001', c.jwt), 400, 'BAD_USER_INPUT', 'limit');
      const filtered = parseCsv((await call('/api/usage/requests.csv?tag=prod', c.jwt)).body.__raw);
      expect(filtered.slice(1).map((r) => r[0])).toEqual(
        expected.filter((id) => events.find((e) => e.requestId === id)!.tags?.includes('prod')),
      );
    });

    it('answers hostile input with a 400 in the Dragonfly envelope, or an empty page, never a 500 or another row', async () => {
      for (const query of [
        "model=' OR '1'='1",
        'user=x%27%20OR%201%3D1%20--',
        'keyId=%27%3B%20drop%20table%20usage_records%3B%20--',
        "listingId=' or 1=1",
      ]) {
        const response = await call(`/api/usage/requests?${query}`, c.jwt);
        expect(response.status, query).toBe(200);
        expect(response.body.requests, query).toEqual([]);
      }
      expectError('dragonfly', await call("/api/usage/requests?tag=' OR 1=1 --", c.jwt), 400, 'BAD_USER_INPUT', 'tag');
      expectError('dragonfly', await call('/api/usage/requests?status=any', c.jwt), 400, 'BAD_USER_INPUT', 'status');
      expectError('dragonfly', await call('/api/usage/requests?limit=1000000', c.jwt), 400, 'BAD_USER_INPUT', 'limit');
      expectError('dragonfly', await call('/api/usage/requests?limit=99999999999999', c.jwt), 400, 'BAD_USER_INPUT', 'limit');
      expectError('dragonfly', await call('/api/usage/requests?limit=0', c.jwt), 400, 'BAD_USER_INPUT', 'limit');
      expectError('dragonfly', await call('/api/usage/requests?limit=ten', c.jwt), 400, 'BAD_USER_INPUT', 'limit');
      expectError('dragonfly', await call('/api/usage/by-tag?limit=1001', c.jwt), 400, 'BAD_USER_INPUT', 'limit');
      expectError('dragonfly', await call('/api/usage/requests?after=not-a-cursor!', c.jwt), 400, 'BAD_USER_INPUT', 'after');
      expectError(
        'dragonfly',
        await call(`/api/usage/requests?after=${Buffer.from("1' or 1=1 --").toString('base64url')}`, c.jwt),
        400,
        'BAD_USER_INPUT',
        'after',
      );
      expectError('dragonfly', await call('/api/usage/requests?from=yesterday', c.jwt), 400, 'BAD_USER_INPUT', 'from');
      expectError(
        'dragonfly',
        await call(`/api/usage/requests?from=${new Date().toISOString()}&to=${new Date(base).toISOString()}`, c.jwt),
        400,
        'BAD_USER_INPUT',
        'from',
      );
      expectError('dragonfly', await call('/api/usage/requests?model=a&model=b', c.jwt), 400, 'BAD_USER_INPUT', 'model');
      expectError('dragonfly', await call('/api/usage/requests?models=acme%2Falpha', c.jwt), 400, 'BAD_USER_INPUT', 'models');
      expectError('dragonfly', await call(`/api/usage/requests?user=${'u'.repeat(257)}`, c.jwt), 400, 'BAD_USER_INPUT', 'user');
      // GraphQL bounds its page the same way; a huge literal page is refused by the cost limit before it runs.
      const over = await graphql(stack.url, 'query { spendLog(limit: 201) { items { id } } }', {}, c.jwt);
      expect(over.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const huge = await graphql<any, any>(stack.url, 'query { spendLog(limit: 100000) { items { id } } }', {}, c.jwt);
      expect(huge.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(huge.data ?? null).toBeNull();
    });

    it('shows rows to their account only: a seller-scoped key, a buyer key and no credential are refused like /api/usage', async () => {
      for (const path of ROUTES) {
        expectError('dragonfly', await call(path), 401, 'UNAUTHENTICATED');
        expectError('dragonfly', await call(path, c.buyerKey), 403, 'FORBIDDEN');
        expectError('dragonfly', await call(path, c.mkSeller), 403, 'FORBIDDEN');
        expectError('dragonfly', await call(path, c.mkDisabled), 401, 'UNAUTHENTICATED');
        expectError('dragonfly', await call(path, c.jwtForged), 401, 'UNAUTHENTICATED');
        for (const token of [c.mkBuyer, c.mkFull]) expect((await call(path, token)).status, path).toBe(200);
        // The same refusal as /api/usage itself for the seller-scoped key.
        expect((await call('/api/usage', c.mkSeller)).status).toBe(403);
      }
      expect(ids(await call('/api/usage/requests', c.mkBuyer))).toEqual(expected);
      // Another account: none of these rows, whatever it filters on; the receipt link is not found.
      for (const query of ['', `?keyId=${keyA}`, '?tag=prod', '?user=alice']) {
        expect((await call(`/api/usage/requests${query}`, c.other.jwt)).body.requests, query).toEqual([]);
        expect((await call(`/api/usage/requests${query}`, c.other.mkFull)).body.requests, query).toEqual([]);
      }
      for (const path of ['/api/usage/by-model', '/api/usage/by-tag', '/api/usage/by-user']) {
        expect(Object.values((await call(path, c.other.jwt)).body).find(Array.isArray)).toEqual([]);
      }
      expect(parseCsv((await call('/api/usage/requests.csv', c.other.jwt)).body.__raw)).toHaveLength(1);
      expectError('dragonfly', await call(`/api/usage/requests/${expected[0]}`, c.other.jwt), 404, 'NOT_FOUND');
      expect((await call(`/api/usage/requests/${expected[0]}`, c.jwt)).status).toBe(200);
      expectError('dragonfly', await call(`/api/usage/requests/${expected[0]}`, c.mkSeller), 403, 'FORBIDDEN');
    });

    it('serves the same log in GraphQL, with each row’s signed receipt, to its owner only', async () => {
      const query =
        'query ($tag: String) { spendLog(tag: $tag, limit: 2) { items { id tags user metadata { key value } cost { micros usd } receipt } nextCursor } usageByTag { tag requests } usageByUser { user } usageByModel { model } }';
      const mine = await graphql<any, any>(stack.url, query, { tag: 'team:a' }, c.jwt);
      expect(mine.errors).toBeUndefined();
      expect(mine.data.spendLog.items.map((i: { id: string }) => i.id)).toEqual(
        expected.filter((id) => events.find((e) => e.requestId === id)!.tags?.includes('team:a')),
      );
      expect(mine.data.spendLog.items[0]).toMatchObject({ tags: ['team:a'], user: 'alice', cost: { micros: 4_000, usd: '0.004000' } });
      const generation = await graphql<any, any>(
        stack.url,
        'query ($id: ID!) { generation(id: $id) { receipt } }',
        { id: mine.data.spendLog.items[0].id },
        c.jwt,
      );
      expect(mine.data.spendLog.items[0].receipt).toBe(generation.data.generation.receipt);
      const seller = await graphql<any, any>(stack.url, query, {}, c.mkSeller);
      expect(seller.data).toBeNull();
      expect(seller.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const other = await graphql<any, any>(stack.url, query, {}, c.other.jwt);
      expect(other.data).toMatchObject({ spendLog: { items: [], nextCursor: null }, usageByTag: [], usageByUser: [], usageByModel: [] });
    });
  });
});

describe.runIf(HAVE_SCALED_SERVICES)('spend log (scaled: PostgreSQL)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let stack: TestStack;

  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: ['sk-sim-spend-pg'] });
    stack = await startScaledStack({ SIMULATOR_URL: sim.url, CONTRACT_CHECK_INTERVAL_MS: '0', LISTING_COOLDOWN_MS: '0' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await sim?.close();
  });

  it('captures, pages, filters, breaks down and exports on PostgreSQL', async () => {
    const seller = await signup(stack.url, 'seller');
    await admittedListing(stack.url, seller.jwt, {
      poolKeyId: await poolKey(stack.url, seller.jwt, 'sk-sim-spend-pg'),
      model: MODEL,
      upstreamModel: 'sim-chat',
      capability: 'CHAT',
      inputPricePerMTok: '1',
      outputPricePerMTok: '2',
    });
    const buyer = await fundedBuyer(stack.url, '1');
    const sent: string[] = [];
    for (const [user, tags] of [
      ['u1', 'a,b'],
      ['u2', 'b'],
      ['u1', ''],
    ] as const) {
      const response = await chat(stack.url, buyer.key, { user, metadata: { n: user } }, tags ? { 'x-df-tags': tags } : {});
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      sent.push(response.requestId);
    }
    const all = await eventually(
      async () => {
        const response = await rest(stack.url, 'GET', '/api/usage/requests', { token: buyer.jwt });
        expect(response.body.requests).toHaveLength(3);
        return response.body.requests as { id: string; costMicros: number; createdAt: string }[];
      },
      { timeoutMs: 20_000 },
    );
    expect(new Set(all.map((r) => r.id))).toEqual(new Set(sent));
    const first = await rest(stack.url, 'GET', '/api/usage/requests?limit=2', { token: buyer.jwt });
    const second = await rest(stack.url, 'GET', `/api/usage/requests?limit=2&after=${first.body.nextCursor}`, { token: buyer.jwt });
    expect([...first.body.requests, ...second.body.requests].map((r: { id: string }) => r.id)).toEqual(all.map((r) => r.id));
    expect(second.body.nextCursor).toBeNull();
    expect(
      (await rest(stack.url, 'GET', '/api/usage/requests?tag=b&user=u2', { token: buyer.jwt })).body.requests.map(
        (r: { id: string }) => r.id,
      ),
    ).toEqual([sent[1]]);
    const tags = (await rest(stack.url, 'GET', '/api/usage/by-tag', { token: buyer.jwt })).body.tags;
    expect(Object.fromEntries(tags.map((t: { tag: string; requests: number }) => [t.tag, t.requests]))).toEqual({ a: 1, b: 2 });
    const users = (await rest(stack.url, 'GET', '/api/usage/by-user', { token: buyer.jwt })).body.users;
    expect(Object.fromEntries(users.map((u: { user: string; requests: number }) => [u.user, u.requests]))).toEqual({ u1: 2, u2: 1 });
    const total = all.reduce((sum, r) => sum + r.costMicros, 0);
    expect((await rest(stack.url, 'GET', '/api/usage/by-model', { token: buyer.jwt })).body.models).toMatchObject([
      { model: MODEL, requests: 3, costMicros: total },
    ]);
    const csv = parseCsv((await rest(stack.url, 'GET', '/api/usage/requests.csv?user=u1', { token: buyer.jwt })).body.__raw);
    expect(csv.slice(1).map((r) => r[0])).toEqual(all.map((r) => r.id).filter((id) => id !== sent[1]));
    expect(
      (await rest(stack.url, 'GET', `/api/usage/requests?after=${Buffer.from('x').toString('base64url')}`, { token: buyer.jwt })).status,
    ).toBe(400);
  }, 60_000);
});
if (!HAVE_SCALED_SERVICES) logSkip('the spend log on PostgreSQL (scaled stack)');
