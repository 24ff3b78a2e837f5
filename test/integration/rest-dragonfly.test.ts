// Dragonfly buyer/account REST routes (/api/keys, /api/keys/groups, /api/management-keys) through
// the whole embedded stack: documented shapes, the error envelope, every body check the domain
// makes (seen through REST), and a credential × route matrix.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { rest, insideOneMinuteWindow } from '../helpers/graphql';
import { startTestStack, type TestStack } from '../helpers/stack';
import { expectError } from '../helpers/expect-error';

const RATE_LIMIT = 500;

const KEY_FIELDS = [
  'allowedModels',
  'createdAt',
  'cycle',
  'enabled',
  'expired',
  'expiredAt',
  'groupId',
  'id',
  'ipAllow',
  'ipDeny',
  'keyGroup',
  'keyHint',
  'lastUsedAt',
  'limit',
  'name',
  'prefix',
  'projectId',
  'routingProfileId',
  'status',
  'usageInCycle',
  'usageInTotal',
  'rpmLimit',
  'tpmLimit',
  'maxParallelRequests',
].sort();
const GROUP_FIELDS = ['createdAt', 'id', 'maxParallelRequests', 'monthlyBudget', 'name', 'rpmLimit', 'tpmLimit'];
const MANAGEMENT_KEY_FIELDS = ['createdAt', 'enabled', 'id', 'keyPreview', 'mgmt_scope', 'name'];

const future = (days = 30) => new Date(Date.now() + days * 86_400_000).toISOString();
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

describe('Dragonfly REST: buyer keys, key groups, management keys', () => {
  let stack: TestStack;
  let c: Credentials;
  /** Every raw key this suite saw created: none may ever appear in a later response. */
  const rawKeys: string[] = [];

  type Options = { body?: unknown; rawBody?: string; headers?: Record<string, string> };
  const call = (method: string, path: string, token?: string, options: Options = {}) =>
    rest(stack.url, method, path, { token, ...options });

  async function createKey(token: string, body: Record<string, unknown> = {}) {
    const response = await call('POST', '/api/keys', token, { body: { name: unique('key'), ...body } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    rawKeys.push(response.body.key);
    return response.body;
  }

  async function createGroup(token: string, body: Record<string, unknown> = {}) {
    const response = await call('POST', '/api/keys/groups', token, { body: { name: unique('group'), ...body } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  }

  async function createManagementKey(token: string, scope = 'buyer') {
    const response = await call('POST', '/api/management-keys', token, { body: { name: unique('mk'), mgmt_scope: scope } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    rawKeys.push(response.body.key);
    return response.body;
  }

  function expectNoRawKeys(response: { body: unknown }) {
    const text = JSON.stringify(response.body);
    for (const raw of rawKeys) expect(text).not.toContain(raw);
  }

  beforeAll(async () => {
    stack = await startTestStack({ MANAGEMENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
    c = await credentials(stack.url);
    rawKeys.push(c.buyerKey, c.mkBuyer, c.mkSeller, c.mkFull);
    // A key may name only a routing profile of its own account: real ones, by their names here.
    for (const name of ['rp_fast', 'rp_cheap']) {
      const created = await call('POST', '/api/routing/profiles', c.jwt, { body: { name, sort: 'price' } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      profiles[name] = created.body.id;
    }
  });
  const profiles: Record<string, string> = {};
  /** The table's profile names, turned into the real ids. */
  const withProfiles = <T>(value: T): T =>
    JSON.parse(JSON.stringify(value).replace(/"(rp_fast|rp_cheap)"/g, (_, name: string) => JSON.stringify(profiles[name])));
  afterAll(async () => {
    await stack?.stop();
  });

  describe('POST /api/keys', () => {
    it('creates a key: 201, the documented fields, and the raw key once', async () => {
      const expiredAt = future();
      const response = await call('POST', '/api/keys', c.jwt, {
        body: {
          name: 'prod',
          key_group: unique('grp'),
          limit: 12.5,
          cycle: 'weekly',
          ipAllow: ['10.0.0.0/8'],
          ipDeny: ['10.1.2.3'],
          routingProfileId: profiles.rp_fast,
          allowedModels: ['dragonfly/sim-chat'],
          expiredAt,
        },
      });
      expect(response.status).toBe(201);
      const key = response.body;
      rawKeys.push(key.key);
      expect(Object.keys(key).sort()).toEqual([...KEY_FIELDS, 'key'].sort());
      expect(key.key).toMatch(/^sk-df-[A-Za-z0-9_-]{43}$/);
      expect(key.key.startsWith(key.prefix)).toBe(true);
      expect(key.keyHint).toMatch(/^sk-df-.{4}….{4}$/);
      expect(key).toMatchObject({
        name: 'prod',
        status: 'active',
        enabled: true,
        limit: 12.5,
        cycle: 'weekly',
        usageInCycle: 0,
        usageInTotal: 0,
        expiredAt,
        expired: false,
        ipAllow: ['10.0.0.0/8'],
        ipDeny: ['10.1.2.3/32'],
        routingProfileId: profiles.rp_fast,
        allowedModels: ['dragonfly/sim-chat'],
        lastUsedAt: null,
      });
      expect(key.groupId).toEqual(expect.any(String));
      expect(key.projectId).toEqual(expect.any(String));
      expect(key.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it('creates a key with no body at all (every field is optional)', async () => {
      const response = await call('POST', '/api/keys', c.jwt);
      expect(response.status).toBe(201);
      rawKeys.push(response.body.key);
      expect(response.body).toMatchObject({
        name: 'default',
        limit: null,
        cycle: null,
        groupId: null,
        keyGroup: null,
        allowedModels: null,
        ipAllow: [],
        ipDeny: [],
      });
    });

    it('takes limit as a decimal string too, and monthlyBudget as limit + monthly cycle', async () => {
      expect(await createKey(c.jwt, { limit: '7.25' })).toMatchObject({ limit: 7.25, cycle: null });
      expect(await createKey(c.jwt, { monthlyBudget: 25 })).toMatchObject({ limit: 25, cycle: 'monthly' });
    });

    it('key_group creates a group once and reuses it', async () => {
      const name = unique('team-a');
      const first = await createKey(c.jwt, { key_group: name });
      const second = await createKey(c.jwt, { key_group: name });
      expect(first.groupId).toEqual(expect.any(String));
      expect(second.groupId).toBe(first.groupId);
      expect(first.keyGroup).toBe(name);
      const groups = await call('GET', '/api/keys/groups', c.jwt);
      expect(groups.body.groups.filter((group: { name: string }) => group.name === name)).toEqual([
        {
          id: first.groupId,
          name,
          monthlyBudget: null,
          rpmLimit: null,
          tpmLimit: null,
          maxParallelRequests: null,
          createdAt: expect.any(String),
        },
      ]);
    });

    it.each([
      [{ key_group: '' }, 'key_group'],
      [{ key_group: 'x', groupId: 'some-group' }, 'key_group'],
      [{ limit: -5 }, 'limit'],
      [{ cycle: 'yearly' }, undefined],
      [{ monthlyBudget: 10, limit: 5 }, 'monthlyBudget'],
      [{ ipAllow: ['10.0.0.0/33'] }, 'ipAllow'],
      [{ expiredAt: 'yesterday' }, undefined],
      [{ name: 5 }, undefined],
      [{ name: 'ok', colour: 'red' }, undefined],
    ])('refuses %j with 400', async (body, field) => {
      const response = await call('POST', '/api/keys', c.jwt, { body });
      expectError('dragonfly', response, 400, 'BAD_USER_INPUT');
      if (field) expect(response.body.error.details?.field).toBe(field);
    });

    it.each([
      ['[]', 400, 'BAD_REQUEST'],
      ['"a key"', 400, 'BAD_REQUEST'],
      ['null', 400, 'BAD_REQUEST'],
      ['{"name":', 400, 'BAD_REQUEST'],
    ])('refuses the body %s', async (rawBody, status, code) => {
      expectError('dragonfly', await call('POST', '/api/keys', c.jwt, { rawBody }), status, code);
    });

    it('refuses a non-JSON content type (415) and an oversize body (413) in its own envelope', async () => {
      expectError(
        'dragonfly',
        await call('POST', '/api/keys', c.jwt, { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        'dragonfly',
        await call('POST', '/api/keys', c.jwt, { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        'dragonfly',
        await call('POST', '/api/keys', c.jwt, { body: { name: 'x'.repeat(1024 * 1024) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });
  });

  describe('GET /api/keys', () => {
    it('lists keys without the raw key: {keys, total, page, pageSize}', async () => {
      const response = await call('GET', '/api/keys', c.jwt);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['keys', 'page', 'pageSize', 'total']);
      expect(response.body).toMatchObject({ page: 1, pageSize: 20 });
      expect(response.body.total).toBeGreaterThanOrEqual(5);
      for (const key of response.body.keys) expect(Object.keys(key).sort()).toEqual(KEY_FIELDS);
      expectNoRawKeys(response);
    });

    it('pages: page and pageSize', async () => {
      const first = await call('GET', '/api/keys?page=1&pageSize=2', c.jwt);
      const second = await call('GET', '/api/keys?page=2&pageSize=2', c.jwt);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ page: 1, pageSize: 2 });
      expect(first.body.keys).toHaveLength(2);
      expect(second.body.keys).toHaveLength(2);
      expect(second.body.total).toBe(first.body.total);
      expect(second.body.keys.map((key: { id: string }) => key.id)).not.toContain(first.body.keys[0].id);
      const max = await call('GET', '/api/keys?pageSize=100', c.jwt);
      expect(max.status).toBe(200);
    });

    it.each(['page=0', 'page=-1', 'page=x', 'page=1.5', 'pageSize=0', 'pageSize=101', 'pageSize=ten'])(
      'refuses ?%s with 400',
      async (query) => {
        expectError('dragonfly', await call('GET', `/api/keys?${query}`, c.jwt), 400, 'BAD_USER_INPUT');
      },
    );
  });

  describe('PATCH /api/keys/:id', () => {
    let key: { id: string; name: string };
    beforeAll(async () => {
      key = await createKey(c.jwt, { name: 'patch-me', ipDeny: ['192.0.2.0/24'] });
    });

    it.each([
      [{ ipAllow: ['10.0.0.0/33'] }, 'ipAllow'],
      [{ ipAllow: ['not-an-ip'] }, 'ipAllow'],
      [{ ipAllow: [5] }, undefined],
      [{ ipDeny: ['2001:db8::/129'] }, 'ipDeny'],
      [{ allowedModels: ['not a model!'] }, 'allowedModels'],
      [{ cycle: 'yearly' }, undefined],
      [{ cycle: 5 }, undefined],
      [{ limit: -5 }, 'limit'],
      [{ limit: '-5' }, 'limit'],
      [{ limit: 'lots' }, 'limit'],
      [{ limit: 1.1234567 }, 'limit'],
      [{ limit: true }, undefined],
      [{ limit: {} }, undefined],
      [{ monthlyBudget: 10, limit: 5 }, 'monthlyBudget'],
      [{ monthlyBudget: 10, cycle: 'weekly' }, 'monthlyBudget'],
      [{ monthlyBudget: -1 }, 'monthlyBudget'],
      [{ expiredAt: 'yesterday' }, undefined],
      [{ expiredAt: '2020-01-01T00:00:00Z' }, 'expiredAt'],
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ routingProfileId: 'r'.repeat(65) }, 'routingProfileId'],
      [{}, undefined],
    ])('refuses %j with 400 and changes nothing', async (body, field) => {
      const response = await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body });
      expectError('dragonfly', response, 400, 'BAD_USER_INPUT');
      if (field) expect(response.body.error.details?.field).toBe(field);
      const after = await call('GET', `/api/keys/${key.id}`, c.jwt);
      expect(after.body).toMatchObject({
        name: 'patch-me',
        limit: null,
        cycle: null,
        ipAllow: [],
        ipDeny: ['192.0.2.0/24'],
        expiredAt: null,
      });
    });

    it('names every unknown field in the 400 (key_group included: it is create-only)', async () => {
      const response = await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { name: 'ok', colour: 'red', key_group: 'x' } });
      expectError('dragonfly', response, 400, 'BAD_USER_INPUT');
      expect(response.body.error.message).toContain('colour');
      expect(response.body.error.message).toContain('key_group');
      expect(response.body.error.details.unknownFields).toEqual(['colour', 'key_group']);
    });

    it.each([
      ['[]', 400, 'BAD_REQUEST'],
      ['7', 400, 'BAD_REQUEST'],
      ['null', 400, 'BAD_REQUEST'],
      ['{"name":', 400, 'BAD_REQUEST'],
      ['', 400, 'BAD_REQUEST'],
    ])('refuses the body %j', async (rawBody, status, code) => {
      expectError(
        'dragonfly',
        await call('PATCH', `/api/keys/${key.id}`, c.jwt, { rawBody, headers: { 'content-type': 'application/json' } }),
        status,
        code,
      );
    });

    it('refuses a missing body, a non-JSON content type and an oversize body', async () => {
      expectError('dragonfly', await call('PATCH', `/api/keys/${key.id}`, c.jwt), 400, 'BAD_REQUEST');
      expectError(
        'dragonfly',
        await call('PATCH', `/api/keys/${key.id}`, c.jwt, { rawBody: '{}', headers: { 'content-type': 'text/plain' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        'dragonfly',
        await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { name: 'x'.repeat(1024 * 1024 + 1) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });

    it.each([
      [{ ipDeny: [' 2001:db8::/32 ', '2001:db8::1'] }, { ipDeny: ['2001:db8::/32', '2001:db8::1/128'] }],
      [{ ipAllow: ['0.0.0.0/0', '::/0'] }, { ipAllow: ['0.0.0.0/0', '::/0'] }],
      [
        { allowedModels: ['dragonfly/sim-chat', 'dragonfly/sim-chat', 'openai/gpt-4o'] },
        { allowedModels: ['dragonfly/sim-chat', 'openai/gpt-4o'] },
      ],
      [{ allowedModels: null }, { allowedModels: null }],
      [{ monthlyBudget: 25 }, { limit: 25, cycle: 'monthly' }],
      [
        { limit: '3.5', cycle: 'daily' },
        { limit: 3.5, cycle: 'daily' },
      ],
      [{ limit: 0.000001 }, { limit: 0.000001, cycle: 'daily' }],
      [
        { limit: null, cycle: null },
        { limit: null, cycle: null },
      ],
      [{ routingProfileId: 'rp_cheap' }, { routingProfileId: 'rp_cheap' }],
      [{ routingProfileId: null }, { routingProfileId: null }],
      [{ name: 'renamed' }, { name: 'renamed', ipAllow: ['0.0.0.0/0', '::/0'] }],
      [{ ipAllow: [] }, { ipAllow: [] }],
    ])('applies %j (absent fields unchanged)', async (body, expected) => {
      const response = await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: withProfiles(body) });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(KEY_FIELDS);
      expect(response.body).toMatchObject({ id: key.id, ...withProfiles(expected) });
    });

    it('sets and clears expiredAt', async () => {
      const expiredAt = future(2);
      expect((await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { expiredAt } })).body).toMatchObject({
        expiredAt,
        expired: false,
      });
      expect((await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { expiredAt: null } })).body).toMatchObject({ expiredAt: null });
    });

    it('moves a key into a group by groupId and out with null; an unknown group is 404', async () => {
      const group = await createGroup(c.jwt);
      expect((await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { groupId: group.id } })).body).toMatchObject({
        groupId: group.id,
        keyGroup: group.name,
      });
      expect((await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { groupId: null } })).body).toMatchObject({
        groupId: null,
        keyGroup: null,
      });
      expectError('dragonfly', await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { groupId: randomUUID() } }), 404, 'NOT_FOUND');
    });

    it('answers 404 for an unknown key and 400 for an absurd id', async () => {
      expectError('dragonfly', await call('PATCH', `/api/keys/${randomUUID()}`, c.jwt, { body: { name: 'x' } }), 404, 'NOT_FOUND');
      expectError('dragonfly', await call('PATCH', `/api/keys/${'k'.repeat(80)}`, c.jwt, { body: { name: 'x' } }), 400, 'BAD_USER_INPUT');
    });
  });

  describe('DELETE /api/keys/:id', () => {
    it('revokes (soft delete): 200 with status revoked; then GET, PATCH and DELETE are 404 and the list leaves it out', async () => {
      const key = await createKey(c.jwt, { name: 'doomed' });
      const response = await call('DELETE', `/api/keys/${key.id}`, c.jwt);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(KEY_FIELDS);
      expect(response.body).toMatchObject({ id: key.id, name: 'doomed', status: 'revoked', enabled: false });
      expectNoRawKeys(response);
      expectError('dragonfly', await call('GET', `/api/keys/${key.id}`, c.jwt), 404, 'NOT_FOUND');
      expectError('dragonfly', await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { name: 'back' } }), 404, 'NOT_FOUND');
      expectError('dragonfly', await call('DELETE', `/api/keys/${key.id}`, c.jwt), 404, 'NOT_FOUND');
      const list = await call('GET', '/api/keys?pageSize=100', c.jwt);
      expect(list.body.keys.map((k: { id: string }) => k.id)).not.toContain(key.id);
      expectNoRawKeys(list);
    });
  });

  describe('key groups', () => {
    it('creates (201), lists, updates and deletes a group with the documented fields', async () => {
      const name = unique('ops');
      const created = await call('POST', '/api/keys/groups', c.jwt, { body: { name, monthlyBudget: 100 } });
      expect(created.status).toBe(201);
      expect(Object.keys(created.body).sort()).toEqual(GROUP_FIELDS);
      expect(created.body).toMatchObject({ name, monthlyBudget: 100 });

      const list = await call('GET', '/api/keys/groups', c.jwt);
      expect(list.status).toBe(200);
      expect(Object.keys(list.body)).toEqual(['groups']);
      for (const group of list.body.groups) expect(Object.keys(group).sort()).toEqual(GROUP_FIELDS);
      expect(list.body.groups).toContainEqual(created.body);

      const renamed = await call('PATCH', `/api/keys/groups/${created.body.id}`, c.jwt, {
        body: { name: `${name}-2`, monthlyBudget: '12.5' },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toEqual({ ...created.body, name: `${name}-2`, monthlyBudget: 12.5 });
      const cleared = await call('PATCH', `/api/keys/groups/${created.body.id}`, c.jwt, { body: { monthlyBudget: null } });
      expect(cleared.body).toMatchObject({ name: `${name}-2`, monthlyBudget: null });

      const deleted = await call('DELETE', `/api/keys/groups/${created.body.id}`, c.jwt);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ ...created.body, name: `${name}-2`, monthlyBudget: null });
      expect((await call('GET', '/api/keys/groups', c.jwt)).body.groups.map((g: { id: string }) => g.id)).not.toContain(created.body.id);
      expectError('dragonfly', await call('DELETE', `/api/keys/groups/${created.body.id}`, c.jwt), 404, 'NOT_FOUND');
      expectError(
        'dragonfly',
        await call('PATCH', `/api/keys/groups/${created.body.id}`, c.jwt, { body: { name: 'x' } }),
        404,
        'NOT_FOUND',
      );
    });

    it('deleting a group leaves its keys active and ungrouped', async () => {
      const group = await createGroup(c.jwt);
      const a = await createKey(c.jwt, { groupId: group.id });
      const b = await createKey(c.jwt, { key_group: group.name });
      expect(b.groupId).toBe(group.id);
      expect((await call('DELETE', `/api/keys/groups/${group.id}`, c.jwt)).status).toBe(200);
      for (const key of [a, b]) {
        const after = await call('GET', `/api/keys/${key.id}`, c.jwt);
        expect(after.body).toMatchObject({ id: key.id, status: 'active', groupId: null, keyGroup: null });
      }
    });

    it('a duplicate name is 409, on create and on rename', async () => {
      const group = await createGroup(c.jwt);
      const other = await createGroup(c.jwt);
      expectError('dragonfly', await call('POST', '/api/keys/groups', c.jwt, { body: { name: group.name } }), 409, 'CONFLICT');
      expectError('dragonfly', await call('PATCH', `/api/keys/groups/${other.id}`, c.jwt, { body: { name: group.name } }), 409, 'CONFLICT');
    });

    it.each([
      [{}],
      [{ name: '' }],
      [{ name: 5 }],
      [{ name: 'ok', monthlyBudget: -1 }],
      [{ name: 'ok', monthlyBudget: 'ten' }],
      [{ name: 'ok', monthlyBudget: 1.0000001 }],
      [{ name: 'ok', budget: 5 }],
    ])('POST refuses %j with 400', async (body) => {
      expectError('dragonfly', await call('POST', '/api/keys/groups', c.jwt, { body }), 400, 'BAD_USER_INPUT');
    });

    it.each([[{}], [{ monthlyBudget: -1 }], [{ name: '' }], [{ colour: 'red' }]])('PATCH refuses %j with 400', async (body) => {
      const group = await createGroup(c.jwt);
      expectError('dragonfly', await call('PATCH', `/api/keys/groups/${group.id}`, c.jwt, { body }), 400, 'BAD_USER_INPUT');
    });

    it('refuses non-object, malformed and non-JSON bodies', async () => {
      const group = await createGroup(c.jwt);
      expectError('dragonfly', await call('POST', '/api/keys/groups', c.jwt, { rawBody: '["x"]' }), 400, 'BAD_REQUEST');
      expectError('dragonfly', await call('POST', '/api/keys/groups', c.jwt), 400, 'BAD_REQUEST');
      expectError('dragonfly', await call('PATCH', `/api/keys/groups/${group.id}`, c.jwt, { rawBody: '{"name"' }), 400, 'BAD_REQUEST');
      expectError(
        'dragonfly',
        await call('POST', '/api/keys/groups', c.jwt, { rawBody: 'x', headers: { 'content-type': 'text/plain' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        'dragonfly',
        await call('POST', '/api/keys/groups', c.jwt, { body: { name: 'x'.repeat(1024 * 1024) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });
  });

  describe('management keys', () => {
    it.each(['buyer', 'seller', 'full'])('creates a %s key: 201, the documented fields, the raw key once, and it works', async (scope) => {
      const response = await call('POST', '/api/management-keys', c.jwt, { body: { name: `bot-${scope}`, mgmt_scope: scope } });
      expect(response.status).toBe(201);
      rawKeys.push(response.body.key);
      expect(Object.keys(response.body).sort()).toEqual([...MANAGEMENT_KEY_FIELDS, 'key'].sort());
      expect(response.body).toMatchObject({ name: `bot-${scope}`, mgmt_scope: scope, enabled: true });
      expect(response.body.key).toMatch(/^mk-[A-Za-z0-9_-]{43}$/);
      expect(response.body.keyPreview).toMatch(/^mk-.{4}….{4}$/);
      expect(response.body.keyPreview).not.toContain(response.body.key.slice(8, 40));
      const used = await call('GET', '/api/keys', response.body.key);
      expect(used.status).toBe(scope === 'seller' ? 403 : 200);
      expect((await call('DELETE', `/api/management-keys/${response.body.id}`, c.jwt)).status).toBe(200);
    });

    it('lists management keys without the raw key: {managementKeys, total, page, pageSize}', async () => {
      const response = await call('GET', '/api/management-keys?page=1&pageSize=2', c.jwt);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['managementKeys', 'page', 'pageSize', 'total']);
      expect(response.body).toMatchObject({ page: 1, pageSize: 2 });
      expect(response.body.managementKeys).toHaveLength(2);
      expect(response.body.total).toBeGreaterThanOrEqual(4);
      for (const key of response.body.managementKeys) expect(Object.keys(key).sort()).toEqual(MANAGEMENT_KEY_FIELDS);
      const all = await call('GET', '/api/management-keys', c.jwt);
      expect(all.body.managementKeys.map((key: { mgmt_scope: string }) => key.mgmt_scope)).toEqual(
        expect.arrayContaining(['buyer', 'seller', 'full']),
      );
      expect(all.body.managementKeys.find((key: { name: string }) => key.name === 'disabled')).toMatchObject({ enabled: false });
      expectNoRawKeys(all);
    });

    it.each(['page=0', 'pageSize=101', 'page=abc'])('GET refuses ?%s with 400', async (query) => {
      expectError('dragonfly', await call('GET', `/api/management-keys?${query}`, c.jwt), 400, 'BAD_USER_INPUT');
    });

    it('deletes: 200 {id, deleted: true}; the key stops working; a second delete is 404', async () => {
      const created = await createManagementKey(c.jwt, 'full');
      expect((await call('GET', '/api/keys', created.key)).status).toBe(200);
      const response = await call('DELETE', `/api/management-keys/${created.id}`, c.jwt);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id: created.id, deleted: true });
      expectError('dragonfly', await call('GET', '/api/keys', created.key), 401, 'UNAUTHENTICATED');
      expectError('dragonfly', await call('DELETE', `/api/management-keys/${created.id}`, c.jwt), 404, 'NOT_FOUND');
      const list = await call('GET', '/api/management-keys?pageSize=100', c.jwt);
      expect(list.body.managementKeys.map((key: { id: string }) => key.id)).not.toContain(created.id);
    });

    it.each([
      [{ name: 'bot' }, 'mgmt_scope missing'],
      [{ name: 'bot', mgmt_scope: null }, 'mgmt_scope null'],
      [{ name: 'bot', mgmt_scope: 'admin' }, 'unknown scope'],
      [{ name: 'bot', mgmt_scope: 3 }, 'scope not a string'],
      [{ mgmt_scope: 'buyer' }, 'name missing'],
      [{ name: '', mgmt_scope: 'buyer' }, 'empty name'],
      [{ name: 'bot', mgmt_scope: 'buyer', scope: 'full' }, 'unknown field'],
    ])('POST refuses %j (%s) with 400', async (body, _why) => {
      expectError('dragonfly', await call('POST', '/api/management-keys', c.jwt, { body }), 400, 'BAD_USER_INPUT');
    });

    it('refuses non-object, malformed, non-JSON and oversize bodies', async () => {
      expectError('dragonfly', await call('POST', '/api/management-keys', c.jwt, { rawBody: '"bot"' }), 400, 'BAD_REQUEST');
      expectError('dragonfly', await call('POST', '/api/management-keys', c.jwt, { rawBody: '{' }), 400, 'BAD_REQUEST');
      expectError(
        'dragonfly',
        await call('POST', '/api/management-keys', c.jwt, { rawBody: 'x', headers: { 'content-type': 'text/plain' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        'dragonfly',
        await call('POST', '/api/management-keys', c.jwt, { body: { name: 'x'.repeat(1024 * 1024) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });

    it('the 11th live management key of an account is 403 QUOTA_EXCEEDED', async () => {
      const owner = await signup(stack.url, 'quota');
      const created = [];
      for (let i = 0; i < 10; i++) created.push(await createManagementKey(owner.jwt));
      expectError(
        'dragonfly',
        await call('POST', '/api/management-keys', owner.jwt, { body: { name: 'eleventh', mgmt_scope: 'buyer' } }),
        403,
        'QUOTA_EXCEEDED',
      );
      expect((await call('DELETE', `/api/management-keys/${created[0].id}`, owner.jwt)).status).toBe(200);
      expect((await call('POST', '/api/management-keys', owner.jwt, { body: { name: 'eleventh', mgmt_scope: 'buyer' } })).status).toBe(201);
    });
  });

  describe('rate limits on keys and groups', () => {
    it('sets rpmLimit, tpmLimit and maxParallelRequests on create and patch, clears each with null, and leaves absent ones', async () => {
      const key = await createKey(c.jwt, { rpmLimit: 60, tpmLimit: 100_000, maxParallelRequests: 4 });
      expect(key).toMatchObject({ rpmLimit: 60, tpmLimit: 100_000, maxParallelRequests: 4 });
      expect((await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { rpmLimit: 1_000_000 } })).body).toMatchObject({
        rpmLimit: 1_000_000,
        tpmLimit: 100_000,
        maxParallelRequests: 4,
      });
      expect(
        (await call('PATCH', `/api/keys/${key.id}`, c.jwt, { body: { tpmLimit: null, maxParallelRequests: 10_000 } })).body,
      ).toMatchObject({ rpmLimit: 1_000_000, tpmLimit: null, maxParallelRequests: 10_000 });
      expect((await call('GET', `/api/keys/${key.id}`, c.jwt)).body).toMatchObject({
        rpmLimit: 1_000_000,
        tpmLimit: null,
        maxParallelRequests: 10_000,
      });
      const group = await createGroup(c.jwt, { rpmLimit: 10, maxParallelRequests: 2 });
      expect(group).toMatchObject({ rpmLimit: 10, tpmLimit: null, maxParallelRequests: 2 });
      const patched = await call('PATCH', `/api/keys/groups/${group.id}`, c.jwt, { body: { tpmLimit: 1_000_000_000, rpmLimit: null } });
      expect(patched.body).toEqual({ ...group, rpmLimit: null, tpmLimit: 1_000_000_000 });
    });

    it.each([
      [{ rpmLimit: 0 }, 'rpmLimit'],
      [{ rpmLimit: -1 }, 'rpmLimit'],
      [{ rpmLimit: 1_000_001 }, 'rpmLimit'],
      [{ tpmLimit: 1_000_000_001 }, 'tpmLimit'],
      [{ maxParallelRequests: 10_001 }, 'maxParallelRequests'],
      [{ maxParallelRequests: 0 }, 'maxParallelRequests'],
      [{ rpmLimit: 1.5 }, undefined],
      [{ rpmLimit: '10' }, undefined],
      [{ tpmLimit: 1e12 }, undefined],
      [{ maxParallelRequests: true }, undefined],
    ])('refuses %j on a key and on a group with 400, changing nothing', async (body, field) => {
      const key = await createKey(c.jwt, { rpmLimit: 5 });
      const group = await createGroup(c.jwt, { rpmLimit: 5 });
      for (const [path, create] of [
        [`/api/keys/${key.id}`, '/api/keys'],
        [`/api/keys/groups/${group.id}`, '/api/keys/groups'],
      ]) {
        const patched = await call('PATCH', path, c.jwt, { body });
        expectError('dragonfly', patched, 400, 'BAD_USER_INPUT');
        if (field) expect(patched.body.error.details?.field).toBe(field);
        expectError('dragonfly', await call('POST', create, c.jwt, { body: { name: unique('bad'), ...body } }), 400, 'BAD_USER_INPUT');
      }
      expect((await call('GET', `/api/keys/${key.id}`, c.jwt)).body).toMatchObject({
        rpmLimit: 5,
        tpmLimit: null,
        maxParallelRequests: null,
      });
      expect((await call('GET', '/api/keys/groups', c.jwt)).body.groups).toContainEqual(group);
    });

    it("are the owner's to set: another account's key or group is 404, a seller-scope management key 403, nothing changes", async () => {
      const key = await createKey(c.jwt, { rpmLimit: 5 });
      const group = await createGroup(c.jwt, { rpmLimit: 5 });
      expectError('dragonfly', await call('PATCH', `/api/keys/${key.id}`, c.other.jwt, { body: { rpmLimit: 1_000 } }), 404, 'NOT_FOUND');
      expectError(
        'dragonfly',
        await call('PATCH', `/api/keys/groups/${group.id}`, c.other.jwt, { body: { rpmLimit: 1_000 } }),
        404,
        'NOT_FOUND',
      );
      expectError('dragonfly', await call('PATCH', `/api/keys/${key.id}`, c.mkSeller, { body: { rpmLimit: 1_000 } }), 403, 'FORBIDDEN');
      expectError(
        'dragonfly',
        await call('PATCH', `/api/keys/${key.id}`, undefined, { body: { rpmLimit: 1_000 } }),
        401,
        'UNAUTHENTICATED',
      );
      expect((await call('GET', `/api/keys/${key.id}`, c.jwt)).body.rpmLimit).toBe(5);
      expect((await call('GET', '/api/keys/groups', c.jwt)).body.groups).toContainEqual(group);
    });
  });

  describe('management-key scopes on buyer keys and groups', () => {
    it.each(['mkBuyer', 'mkFull'] as const)('%s creates, lists, patches and deletes keys and groups of its own account', async (which) => {
      const token = c[which];
      const group = await createGroup(token, { monthlyBudget: 5 });
      const key = await createKey(token, { groupId: group.id, limit: 2 });
      // Same account: the dashboard session sees what the management key made.
      expect((await call('GET', `/api/keys/${key.id}`, c.jwt)).body).toMatchObject({ id: key.id, groupId: group.id, limit: 2 });
      const list = await call('GET', '/api/keys?pageSize=100', token);
      expect(list.body.keys.map((k: { id: string }) => k.id)).toContain(key.id);
      expectNoRawKeys(list);
      expect((await call('PATCH', `/api/keys/${key.id}`, token, { body: { cycle: 'daily' } })).body).toMatchObject({
        cycle: 'daily',
        limit: 2,
      });
      expect((await call('PATCH', `/api/keys/groups/${group.id}`, token, { body: { monthlyBudget: 6 } })).body).toMatchObject({
        monthlyBudget: 6,
      });
      expect((await call('GET', '/api/keys/groups', token)).body.groups.map((g: { id: string }) => g.id)).toContain(group.id);
      expect((await call('DELETE', `/api/keys/${key.id}`, token)).body).toMatchObject({ status: 'revoked' });
      expect((await call('DELETE', `/api/keys/groups/${group.id}`, token)).status).toBe(200);
    });

    it('a seller-scope management key gets 403 on buyer keys and groups', async () => {
      const key = await createKey(c.jwt);
      const group = await createGroup(c.jwt);
      expectError('dragonfly', await call('GET', '/api/keys', c.mkSeller), 403, 'FORBIDDEN');
      expectError('dragonfly', await call('POST', '/api/keys', c.mkSeller, { body: { name: 'x' } }), 403, 'FORBIDDEN');
      expectError('dragonfly', await call('PATCH', `/api/keys/${key.id}`, c.mkSeller, { body: { name: 'x' } }), 403, 'FORBIDDEN');
      expectError('dragonfly', await call('DELETE', `/api/keys/${key.id}`, c.mkSeller), 403, 'FORBIDDEN');
      expectError('dragonfly', await call('POST', '/api/keys/groups', c.mkSeller, { body: { name: 'x' } }), 403, 'FORBIDDEN');
      expectError('dragonfly', await call('DELETE', `/api/keys/groups/${group.id}`, c.mkSeller), 403, 'FORBIDDEN');
      expect((await call('GET', `/api/keys/${key.id}`, c.jwt)).body).toMatchObject({ status: 'active', name: key.name });
    });
  });

  describe("another account's objects", () => {
    /** One of our own keys (the fixture's). */
    const key0 = () => c.buyerKeyId;

    it.each(['jwt', 'mkFull'] as const)('are 404 to %s, and stay untouched', async (which) => {
      const token = c[which];
      const theirKey = await createKey(c.other.jwt, { name: 'theirs' });
      const theirGroup = await createGroup(c.other.jwt);
      const theirMk = await createManagementKey(c.other.jwt);
      expectError('dragonfly', await call('GET', `/api/keys/${theirKey.id}`, token), 404, 'NOT_FOUND');
      expectError('dragonfly', await call('PATCH', `/api/keys/${theirKey.id}`, token, { body: { name: 'mine' } }), 404, 'NOT_FOUND');
      expectError('dragonfly', await call('DELETE', `/api/keys/${theirKey.id}`, token), 404, 'NOT_FOUND');
      expectError('dragonfly', await call('PATCH', `/api/keys/${key0()}`, token, { body: { groupId: theirGroup.id } }), 404, 'NOT_FOUND');
      expectError(
        'dragonfly',
        await call('PATCH', `/api/keys/groups/${theirGroup.id}`, token, { body: { name: 'mine' } }),
        404,
        'NOT_FOUND',
      );
      expectError('dragonfly', await call('DELETE', `/api/keys/groups/${theirGroup.id}`, token), 404, 'NOT_FOUND');
      if (which === 'jwt') expectError('dragonfly', await call('DELETE', `/api/management-keys/${theirMk.id}`, token), 404, 'NOT_FOUND');
      const list = await call('GET', '/api/keys?pageSize=100', token);
      expect(list.body.keys.map((k: { id: string }) => k.id)).not.toContain(theirKey.id);
      const groups = await call('GET', '/api/keys/groups', token);
      expect(groups.body.groups.map((g: { id: string }) => g.id)).not.toContain(theirGroup.id);
      // Still theirs, unchanged.
      expect((await call('GET', `/api/keys/${theirKey.id}`, c.other.jwt)).body).toMatchObject({ name: 'theirs', status: 'active' });
      expect((await call('GET', '/api/keys/groups', c.other.jwt)).body.groups).toContainEqual(theirGroup);
      expect((await call('GET', '/api/keys', theirMk.key)).status).toBe(200);
    });
  });

  describe('credential × route matrix', () => {
    type CredentialName =
      | 'none'
      | 'basic'
      | 'forgedJwt'
      | 'forgedMk'
      | 'buyerKey'
      | 'mkDisabled'
      | 'jwt'
      | 'mkBuyer'
      | 'mkSeller'
      | 'mkFull'
      | 'otherJwt'
      | 'otherMk';
    type Prepared = { path: string; body?: unknown; cleanup?: () => Promise<unknown> };
    interface Route {
      name: string;
      /** mgmt: /api/management-keys (dashboard session only); keys: buyer keys and groups. */
      kind: 'keys' | 'mgmt';
      /** own: names one of our objects by id (another account gets 404). */
      target: 'collection' | 'own';
      ok: 200 | 201;
      prepare: () => Promise<Prepared>;
    }

    let matrixKeyId: string;
    let matrixGroupId: string;
    beforeAll(async () => {
      matrixKeyId = (await createKey(c.jwt, { name: 'matrix' })).id;
      matrixGroupId = (await createGroup(c.jwt)).id;
    });

    const routes: Route[] = [
      { name: 'GET /api/keys', kind: 'keys', target: 'collection', ok: 200, prepare: async () => ({ path: '/api/keys' }) },
      {
        name: 'POST /api/keys',
        kind: 'keys',
        target: 'collection',
        ok: 201,
        prepare: async () => ({ path: '/api/keys', body: { name: 'matrix-new' } }),
      },
      { name: 'GET /api/keys/:id', kind: 'keys', target: 'own', ok: 200, prepare: async () => ({ path: `/api/keys/${matrixKeyId}` }) },
      {
        name: 'PATCH /api/keys/:id',
        kind: 'keys',
        target: 'own',
        ok: 200,
        prepare: async () => ({ path: `/api/keys/${matrixKeyId}`, body: { name: 'matrix' } }),
      },
      {
        name: 'DELETE /api/keys/:id',
        kind: 'keys',
        target: 'own',
        ok: 200,
        prepare: async () => ({ path: `/api/keys/${(await createKey(c.jwt)).id}` }),
      },
      { name: 'GET /api/keys/groups', kind: 'keys', target: 'collection', ok: 200, prepare: async () => ({ path: '/api/keys/groups' }) },
      {
        name: 'POST /api/keys/groups',
        kind: 'keys',
        target: 'collection',
        ok: 201,
        prepare: async () => ({ path: '/api/keys/groups', body: { name: unique('matrix') } }),
      },
      {
        name: 'PATCH /api/keys/groups/:id',
        kind: 'keys',
        target: 'own',
        ok: 200,
        prepare: async () => ({ path: `/api/keys/groups/${matrixGroupId}`, body: { monthlyBudget: 10 } }),
      },
      {
        name: 'DELETE /api/keys/groups/:id',
        kind: 'keys',
        target: 'own',
        ok: 200,
        prepare: async () => ({ path: `/api/keys/groups/${(await createGroup(c.jwt)).id}` }),
      },
      {
        name: 'GET /api/management-keys',
        kind: 'mgmt',
        target: 'collection',
        ok: 200,
        prepare: async () => ({ path: '/api/management-keys' }),
      },
      {
        name: 'POST /api/management-keys',
        kind: 'mgmt',
        target: 'collection',
        ok: 201,
        prepare: async () => ({ path: '/api/management-keys', body: { name: 'matrix', mgmt_scope: 'buyer' } }),
      },
      {
        name: 'DELETE /api/management-keys/:id',
        kind: 'mgmt',
        target: 'own',
        ok: 200,
        prepare: async () => {
          const id = (await createManagementKey(c.jwt)).id;
          return { path: `/api/management-keys/${id}`, cleanup: () => call('DELETE', `/api/management-keys/${id}`, c.jwt) };
        },
      },
    ];

    function expected(credential: CredentialName, route: Route): [number, string | null] {
      switch (credential) {
        case 'none':
        case 'basic':
        case 'forgedJwt':
        case 'forgedMk':
        case 'mkDisabled':
          return [401, 'UNAUTHENTICATED'];
        case 'buyerKey':
        case 'mkSeller':
          return [403, 'FORBIDDEN'];
        case 'jwt':
          return [route.ok, null];
        case 'mkBuyer':
        case 'mkFull':
          return route.kind === 'mgmt' ? [403, 'FORBIDDEN'] : [route.ok, null];
        case 'otherJwt':
          return route.target === 'own' ? [404, 'NOT_FOUND'] : [route.ok, null];
        case 'otherMk':
          return route.kind === 'mgmt' ? [403, 'FORBIDDEN'] : route.target === 'own' ? [404, 'NOT_FOUND'] : [route.ok, null];
      }
    }

    function headersFor(credential: CredentialName): Record<string, string> {
      const token: Record<CredentialName, string | undefined> = {
        none: undefined,
        basic: undefined,
        forgedJwt: c.jwtForged,
        forgedMk: c.mkForged,
        buyerKey: c.buyerKey,
        mkDisabled: c.mkDisabled,
        jwt: c.jwt,
        mkBuyer: c.mkBuyer,
        mkSeller: c.mkSeller,
        mkFull: c.mkFull,
        otherJwt: c.other.jwt,
        otherMk: c.other.mkFull,
      };
      if (credential === 'basic') return { authorization: 'Basic dXNlcjpwYXNz' };
      return token[credential] ? { authorization: `Bearer ${token[credential]}` } : {};
    }

    const credentialNames: CredentialName[] = [
      'none',
      'basic',
      'forgedJwt',
      'forgedMk',
      'buyerKey',
      'mkDisabled',
      'jwt',
      'mkBuyer',
      'mkSeller',
      'mkFull',
      'otherJwt',
      'otherMk',
    ];
    const table = credentialNames.flatMap((credential) => routes.map((route) => [credential, route.name, route] as const));

    it.each(table)('%s × %s', async (credential, _name, route) => {
      const [status, code] = expected(credential, route);
      const { path, body, cleanup } = await route.prepare();
      const response = await call(route.name.split(' ')[0], path, undefined, { body, headers: headersFor(credential) });
      if (status === 201 && response.body?.key) rawKeys.push(response.body.key);
      // Keep the account under its management-key quota whatever happened.
      await cleanup?.();
      if (response.status === 201 && route.kind === 'mgmt') await call('DELETE', `/api/management-keys/${response.body.id}`, c.jwt);
      if (code) expectError('dragonfly', response, status, code);
      else expect(response.status, JSON.stringify(response.body)).toBe(status);
      // Another account's list never holds our objects; ours does.
      if (response.status === 200 && Array.isArray(response.body.keys)) {
        expect(response.body.keys.some((key: { id: string }) => key.id === matrixKeyId)).toBe(!credential.startsWith('other'));
      }
    });
  });

  describe('rate limit', () => {
    it(`answers 429 RATE_LIMITED with Retry-After past ${RATE_LIMIT} requests a minute per credential`, async () => {
      await insideOneMinuteWindow();
      const owner = await signup(stack.url, 'busy');
      let first429: Awaited<ReturnType<typeof call>> | null = null;
      let sent = 0;
      // Cheap requests (a 400 from the adapter); a minute boundary can reset the count once.
      while (!first429 && sent < RATE_LIMIT * 2 + 2) {
        const batch = await Promise.all(Array.from({ length: 50 }, () => call('GET', '/api/keys?page=x', owner.jwt)));
        const index = batch.findIndex((response) => response.status === 429);
        if (index >= 0) {
          first429 = batch[index];
          expect(sent + index).toBeGreaterThanOrEqual(RATE_LIMIT);
        }
        sent += batch.length;
      }
      expect(first429).not.toBeNull();
      expectError('dragonfly', first429!, 429, 'RATE_LIMITED');
      const retryAfter = Number(first429!.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Counted per credential: another credential still gets through.
      expect((await call('GET', '/api/keys', c.mkFull)).status).toBe(200);
    });
  });
});
