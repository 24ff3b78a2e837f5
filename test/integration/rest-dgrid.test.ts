// DGrid's key-management REST surface (gateway/rest/dgrid.ts) through a whole embedded stack:
// /v1/management-keys (JWT only) and /api/v1/model-router/keys (management key only), the
// `{code, message, data}` envelope, DGrid's 5-digit error codes, and every route × credential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DgridFixtureCreateKeyGroupDocument } from '../../schema/generated/graphql';
import { KeyUsage } from '../../subgraphs/billing/entities/KeyUsage';
import { KeyUsageDaily } from '../../subgraphs/billing/entities/KeyUsageDaily';
import { utcDay } from '../../subgraphs/common/cycles';
import { dgridErrorFrom } from '../../gateway/rest/dgrid';
import { graphql, rest } from '../helpers/graphql';
import { startTestStack, TEST_TOPOLOGY, type TestStack } from '../helpers/stack';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { expectError } from '../helpers/expect-error';

const MK = '/v1/management-keys';
const K = '/api/v1/model-router/keys';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';
const MANAGEMENT_KEY_FIELDS = ['createdAt', 'enabled', 'id', 'keyPreview', 'name', 'scope', 'status'];
const KEY_FIELDS = ['cycle', 'enabled', 'expiredAt', 'groupId', 'groupName', 'id', 'key', 'limit', 'name', 'usageInCycle', 'usageInTotal'];

type Cred =
  | 'none'
  | 'basic'
  | 'garbage'
  | 'jwt'
  | 'jwtForged'
  | 'buyerKey'
  | 'mkBuyer'
  | 'mkSeller'
  | 'mkFull'
  | 'mkDisabled'
  | 'mkForged'
  | 'otherJwt'
  | 'otherMk';
type Options = { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> };
type Response = Awaited<ReturnType<typeof rest>>;

describe('DGrid REST', () => {
  let stack: TestStack;
  let creds: Credentials;

  beforeAll(async () => {
    stack = await startTestStack();
    creds = await credentials(stack.url);
  });
  afterAll(() => stack?.stop());

  const call = (method: string, path: string, options: Options = {}) => rest(stack.url, method, path, options);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** The Authorization a credential name stands for. */
  function auth(cred: Cred): Options {
    switch (cred) {
      case 'none':
        return {};
      case 'basic':
        return { headers: { authorization: 'Basic dXNlcjpwYXNz' } };
      case 'garbage':
        return { token: 'not-a-credential' };
      case 'otherJwt':
        return { token: creds.other.jwt };
      case 'otherMk':
        return { token: creds.other.mkFull };
      default:
        return { token: creds[cred] };
    }
  }

  function expectOk(response: Response) {
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['code', 'data', 'message']);
    expect(response.body).toMatchObject({ code: 200, message: 'ok' });
    return response.body.data;
  }

  async function newManagementKey(jwt: string, body: Record<string, unknown> = { name: 'fixture' }) {
    return expectOk(await call('POST', MK, { token: jwt, body }));
  }

  async function newKey(mk: string, body: Record<string, unknown> = { name: 'fixture' }): Promise<{ id: string; key: string }> {
    return expectOk(await call('POST', K, { token: mk, body }));
  }

  /** A fresh account with its own management key: pagination and quotas start from zero. */
  async function freshAccount() {
    const account = await signup(stack.url, 'dgrid');
    const mk = await newManagementKey(account.jwt, { name: 'automation' });
    return { ...account, mk: mk.key as string, mkId: mk.id as string };
  }

  // ---------------------------------------------------------------------------------------------
  describe('/v1/management-keys: credential matrix', () => {
    let targetId: string;
    beforeAll(async () => {
      targetId = (await newManagementKey(creds.jwt, { name: 'matrix target' })).id;
    });

    const routes: [string, string, (id: string) => string, unknown][] = [
      ['create', 'POST', () => MK, { name: 'matrix' }],
      ['list', 'GET', () => MK, undefined],
      ['rename', 'PUT', (id) => `${MK}/${id}`, { name: 'renamed' }],
      ['delete', 'DELETE', (id) => `${MK}/${id}`, undefined],
      ['enable', 'POST', (id) => `${MK}/${id}/enablement`, undefined],
      ['disable', 'POST', (id) => `${MK}/${id}/disablement`, undefined],
    ];
    const refused: [Cred, number, number][] = [
      ['none', 401, 40101],
      ['basic', 401, 40102],
      ['garbage', 401, 40102],
      ['jwtForged', 401, 40102],
      ['buyerKey', 403, 40301],
      ['mkBuyer', 403, 40301],
      ['mkSeller', 403, 40301],
      ['mkFull', 403, 40301], // a valid management key is still the wrong key type here
      ['mkDisabled', 403, 40301],
      ['mkForged', 403, 40301],
      ['otherMk', 403, 40301],
    ];
    const matrix = routes.flatMap(([name, method, path, body]) =>
      refused.map(([cred, status, code]) => [name, cred, method, path, body, status, code] as const),
    );

    it.each(matrix)('%s with %s → %s', async (_name, cred, method, path, body, status, code) => {
      expectError('dgrid', await call(method, path(targetId), { ...auth(cred), body }), status, code);
    });

    it('left the target untouched through every refusal', async () => {
      const list = expectOk(await call('GET', `${MK}?size=100`, { token: creds.jwt }));
      expect(list.items.find((item: { id: string }) => item.id === targetId)).toMatchObject({ name: 'matrix target', enabled: true });
    });

    it.each(routes.filter(([name]) => name !== 'create' && name !== 'list'))(
      "another account's JWT on %s → 40401, never data",
      async (_name, method, path, body) => {
        expectError('dgrid', await call(method, path(targetId), { token: creds.other.jwt, body }), 404, 40401);
      },
    );

    it("another account's JWT lists only its own management keys", async () => {
      const list = expectOk(await call('GET', `${MK}?size=100`, { token: creds.other.jwt }));
      expect(list.total).toBe(1);
      expect(list.items.map((item: { id: string }) => item.id)).not.toContain(targetId);
    });

    it.each(routes)('the JWT succeeds on %s', async (name, method, path, body) => {
      const target = await newManagementKey(creds.jwt, { name: 'accepted target' });
      const data = expectOk(await call(method, path(target.id), { token: creds.jwt, body }));
      if (name === 'create') expect(Object.keys(data).sort()).toEqual([...MANAGEMENT_KEY_FIELDS, 'key'].sort());
      else if (name === 'list') expect(Object.keys(data).sort()).toEqual(['items', 'page', 'total']);
      else if (name === 'delete') expect(data).toEqual({ id: target.id, deleted: true });
      else expect(Object.keys(data).sort()).toEqual(MANAGEMENT_KEY_FIELDS);
      // Stay under the account's quota of 10.
      await call('DELETE', `${MK}/${target.id}`, { token: creds.jwt });
      if (name === 'create') await call('DELETE', `${MK}/${data.id}`, { token: creds.jwt });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('/v1/management-keys: lifecycle', () => {
    it('creates: the full key once, enabled at once, scope full by default', async () => {
      const { jwt } = await signup(stack.url, 'mk-create');
      const data = await newManagementKey(jwt, { name: '  prod-admin  ' });
      expect(data).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'prod-admin',
        key: expect.stringMatching(/^mk-[A-Za-z0-9_-]{43}$/),
        keyPreview: expect.stringMatching(/^mk-.\*+.{4}$/),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        status: 'Enabled',
        enabled: true,
        scope: 'full',
      });
      // As DGrid documents it (`mk-x****…xxxx5`): prefix and first character, asterisks, the last
      // characters, as long as the key.
      expect(data.keyPreview).toBe(`${data.key.slice(0, 4)}${'*'.repeat(data.key.length - 8)}${data.key.slice(-4)}`);
      expect(data.keyPreview).toHaveLength(data.key.length);
      // Enabled immediately: it manages buyer keys on the next request.
      expectOk(await call('GET', K, { token: data.key }));
    });

    it.each([
      ['buyer', 'buyer'],
      ['seller', 'seller'],
      ['full', 'full'],
      [null, 'full'],
    ])('creates with scope %s → %s', async (scope, expected) => {
      const { jwt } = await signup(stack.url, 'mk-scope');
      expect((await newManagementKey(jwt, { name: 'scoped', scope })).scope).toBe(expected);
    });

    it('lists masked keys only, newest first, with total and page', async () => {
      const { jwt } = await signup(stack.url, 'mk-list');
      const created = [];
      for (const name of ['first', 'second', 'third']) {
        created.push(await newManagementKey(jwt, { name }));
        await sleep(5);
      }
      const response = await call('GET', MK, { token: jwt });
      const list = expectOk(response);
      expect(list.total).toBe(3);
      expect(list.page).toBe(1);
      expect(list.items.map((item: { name: string }) => item.name)).toEqual(['third', 'second', 'first']);
      for (const item of list.items) expect(Object.keys(item).sort()).toEqual(MANAGEMENT_KEY_FIELDS);
      expect(list.items[0]).toEqual({
        id: created[2].id,
        name: 'third',
        keyPreview: created[2].keyPreview,
        createdAt: created[2].createdAt,
        status: 'Enabled',
        enabled: true,
        scope: 'full',
      });
      for (const { key } of created) expect(JSON.stringify(response.body)).not.toContain(key);

      const second = expectOk(await call('GET', `${MK}?page=2&size=1`, { token: jwt }));
      expect(second).toEqual({ total: 3, page: 2, items: [expect.objectContaining({ id: created[1].id, name: 'second' })] });
      expect(expectOk(await call('GET', `${MK}?page=9&size=1`, { token: jwt }))).toEqual({ total: 3, page: 9, items: [] });
    });

    it.each(['size=101', 'size=abc', 'size=0', 'size=-1', 'size=1.5', 'page=0', 'page=-2', 'page=abc', 'page=1.5', 'size=1&size=2'])(
      'lists with %s → 40001',
      async (query) => {
        expectError('dgrid', await call('GET', `${MK}?${query}`, { token: creds.jwt }), 400, 40001);
      },
    );

    it('renames (only the name changes; other fields are ignored)', async () => {
      const { jwt } = await signup(stack.url, 'mk-rename');
      const created = await newManagementKey(jwt, { name: 'before', scope: 'buyer' });
      const data = expectOk(
        await call('PUT', `${MK}/${created.id}`, { token: jwt, body: { name: 'after', scope: 'full', enabled: false } }),
      );
      expect(data).toEqual({
        id: created.id,
        name: 'after',
        keyPreview: created.keyPreview,
        createdAt: created.createdAt,
        status: 'Enabled',
        enabled: true,
        scope: 'buyer',
      });
      expect(JSON.stringify(data)).not.toContain(created.key);
    });

    it('disables and enables: effective on the very next request with that key', async () => {
      const { jwt } = await signup(stack.url, 'mk-toggle');
      const created = await newManagementKey(jwt, { name: 'toggled' });
      expectOk(await call('GET', K, { token: created.key }));

      const disabled = expectOk(await call('POST', `${MK}/${created.id}/disablement`, { token: jwt }));
      expect(disabled).toMatchObject({ id: created.id, status: 'Disabled', enabled: false });
      expectError('dgrid', await call('GET', K, { token: created.key }), 401, 40102);
      expectError('dgrid', await call('POST', K, { token: created.key, body: { name: 'while disabled' } }), 401, 40102);
      // Disabled twice is still disabled.
      expect(expectOk(await call('POST', `${MK}/${created.id}/disablement`, { token: jwt })).enabled).toBe(false);

      const enabled = expectOk(await call('POST', `${MK}/${created.id}/enablement`, { token: jwt }));
      expect(enabled).toMatchObject({ id: created.id, status: 'Enabled', enabled: true });
      expectOk(await call('GET', K, { token: created.key }));
    });

    it('deletes (soft): the key stops authenticating and is gone from the list; again → 40401', async () => {
      const { jwt } = await signup(stack.url, 'mk-delete');
      const created = await newManagementKey(jwt, { name: 'doomed' });
      expect(expectOk(await call('DELETE', `${MK}/${created.id}`, { token: jwt }))).toEqual({ id: created.id, deleted: true });
      expectError('dgrid', await call('GET', K, { token: created.key }), 401, 40102);
      expect(expectOk(await call('GET', MK, { token: jwt }))).toEqual({ total: 0, page: 1, items: [] });
      expectError('dgrid', await call('DELETE', `${MK}/${created.id}`, { token: jwt }), 404, 40401);
      expectError('dgrid', await call('PUT', `${MK}/${created.id}`, { token: jwt, body: { name: 'x' } }), 404, 40401);
      expectError('dgrid', await call('POST', `${MK}/${created.id}/enablement`, { token: jwt }), 404, 40401);
    });

    it.each([
      ['PUT', `${MK}/${MISSING_ID}`, { name: 'x' }],
      ['DELETE', `${MK}/${MISSING_ID}`, undefined],
      ['POST', `${MK}/${MISSING_ID}/enablement`, undefined],
      ['POST', `${MK}/${MISSING_ID}/disablement`, undefined],
    ])('%s %s (no such key) → 40401', async (method, path, body) => {
      expectError('dgrid', await call(method, path, { token: creds.jwt, body }), 404, 40401);
    });

    it('refuses the 11th management key (40301); deleting one frees a slot', async () => {
      const { jwt } = await signup(stack.url, 'mk-quota');
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await newManagementKey(jwt, { name: `key ${i}` })).id);
      expectError('dgrid', await call('POST', MK, { token: jwt, body: { name: 'eleventh' } }), 403, 40301);
      // A disabled key still holds its slot.
      expectOk(await call('POST', `${MK}/${ids[0]}/disablement`, { token: jwt }));
      expectError('dgrid', await call('POST', MK, { token: jwt, body: { name: 'eleventh' } }), 403, 40301);
      expectOk(await call('DELETE', `${MK}/${ids[0]}`, { token: jwt }));
      expect((await newManagementKey(jwt, { name: 'eleventh' })).name).toBe('eleventh');
      expectError('dgrid', await call('POST', MK, { token: jwt, body: { name: 'twelfth' } }), 403, 40301);
    });

    const badCreate: [string, unknown, number][] = [
      ['name missing', { scope: 'full' }, 40001],
      ['name null', { name: null }, 40001],
      ['name empty', { name: '' }, 40001],
      ['name blank', { name: '   ' }, 40001],
      ['name 101 chars', { name: 'n'.repeat(101) }, 40001],
      ['name a number', { name: 5 }, 40001],
      ['name an object', { name: { first: 'a' } }, 40001],
      ['scope unknown', { name: 'x', scope: 'admin' }, 40001],
      ['scope a number', { name: 'x', scope: 1 }, 40001],
    ];
    it.each(badCreate)('create with %s → %s', async (_label, body, code) => {
      expectError('dgrid', await call('POST', MK, { token: creds.jwt, body }), 400, code);
    });

    const badRename: [string, unknown][] = [
      ['name missing', { scope: 'full' }],
      ['name null', { name: null }],
      ['name empty', { name: '' }],
      ['name 101 chars', { name: 'n'.repeat(101) }],
      ['name a number', { name: 42 }],
    ];
    it.each(badRename)('rename with %s → 40001', async (_label, body) => {
      const { jwt } = await signup(stack.url, 'mk-bad-rename');
      const created = await newManagementKey(jwt, { name: 'kept' });
      expectError('dgrid', await call('PUT', `${MK}/${created.id}`, { token: jwt, body }), 400, 40001);
      expect(expectOk(await call('GET', MK, { token: jwt })).items[0].name).toBe('kept');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('/api/v1/model-router/keys: credential matrix', () => {
    let targetId: string;
    beforeAll(async () => {
      targetId = (await newKey(creds.mkFull, { name: 'matrix target' })).id;
    });

    const routes: [string, string, (id: string) => string, unknown][] = [
      ['list', 'GET', () => K, undefined],
      ['create', 'POST', () => K, { name: 'matrix' }],
      ['get', 'GET', (id) => `${K}/${id}`, undefined],
      ['update', 'PUT', (id) => `${K}/${id}`, { name: 'matrix renamed' }],
      ['disable', 'POST', (id) => `${K}/${id}/disablement`, undefined],
      ['enable', 'POST', (id) => `${K}/${id}/enablement`, undefined],
      ['delete', 'DELETE', (id) => `${K}/${id}`, undefined],
    ];
    const refused: [Cred, number, number][] = [
      ['none', 401, 40101],
      ['basic', 401, 40102],
      ['garbage', 401, 40102],
      ['mkForged', 401, 40102],
      ['mkDisabled', 401, 40102],
      ['jwt', 403, 40301],
      ['jwtForged', 403, 40301],
      ['otherJwt', 403, 40301],
      ['buyerKey', 403, 40301],
      ['mkSeller', 403, 40301], // seller scope: the accounts subgraph refuses buyer keys to it
    ];
    const matrix = routes.flatMap(([name, method, path, body]) =>
      refused.map(([cred, status, code]) => [name, cred, method, path, body, status, code] as const),
    );

    it.each(matrix)('%s with %s → %s', async (_name, cred, method, path, body, status, code) => {
      expectError('dgrid', await call(method, path(targetId), { ...auth(cred), body }), status, code);
    });

    it('left the target untouched through every refusal', async () => {
      expect(expectOk(await call('GET', `${K}/${targetId}`, { token: creds.mkFull }))).toMatchObject({
        name: 'matrix target',
        enabled: true,
      });
    });

    it.each(routes.filter(([name]) => name !== 'create' && name !== 'list'))(
      "another account's management key on %s → 40401, never data",
      async (_name, method, path, body) => {
        expectError('dgrid', await call(method, path(targetId), { token: creds.other.mkFull, body }), 404, 40401);
      },
    );

    it("another account's management key lists only its own keys", async () => {
      const list = expectOk(await call('GET', `${K}?size=100`, { token: creds.other.mkFull }));
      expect(list.items.map((item: { id: string }) => item.id)).not.toContain(targetId);
    });

    const accepted = routes.flatMap(([name, method, path, body]) =>
      (['mkBuyer', 'mkFull'] as const).map((cred) => [name, cred, method, path, body] as const),
    );
    it.each(accepted)('%s with %s succeeds', async (name, cred, method, path, body) => {
      const target = await newKey(creds.mkFull, { name: 'accepted target' });
      const data = expectOk(await call(method, path(target.id), { token: creds[cred], body }));
      if (name === 'create') expect(Object.keys(data).sort()).toEqual(['id', 'key']);
      else if (name === 'list') expect(Object.keys(data).sort()).toEqual(['items', 'page', 'total']);
      else if (name === 'delete') expect(data).toEqual({ id: target.id, deleted: true });
      else expect(Object.keys(data).sort()).toEqual(KEY_FIELDS);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('/api/v1/model-router/keys: lifecycle', () => {
    it("lists and shows keys masked as DGrid documents them (`sk-a****…f9x2d`): the key's length, nothing of its middle", async () => {
      const created = await newKey(creds.mkFull, { name: 'masked' });
      const list = expectOk(await call('GET', K, { token: creds.mkFull }));
      const listed = list.items.find((item: { id: string }) => item.id === created.id);
      const detail = expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkFull }));
      for (const shown of [listed.key, detail.key] as string[]) {
        expect(shown).toHaveLength(created.key.length);
        expect(shown).toMatch(/^sk-df-[A-Za-z0-9_-]\*+[A-Za-z0-9_-]{4}$/);
        expect(shown.startsWith(created.key.slice(0, 7))).toBe(true);
        expect(shown.endsWith(created.key.slice(-4))).toBe(true);
        expect(shown.replaceAll('*', '').length).toBe(11);
      }
    });

    it('creates: {id, key} with the full key once; the detail shows it masked', async () => {
      const created = await newKey(creds.mkFull, { name: 'prod-key', limit: 1000, cycle: 'monthly', expiredAt: '2099-12-31T23:59:59Z' });
      expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), key: expect.stringMatching(/^sk-df-[A-Za-z0-9_-]{43}$/) });
      const response = await call('GET', `${K}/${created.id}`, { token: creds.mkFull });
      expect(expectOk(response)).toEqual({
        id: created.id,
        name: 'prod-key',
        // DGrid's mask (`sk-a****…f9x2d`): prefix and first character, asterisks, last characters, the key's length.
        key: `${created.key.slice(0, 7)}${'*'.repeat(created.key.length - 11)}${created.key.slice(-4)}`,
        limit: 1000,
        usageInCycle: 0,
        usageInTotal: 0,
        enabled: true,
        cycle: 'monthly',
        expiredAt: '2099-12-31T23:59:59.000Z',
        groupId: null,
        groupName: '',
      });
      expect(JSON.stringify(response.body)).not.toContain(created.key);
    });

    it('creates with only a name: no limit, no cycle, no expiry, no group', async () => {
      const created = await newKey(creds.mkBuyer, { name: 'bare' });
      expect(expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkBuyer }))).toMatchObject({
        name: 'bare',
        limit: null,
        cycle: null,
        expiredAt: null,
        groupId: null,
        groupName: '',
      });
    });

    it.each([
      [12.5, 12.5],
      [0, 0],
      [0.000001, 0.000001],
      [999999999.999999, 999999999.999999],
    ])('keeps limit %s exactly as %s', async (limit, expected) => {
      const created = await newKey(creds.mkFull, { name: 'limited', limit });
      expect(expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkFull })).limit).toBe(expected);
    });

    it.each(['daily', 'weekly', 'monthly'])('round-trips cycle %s', async (cycle) => {
      const created = await newKey(creds.mkFull, { name: 'cycled', cycle });
      expect(expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkFull })).cycle).toBe(cycle);
    });

    it('shows the group id and name', async () => {
      const group = await graphql(stack.url, DgridFixtureCreateKeyGroupDocument, { input: { name: 'team-a' } }, creds.jwt);
      const groupId = group.data!.createKeyGroup.id;
      const created = await newKey(creds.mkFull, { name: 'grouped', groupId });
      expect(expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkFull }))).toMatchObject({ groupId, groupName: 'team-a' });
    });

    // Writes billing's usage rows through the embedded stack's own store (scaled: another process's).
    it.skipIf(TEST_TOPOLOGY === 'scaled')('reports usage in the cycle and in total as USD numbers (from billing)', async () => {
      const created = await newKey(creds.mkFull, { name: 'metered', cycle: 'daily' });
      const em = stack.platform!.runtimes.find((runtime) => runtime.name === 'billing')!.db.orm.em.fork();
      const now = new Date();
      em.create(KeyUsageDaily, { keyId: created.id, day: utcDay(now), accountId: creds.accountId, micros: 1_500_000, requests: 3 });
      em.create(KeyUsageDaily, {
        keyId: created.id,
        day: utcDay(new Date(now.getTime() - 86_400_000)),
        accountId: creds.accountId,
        micros: 10_840_000,
        requests: 5,
      });
      em.create(KeyUsage, { keyId: created.id, accountId: creds.accountId, totalMicros: 12_340_000, requestCount: 8 });
      await em.flush();
      expect(expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkFull }))).toMatchObject({
        usageInCycle: 1.5,
        usageInTotal: 12.34,
      });
      const list = expectOk(await call('GET', `${K}?size=100`, { token: creds.mkFull }));
      expect(list.items.find((item: { id: string }) => item.id === created.id)).toMatchObject({ usageInCycle: 1.5, usageInTotal: 12.34 });
    });

    it('updates name, limit, cycle, groupId; absent fields stay; null clears; other fields are ignored', async () => {
      const group = await graphql(stack.url, DgridFixtureCreateKeyGroupDocument, { input: { name: 'team-b' } }, creds.jwt);
      const groupId = group.data!.createKeyGroup.id;
      const created = await newKey(creds.mkFull, { name: 'prod-key', limit: 1000, cycle: 'monthly', expiredAt: '2099-12-31T23:59:59Z' });
      const path = `${K}/${created.id}`;

      const updated = expectOk(
        await call('PUT', path, { token: creds.mkFull, body: { name: 'prod-key-v2', limit: 2000, cycle: 'weekly', groupId } }),
      );
      expect(updated).toEqual({
        id: created.id,
        name: 'prod-key-v2',
        key: expect.stringMatching(/^sk-df-.\*{38}.{4}$/),
        limit: 2000,
        usageInCycle: 0,
        usageInTotal: 0,
        enabled: true,
        cycle: 'weekly',
        expiredAt: '2099-12-31T23:59:59.000Z',
        groupId,
        groupName: 'team-b',
      });

      const renamed = expectOk(
        await call('PUT', path, {
          token: creds.mkFull,
          body: { name: 'prod-key-v3', expiredAt: null, enabled: false, key: 'sk-df-ignored' },
        }),
      );
      expect(renamed).toMatchObject({
        name: 'prod-key-v3',
        limit: 2000,
        cycle: 'weekly',
        groupId,
        expiredAt: '2099-12-31T23:59:59.000Z',
        enabled: true,
      });

      const cleared = expectOk(await call('PUT', path, { token: creds.mkFull, body: { limit: null, cycle: null, groupId: null } }));
      expect(cleared).toMatchObject({ name: 'prod-key-v3', limit: null, cycle: null, groupId: null, groupName: '' });

      expect(expectOk(await call('PUT', path, { token: creds.mkFull, body: {} }))).toEqual(cleared);
    });

    it('disables and enables', async () => {
      const created = await newKey(creds.mkFull, { name: 'toggled' });
      expect(expectOk(await call('POST', `${K}/${created.id}/disablement`, { token: creds.mkFull }))).toMatchObject({
        id: created.id,
        enabled: false,
      });
      expect(expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkFull })).enabled).toBe(false);
      // DGrid's examples send Content-Type: application/json on bodiless calls too.
      const enabled = await call('POST', `${K}/${created.id}/enablement`, {
        token: creds.mkFull,
        headers: { 'content-type': 'application/json' },
      });
      expect(expectOk(enabled)).toMatchObject({ id: created.id, enabled: true });
    });

    it('deletes (soft): then 40401 everywhere and gone from the list', async () => {
      const created = await newKey(creds.mkFull, { name: 'doomed' });
      const path = `${K}/${created.id}`;
      const deleted = await call('DELETE', path, { token: creds.mkFull, headers: { 'content-type': 'application/json' } });
      expect(expectOk(deleted)).toEqual({ id: created.id, deleted: true });
      expectError('dgrid', await call('GET', path, { token: creds.mkFull }), 404, 40401);
      expectError('dgrid', await call('PUT', path, { token: creds.mkFull, body: { name: 'x' } }), 404, 40401);
      expectError('dgrid', await call('POST', `${path}/enablement`, { token: creds.mkFull }), 404, 40401);
      expectError('dgrid', await call('POST', `${path}/disablement`, { token: creds.mkFull }), 404, 40401);
      expectError('dgrid', await call('DELETE', path, { token: creds.mkFull }), 404, 40401);
      const list = expectOk(await call('GET', `${K}?size=100`, { token: creds.mkFull }));
      expect(list.items.map((item: { id: string }) => item.id)).not.toContain(created.id);
    });

    it.each([
      ['GET', `${K}/${MISSING_ID}`, undefined],
      ['PUT', `${K}/${MISSING_ID}`, { name: 'x' }],
      ['POST', `${K}/${MISSING_ID}/disablement`, undefined],
      ['POST', `${K}/${MISSING_ID}/enablement`, undefined],
      ['DELETE', `${K}/${MISSING_ID}`, undefined],
    ])('%s %s (no such key) → 40401', async (method, path, body) => {
      expectError('dgrid', await call(method, path, { token: creds.mkFull, body }), 404, 40401);
    });

    it('paginates newest first: size=1&page=2 is the 2nd newest; total excludes deleted keys; never a full key', async () => {
      const account = await freshAccount();
      const created = [];
      for (const name of ['oldest', 'middle', 'newest']) {
        created.push(await newKey(account.mk, { name }));
        await sleep(5);
      }
      const all = await call('GET', K, { token: account.mk });
      const list = expectOk(all);
      expect(list.total).toBe(3);
      expect(list.page).toBe(1);
      expect(list.items.map((item: { name: string }) => item.name)).toEqual(['newest', 'middle', 'oldest']);
      for (const item of list.items) expect(Object.keys(item).sort()).toEqual(KEY_FIELDS);
      for (const { key } of created) expect(JSON.stringify(all.body)).not.toContain(key);

      expect(expectOk(await call('GET', `${K}?page=2&size=1`, { token: account.mk }))).toEqual({
        total: 3,
        page: 2,
        items: [expect.objectContaining({ id: created[1].id, name: 'middle' })],
      });
      expect(
        expectOk(await call('GET', `${K}?page=2&size=2`, { token: account.mk })).items.map((item: { name: string }) => item.name),
      ).toEqual(['oldest']);

      expectOk(await call('DELETE', `${K}/${created[1].id}`, { token: account.mk }));
      const after = expectOk(await call('GET', `${K}?size=100`, { token: account.mk }));
      expect(after.total).toBe(2);
      expect(after.items.map((item: { name: string }) => item.name)).toEqual(['newest', 'oldest']);
    });

    it.each(['size=101', 'size=abc', 'size=0', 'size=-1', 'size=2.5', 'page=0', 'page=-1', 'page=x', 'page=1e3'])(
      'lists with %s → 40001',
      async (query) => {
        expectError('dgrid', await call('GET', `${K}?${query}`, { token: creds.mkFull }), 400, 40001);
      },
    );

    const badCreate: [string, unknown, number, number][] = [
      ['name missing', { limit: 10 }, 400, 40001],
      ['name null', { name: null }, 400, 40001],
      ['name empty', { name: '' }, 400, 40001],
      ['name 101 chars', { name: 'n'.repeat(101) }, 400, 40001],
      ['name a number', { name: 7 }, 400, 40001],
      ['limit -1', { name: 'x', limit: -1 }, 400, 40001],
      ['limit "abc"', { name: 'x', limit: 'abc' }, 400, 40001],
      ['limit "12.5" (a string)', { name: 'x', limit: '12.5' }, 400, 40001],
      ['limit true', { name: 'x', limit: true }, 400, 40001],
      ['limit 1.1234567 (7 decimals)', { name: 'x', limit: 1.1234567 }, 400, 40001],
      ['limit 1e21', { name: 'x', limit: 1e21 }, 400, 40001],
      ['cycle "yearly"', { name: 'x', cycle: 'yearly' }, 400, 40001],
      ['cycle 1', { name: 'x', cycle: 1 }, 400, 40001],
      ['expiredAt "not-a-date"', { name: 'x', expiredAt: 'not-a-date' }, 400, 40001],
      ['expiredAt in the past', { name: 'x', expiredAt: '2020-01-01T00:00:00Z' }, 400, 40001],
      ['expiredAt a number', { name: 'x', expiredAt: 4102444800 }, 400, 40001],
      ['groupId unknown', { name: 'x', groupId: MISSING_ID }, 404, 40401],
      ['groupId a number', { name: 'x', groupId: 5 }, 400, 40001],
    ];
    let blank: Awaited<ReturnType<typeof freshAccount>>;
    beforeAll(async () => {
      blank = await freshAccount();
    });
    it.each(badCreate)('create with %s → %s %s', async (_label, body, status, code) => {
      expectError('dgrid', await call('POST', K, { token: blank.mk, body }), status, code);
      expect(expectOk(await call('GET', K, { token: blank.mk })).total).toBe(0); // nothing was created
    });

    it("create with another account's groupId → 40401", async () => {
      const group = await graphql(stack.url, DgridFixtureCreateKeyGroupDocument, { input: { name: 'theirs' } }, creds.other.jwt);
      expectError(
        'dgrid',
        await call('POST', K, { token: creds.mkFull, body: { name: 'x', groupId: group.data!.createKeyGroup.id } }),
        404,
        40401,
      );
    });

    const badUpdate: [string, unknown, number, number][] = [
      ['name empty', { name: '' }, 400, 40001],
      ['name null', { name: null }, 400, 40001],
      ['name 101 chars', { name: 'n'.repeat(101) }, 400, 40001],
      ['limit -1', { limit: -1 }, 400, 40001],
      ['limit "abc"', { limit: 'abc' }, 400, 40001],
      ['limit 1.1234567', { limit: 1.1234567 }, 400, 40001],
      ['cycle "yearly"', { cycle: 'yearly' }, 400, 40001],
      ['groupId unknown', { groupId: MISSING_ID }, 404, 40401],
    ];
    it.each(badUpdate)('update with %s → %s %s, key unchanged', async (_label, body, status, code) => {
      const created = await newKey(creds.mkFull, { name: 'stable', limit: 5, cycle: 'daily' });
      expectError('dgrid', await call('PUT', `${K}/${created.id}`, { token: creds.mkFull, body }), status, code);
      expect(expectOk(await call('GET', `${K}/${created.id}`, { token: creds.mkFull }))).toMatchObject({
        name: 'stable',
        limit: 5,
        cycle: 'daily',
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('request bodies every body-taking route refuses in the DGrid envelope', () => {
    let mkId: string;
    let keyId: string;
    beforeAll(async () => {
      mkId = (await newManagementKey(creds.jwt, { name: 'body target' })).id;
      keyId = (await newKey(creds.mkFull, { name: 'body target' })).id;
    });

    const routes: [string, () => string, Cred][] = [
      ['POST', () => MK, 'jwt'],
      ['PUT', () => `${MK}/${mkId}`, 'jwt'],
      ['POST', () => K, 'mkFull'],
      ['PUT', () => `${K}/${keyId}`, 'mkFull'],
    ];
    const bodies: [string, Options, number, number][] = [
      ['malformed JSON', { rawBody: '{"name": "x",' }, 400, 40001],
      ['a JSON array', { rawBody: '["name"]' }, 400, 40001],
      ['a JSON string', { rawBody: '"name"' }, 400, 40001],
      ['a JSON number', { rawBody: '42' }, 400, 40001],
      ['JSON null', { rawBody: 'null' }, 400, 40001],
      ['an empty body', { rawBody: '', headers: { 'content-type': 'application/json' } }, 400, 40001],
      ['a __proto__ key', { rawBody: '{"name":"x","__proto__":{"admin":true}}' }, 400, 40001],
      ['a 2 MiB body', { rawBody: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) }, 413, 41301],
      ['text/plain', { rawBody: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }, 415, 41501],
      ['a form body', { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 41501],
    ];
    const matrix = routes.flatMap(([method, path, cred]) =>
      bodies.map(([label, options, status, code]) => [method, path, cred, label, options, status, code] as const),
    );

    it.each(matrix)('%s %s with %s … %s', async (method, path, cred, _label, options, status, code) => {
      expectError(
        'dgrid',
        await call(method, path(), { ...auth(cred), ...options, headers: { ...auth(cred).headers, ...options.headers } }),
        status,
        code,
      );
    });

    it('says "payload too large" for an oversize body', async () => {
      const response = await call('POST', K, { token: creds.mkFull, rawBody: 'x'.repeat(2 * 1024 * 1024) });
      expect(response.body).toEqual({ code: 41301, message: 'payload too large', data: null });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('rate limits', () => {
    // Lowers the limit on the embedded stack's live config (scaled: the gateway process's own).
    it.skipIf(TEST_TOPOLOGY === 'scaled')(
      'answers 42901 with Retry-After on both surfaces once a credential is over its limit',
      async () => {
        const account = await freshAccount();
        const secondMk = (await newManagementKey(account.jwt, { name: 'second' })).key;
        const { jwt } = await signup(stack.url, 'dgrid-rate'); // not yet counted on this surface
        const saved = stack.config.managementRateLimitPerMinute;
        stack.config.managementRateLimitPerMinute = 2;
        try {
          for (const [path, token] of [
            [K, account.mk],
            [MK, jwt],
          ] as const) {
            expectOk(await call('GET', path, { token }));
            expectOk(await call('GET', path, { token }));
            // The third request is over the limit (unless a minute window turned over just now).
            let limited = await call('GET', path, { token });
            for (let i = 0; i < 3 && limited.status === 200; i++) limited = await call('GET', path, { token });
            expectError('dgrid', limited, 429, 42901);
            expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
            expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
          }
          // Each management key has its own counter.
          expectOk(await call('GET', K, { token: secondMk }));
        } finally {
          stack.config.managementRateLimitPerMinute = saved;
        }
      },
    );
  });

  // ---------------------------------------------------------------------------------------------
  describe('GraphQL error codes → DGrid codes', () => {
    it.each([
      ['BAD_USER_INPUT', 400, 40001, 'bad'],
      ['UNAUTHENTICATED', 401, 40102, 'bad'],
      ['FORBIDDEN', 403, 40301, 'bad'],
      ['QUOTA_EXCEEDED', 403, 40301, 'bad'],
      ['NOT_FOUND', 404, 40401, 'bad'],
      ['CONFLICT', 400, 40001, 'bad'],
      ['RATE_LIMITED', 429, 42901, 'bad'],
      ['LIMIT_EXCEEDED', 500, 50001, 'Internal server error'],
      ['SERVICE_UNAVAILABLE', 500, 50001, 'Internal server error'],
      ['INTERNAL_SERVER_ERROR', 500, 50001, 'Internal server error'],
      [undefined, 500, 50001, 'Internal server error'],
    ])('%s → %s %s', (code, status, dgridCode, message) => {
      const error = dgridErrorFrom([{ message: 'bad', extensions: code ? { code } : {} }]);
      expect({ status: error.status, code: error.code, message: error.message }).toEqual({ status, code: dgridCode, message });
    });
  });
});
