// The NaaP developer API over REST: billing providers (public), developer keys and projects
// (dashboard session only), in NaaP's envelope {success, data?, error?, meta?}. One embedded stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { graphql, rest, insideOneMinuteWindow } from '../helpers/graphql';
import { credentials, signup, type Credentials } from '../helpers/credentials';
import { startTestStack, type TestStack } from '../helpers/stack';
import { expectError } from '../helpers/expect-error';
import { eventually } from '../helpers/eventually';

const RATE_LIMIT = 150;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const WARNING = 'Store this key securely. It will not be shown again.';

let stack: TestStack;
let creds: Credentials;
/** A key of the owner's, created over REST, for the credential matrix. */
let ownerKeyId: string;

beforeAll(async () => {
  stack = await startTestStack({ MANAGEMENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
  creds = await credentials(stack.url);
  ownerKeyId = (await createKey(creds.jwt)).body.data.key.id;
});
afterAll(async () => {
  await stack?.stop();
});

const providerSecret = () => `prov-${randomUUID()}`;

function createKey(token: string, body: Record<string, unknown> = {}) {
  return rest(stack.url, 'POST', '/api/v1/developer/keys', {
    token,
    body: { billingProviderId: 'bp_sandbox', rawApiKey: providerSecret(), ...body },
  });
}

/** A fresh account, so that counts and pages start from nothing. */
async function freshAccount(label: string): Promise<string> {
  return (await signup(stack.url, label)).jwt;
}

const keyShape = {
  id: expect.any(String),
  keyPrefix: expect.stringMatching(/^sk-df-/),
  label: expect.any(String),
  status: expect.any(String),
  expiresAt: null,
  project: { id: expect.any(String), name: expect.any(String), isDefault: expect.any(Boolean) },
  billingProvider: { id: 'bp_sandbox', slug: 'sandbox', displayName: 'Sandbox' },
  createdAt: expect.stringMatching(ISO),
};

describe('GET /api/v1/billing-providers (public)', () => {
  it('lists the catalog without any credential: sandbox, daydream, pymthouse', async () => {
    const response = await rest(stack.url, 'GET', '/api/v1/billing-providers');
    expect(response.status).toBe(200);
    expect(response.body.success).toBe(true);
    expect(Object.keys(response.body)).toEqual(['success', 'data']);
    const providers = response.body.data.providers;
    expect(providers.map((p: any) => p.slug)).toEqual(expect.arrayContaining(['sandbox', 'daydream', 'pymthouse']));
    for (const provider of providers) {
      expect(Object.keys(provider).sort()).toEqual(['authType', 'description', 'displayName', 'icon', 'id', 'slug']);
    }
    expect(providers.find((p: any) => p.slug === 'daydream')).toEqual({
      id: 'bp_daydream',
      slug: 'daydream',
      displayName: 'Daydream',
      description: expect.any(String),
      icon: expect.any(String),
      authType: 'oauth',
    });
  });

  it.each([
    ['forged JWT', () => creds.jwtForged],
    ['buyer key', () => creds.buyerKey],
    ['management key', () => creds.mkFull],
    ['disabled management key', () => creds.mkDisabled],
    ['JWT', () => creds.jwt],
  ])('ignores an Authorization header (%s)', async (_name, token) => {
    const response = await rest(stack.url, 'GET', '/api/v1/billing-providers', { token: token() });
    expect(response.status).toBe(200);
    expect(response.body.data.providers.length).toBeGreaterThanOrEqual(3);
  });
});

describe('credentials × developer routes', () => {
  const routes: [string, string, () => string, unknown?][] = [
    ['GET', 'keys', () => '/api/v1/developer/keys'],
    ['POST', 'keys', () => '/api/v1/developer/keys', { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-123' }],
    ['GET', 'keys/:id', () => `/api/v1/developer/keys/${ownerKeyId}`],
    ['DELETE', 'keys/:id', () => `/api/v1/developer/keys/${ownerKeyId}`],
    ['GET', 'projects', () => '/api/v1/developer/projects'],
    ['POST', 'projects', () => '/api/v1/developer/projects', { name: 'matrix project' }],
  ];
  const refused: [string, () => string | undefined, number, string][] = [
    ['none', () => undefined, 401, 'UNAUTHORIZED'],
    ['forged JWT', () => creds.jwtForged, 401, 'UNAUTHORIZED'],
    ['forged management key', () => creds.mkForged, 401, 'UNAUTHORIZED'],
    ['disabled management key', () => creds.mkDisabled, 401, 'UNAUTHORIZED'],
    ['buyer key', () => creds.buyerKey, 403, 'FORBIDDEN'],
    ['management key (buyer scope)', () => creds.mkBuyer, 403, 'FORBIDDEN'],
    ['management key (seller scope)', () => creds.mkSeller, 403, 'FORBIDDEN'],
    ['management key (full scope)', () => creds.mkFull, 403, 'FORBIDDEN'],
    ["another account's management key", () => creds.other.mkFull, 403, 'FORBIDDEN'],
  ];
  const table = routes.flatMap(([method, name, path, body]) =>
    refused.map(([who, token, status, code]) => [method, name, who, path, body, token, status, code] as const),
  );

  it.each(table)('%s %s with %s → refused', async (method, _name, _who, path, body, token, status, code) => {
    const response = await rest(stack.url, method, path(), { token: token(), body });
    expectError('naap', response, status, code);
  });

  it('a non-Bearer Authorization header → 401', async () => {
    const response = await rest(stack.url, 'GET', '/api/v1/developer/keys', {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expectError('naap', response, 401, 'UNAUTHORIZED');
  });

  it.each([
    ['GET', () => `/api/v1/developer/keys/${ownerKeyId}`],
    ['DELETE', () => `/api/v1/developer/keys/${ownerKeyId}`],
  ])("another account's JWT: %s keys/:id of the owner's key → 404, never data", async (method, path) => {
    expectError('naap', await rest(stack.url, method, path(), { token: creds.other.jwt }), 404, 'NOT_FOUND');
    // The owner's key is still there and still active.
    const own = await rest(stack.url, 'GET', path(), { token: creds.jwt });
    expect(own.body.data.key.status).toBe('ACTIVE');
  });

  it("another account's JWT lists its own keys and projects only", async () => {
    const keys = await rest(stack.url, 'GET', '/api/v1/developer/keys', { token: creds.other.jwt });
    expect(keys.status).toBe(200);
    expect(keys.body.data.keys.map((k: any) => k.id)).not.toContain(ownerKeyId);
    const ownerProjects = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: creds.jwt })).body.data.projects.map(
      (p: any) => p.id,
    );
    const otherProjects = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: creds.other.jwt })).body.data.projects.map(
      (p: any) => p.id,
    );
    expect(otherProjects.length).toBeGreaterThanOrEqual(1);
    expect(otherProjects.filter((id: string) => ownerProjects.includes(id))).toEqual([]);
  });

  it("another account's projectId → 404 NOT_FOUND, and no key is created", async () => {
    const otherProjectId = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: creds.other.jwt })).body.data.projects[0]
      .id;
    const before = (await rest(stack.url, 'GET', '/api/v1/developer/keys', { token: creds.jwt })).body.meta.total;
    expectError('naap', await createKey(creds.jwt, { projectId: otherProjectId }), 404, 'NOT_FOUND');
    expect((await rest(stack.url, 'GET', '/api/v1/developer/keys', { token: creds.jwt })).body.meta.total).toBe(before);
  });

  it('over the rate limit → 429 RATE_LIMITED with Retry-After', async () => {
    const jwt = await freshAccount('limited');
    await insideOneMinuteWindow();
    const responses = await Promise.all(
      Array.from({ length: RATE_LIMIT + 5 }, () => rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt })),
    );
    const limited = responses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expectError('naap', limited[0], 429, 'RATE_LIMITED');
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(RATE_LIMIT);
  });
});

describe('POST /api/v1/developer/keys', () => {
  it('201 {key, rawApiKey, warning}: our sk-df key, the default project, label "default"', async () => {
    const jwt = await freshAccount('creator');
    const response = await createKey(jwt);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      success: true,
      data: { key: keyShape, rawApiKey: expect.stringMatching(/^sk-df-/), warning: WARNING },
    });
    const { key, rawApiKey } = response.body.data;
    expect(rawApiKey.startsWith(key.keyPrefix)).toBe(true);
    expect(key).toMatchObject({ label: 'default', status: 'ACTIVE', project: { isDefault: true } });
    const projects = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt })).body.data.projects;
    expect(key.project.id).toBe(projects[0].id);
  });

  it('takes a label, a projectId, and a projectName (created if new, reused if not)', async () => {
    const jwt = await freshAccount('projects');
    const labelled = await createKey(jwt, { label: 'my label', billingProviderId: 'bp_daydream' });
    expect(labelled.status).toBe(201);
    expect(labelled.body.data.key).toMatchObject({
      label: 'my label',
      billingProvider: { id: 'bp_daydream', slug: 'daydream', displayName: 'Daydream' },
    });

    const named = await createKey(jwt, { projectName: 'Side project' });
    expect(named.status).toBe(201);
    expect(named.body.data.key.project).toEqual({ id: expect.any(String), name: 'Side project', isDefault: false });
    const again = await createKey(jwt, { projectName: 'Side project' });
    expect(again.body.data.key.project.id).toBe(named.body.data.key.project.id);
    const byId = await createKey(jwt, { projectId: named.body.data.key.project.id });
    expect(byId.status).toBe(201);
    expect(byId.body.data.key.project.id).toBe(named.body.data.key.project.id);

    const projects = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt })).body.data.projects;
    expect(projects.map((p: any) => [p.name, p.isDefault, p._count.apiKeys])).toEqual([
      ['Default', true, 1],
      ['Side project', false, 3],
    ]);
  });

  it.each([
    ['no billingProviderId', { rawApiKey: 'provider-key-123' }, ['billingProviderId']],
    ['no rawApiKey', { billingProviderId: 'bp_sandbox' }, ['rawApiKey']],
    ['neither', {}, ['billingProviderId', 'rawApiKey']],
    ['null rawApiKey', { billingProviderId: 'bp_sandbox', rawApiKey: null }, ['rawApiKey']],
    ['a numeric rawApiKey', { billingProviderId: 'bp_sandbox', rawApiKey: 12345678 }, ['rawApiKey']],
    ['an object billingProviderId', { billingProviderId: { id: 'bp_sandbox' }, rawApiKey: 'provider-key-123' }, ['billingProviderId']],
    ['a numeric label', { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-123', label: 7 }, ['label']],
    ['a boolean projectName', { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-123', projectName: true }, ['projectName']],
    ['an array projectId', { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-123', projectId: ['x'] }, ['projectId']],
    ['an unknown billingProviderId', { billingProviderId: 'bp_nope', rawApiKey: 'provider-key-123' }, ['billingProviderId']],
    ['a too short rawApiKey', { billingProviderId: 'bp_sandbox', rawApiKey: 'short' }, ['rawApiKey']],
    ['a too long rawApiKey', { billingProviderId: 'bp_sandbox', rawApiKey: 'k'.repeat(513) }, ['rawApiKey']],
    ['an empty label', { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-123', label: '' }, ['label']],
    ['a 101-character label', { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-123', label: 'l'.repeat(101) }, ['label']],
    [
      'a 101-character projectName',
      { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-123', projectName: 'p'.repeat(101) },
      ['projectName'],
    ],
  ])('%s → 400 VALIDATION_ERROR naming the field', async (_name, body, fields) => {
    const response = await rest(stack.url, 'POST', '/api/v1/developer/keys', { token: creds.jwt, body });
    expectError('naap', response, 400, 'VALIDATION_ERROR');
    expect(Object.keys(response.body.error.details.fields).sort()).toEqual(fields);
  });

  it('an unknown projectId → 404 NOT_FOUND', async () => {
    expectError('naap', await createKey(creds.jwt, { projectId: 'no-such-project' }), 404, 'NOT_FOUND');
  });

  it.each([
    ['malformed JSON', 400, { rawBody: '{"billingProviderId": ' }, 'BAD_REQUEST'],
    ['an empty JSON body', 400, { rawBody: '', headers: { 'content-type': 'application/json' } }, 'BAD_REQUEST'],
    ['an array body', 400, { body: [{ billingProviderId: 'bp_sandbox' }] }, 'BAD_REQUEST'],
    ['a string body', 400, { body: 'bp_sandbox' }, 'BAD_REQUEST'],
    ['a null body', 400, { rawBody: 'null' }, 'BAD_REQUEST'],
    ['a number body', 400, { rawBody: '42' }, 'BAD_REQUEST'],
    ['no body at all', 400, {}, 'BAD_REQUEST'],
    ['a text/plain body', 415, { rawBody: '{"billingProviderId":"bp_sandbox"}', headers: { 'content-type': 'text/plain' } }, 'BAD_REQUEST'],
    ['an application/xml body', 415, { rawBody: '<key/>', headers: { 'content-type': 'application/xml' } }, 'BAD_REQUEST'],
    ['an oversize body', 413, { body: { billingProviderId: 'bp_sandbox', rawApiKey: 'x'.repeat(1024 * 1024 + 10) } }, 'BAD_REQUEST'],
  ])('%s → %i in the NaaP envelope', async (_name, status, options, code) => {
    const response = await rest(stack.url, 'POST', '/api/v1/developer/keys', { token: creds.jwt, ...options });
    expectError('naap', response, status, code);
  });
});

describe('secrets: the provider-issued key and our sk-df key', () => {
  it('the provider key never comes back; our raw key only in the create response', async () => {
    const jwt = await freshAccount('secrets');
    const providerKey = `provider-${randomUUID()}`;
    const created = await createKey(jwt, { rawApiKey: providerKey });
    expect(created.status).toBe(201);
    const { key, rawApiKey } = created.body.data;
    expect(JSON.stringify(created.body)).not.toContain(providerKey);

    const later = [
      await rest(stack.url, 'GET', '/api/v1/developer/keys', { token: jwt }),
      await rest(stack.url, 'GET', `/api/v1/developer/keys/${key.id}`, { token: jwt }),
      await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt }),
      await rest(stack.url, 'DELETE', `/api/v1/developer/keys/${key.id}`, { token: jwt }),
      await rest(stack.url, 'GET', `/api/v1/developer/keys/${key.id}`, { token: jwt }),
    ];
    for (const response of later) {
      expect(response.status).toBe(200);
      const text = JSON.stringify(response.body);
      expect(text).not.toContain(providerKey);
      expect(text).not.toContain(rawApiKey);
    }
  });
});

describe('GET /api/v1/developer/keys', () => {
  let jwt: string;
  let ids: string[];

  beforeAll(async () => {
    jwt = await freshAccount('pager');
    ids = [];
    for (let i = 0; i < 5; i++) ids.push((await createKey(jwt, { label: `key ${i}` })).body.data.key.id);
  });

  it('defaults to page 1 of 20, newest first, with meta', async () => {
    const response = await rest(stack.url, 'GET', '/api/v1/developer/keys', { token: jwt });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['success', 'data', 'meta']);
    expect(response.body.meta).toEqual({ page: 1, pageSize: 20, total: 5, totalPages: 1, timestamp: expect.stringMatching(ISO) });
    expect(response.body.data.keys.map((k: any) => k.id)).toEqual([...ids].reverse());
    for (const key of response.body.data.keys) expect(key).toEqual({ ...keyShape, status: 'ACTIVE' });
  });

  it.each([
    [1, 2, 2],
    [2, 2, 2],
    [3, 2, 1],
    [4, 2, 0],
    [1, 5, 5],
    [1, 100, 5],
  ])('page %i of size %i → %i keys, totalPages = ceil(total / pageSize)', async (page, pageSize, count) => {
    const response = await rest(stack.url, 'GET', `/api/v1/developer/keys?page=${page}&pageSize=${pageSize}`, { token: jwt });
    expect(response.status).toBe(200);
    expect(response.body.data.keys).toHaveLength(count);
    expect(response.body.meta).toMatchObject({ page, pageSize, total: 5, totalPages: Math.ceil(5 / pageSize) });
  });

  it('a fresh account: no keys, total 0, totalPages 0', async () => {
    const response = await rest(stack.url, 'GET', '/api/v1/developer/keys', { token: await freshAccount('empty') });
    expect(response.body).toEqual({
      success: true,
      data: { keys: [] },
      meta: { page: 1, pageSize: 20, total: 0, totalPages: 0, timestamp: expect.stringMatching(ISO) },
    });
  });

  it.each(['pageSize=101', 'pageSize=0', 'page=0', 'page=-1', 'page=abc', 'pageSize=1.5', 'pageSize=9999999999', 'page=1e3'])(
    '%s → 400 BAD_REQUEST',
    async (query) => {
      expectError('naap', await rest(stack.url, 'GET', `/api/v1/developer/keys?${query}`, { token: jwt }), 400, 'BAD_REQUEST');
    },
  );

  it('lists revoked keys (REVOKED), disabled keys (DISABLED) and expired keys (EXPIRED)', async () => {
    const own = await freshAccount('statuses');
    const [revoked, disabled, expiring, active] = [
      (await createKey(own)).body.data.key.id,
      (await createKey(own)).body.data.key.id,
      (await createKey(own)).body.data.key.id,
      (await createKey(own)).body.data.key.id,
    ];
    expect((await rest(stack.url, 'DELETE', `/api/v1/developer/keys/${revoked}`, { token: own })).status).toBe(200);
    // Disabled and expiring through GraphQL, as the other surfaces would.
    const disable = await graphql(
      stack.url,
      'mutation ($id: ID!) { setApiKeyEnabled(id: $id, enabled: false) { id } }',
      { id: disabled },
      own,
    );
    expect(disable.errors).toBeUndefined();
    const expiresAt = new Date(Date.now() + 1000).toISOString();
    const expire = await graphql(
      stack.url,
      'mutation ($id: ID!, $at: DateTimeISO) { updateApiKey(id: $id, input: { expiredAt: $at }) { id } }',
      { id: expiring, at: expiresAt },
      own,
    );
    expect(expire.errors).toBeUndefined();
    // The expiry passes within the second.
    await eventually(async () => {
      const response = await rest(stack.url, 'GET', '/api/v1/developer/keys', { token: own });
      const byId = Object.fromEntries(response.body.data.keys.map((k: any) => [k.id, k]));
      expect(response.body.meta.total).toBe(4);
      expect(byId[revoked].status).toBe('REVOKED');
      expect(byId[disabled].status).toBe('DISABLED');
      expect(byId[expiring]).toMatchObject({ status: 'EXPIRED', expiresAt });
      expect(byId[active].status).toBe('ACTIVE');
    });
  });
});

describe('GET and DELETE /api/v1/developer/keys/{id}', () => {
  it('GET → {key}; DELETE → {message, key REVOKED}; GET still reads it; DELETE again → 404', async () => {
    const jwt = await freshAccount('revoker');
    const key = (await createKey(jwt, { label: 'to revoke' })).body.data.key;

    const read = await rest(stack.url, 'GET', `/api/v1/developer/keys/${key.id}`, { token: jwt });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ success: true, data: { key } });

    const revoked = await rest(stack.url, 'DELETE', `/api/v1/developer/keys/${key.id}`, { token: jwt });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ success: true, data: { message: 'API key revoked', key: { ...key, status: 'REVOKED' } } });

    const readAgain = await rest(stack.url, 'GET', `/api/v1/developer/keys/${key.id}`, { token: jwt });
    expect(readAgain.body).toEqual({ success: true, data: { key: { ...key, status: 'REVOKED' } } });
    expectError('naap', await rest(stack.url, 'DELETE', `/api/v1/developer/keys/${key.id}`, { token: jwt }), 404, 'NOT_FOUND');

    // A revoked key still counts in its project (NaaP keeps it listed).
    const projects = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt })).body.data.projects;
    expect(projects[0]._count.apiKeys).toBe(1);
  });

  it.each(['GET', 'DELETE'])('%s an unknown id → 404 NOT_FOUND', async (method) => {
    expectError('naap', await rest(stack.url, method, `/api/v1/developer/keys/${randomUUID()}`, { token: creds.jwt }), 404, 'NOT_FOUND');
  });

  it.each(['GET', 'DELETE'])('%s an over-long id → 400 BAD_REQUEST', async (method) => {
    expectError(
      'naap',
      await rest(stack.url, method, `/api/v1/developer/keys/${'x'.repeat(65)}`, { token: creds.jwt }),
      400,
      'BAD_REQUEST',
    );
  });
});

describe('projects', () => {
  it('a new account has its default project, listed first: {id, name, isDefault, createdAt, _count}', async () => {
    const jwt = await freshAccount('default');
    const response = await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      success: true,
      data: {
        projects: [
          { id: expect.any(String), name: 'Default', isDefault: true, createdAt: expect.stringMatching(ISO), _count: { apiKeys: 0 } },
        ],
      },
    });
    // Still first once other projects exist, even "AAA" (sorted before "Default").
    expect((await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: jwt, body: { name: 'AAA' } })).status).toBe(201);
    const after = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt })).body.data.projects;
    expect(after.map((p: any) => [p.name, p.isDefault])).toEqual([
      ['Default', true],
      ['AAA', false],
    ]);
  });

  it('POST → 201 {project} with _count.apiKeys 0; a key in it is counted', async () => {
    const jwt = await freshAccount('creator');
    const created = await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: jwt, body: { name: 'Research' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      success: true,
      data: {
        project: {
          id: expect.any(String),
          name: 'Research',
          isDefault: false,
          createdAt: expect.stringMatching(ISO),
          _count: { apiKeys: 0 },
        },
      },
    });
    expect((await createKey(jwt, { projectId: created.body.data.project.id })).status).toBe(201);
    const listed = (await rest(stack.url, 'GET', '/api/v1/developer/projects', { token: jwt })).body.data.projects;
    expect(listed.find((p: any) => p.id === created.body.data.project.id)._count).toEqual({ apiKeys: 1 });
  });

  it('a 100-character name is fine', async () => {
    const response = await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: creds.jwt, body: { name: 'n'.repeat(100) } });
    expect(response.status).toBe(201);
  });

  it('a duplicate name → 400 VALIDATION_ERROR on name', async () => {
    const jwt = await freshAccount('dupe');
    expect((await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: jwt, body: { name: 'Twice' } })).status).toBe(201);
    const again = await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: jwt, body: { name: 'Twice' } });
    expectError('naap', again, 400, 'VALIDATION_ERROR');
    expect(again.body.error.details).toEqual({ fields: { name: expect.stringContaining('already exists') } });
    // Another account may use the same name.
    expect((await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: creds.other.jwt, body: { name: 'Twice' } })).status).toBe(
      201,
    );
  });

  it.each([
    ['a 101-character name', { name: 'n'.repeat(101) }],
    ['an empty name', { name: '' }],
    ['no name', {}],
    ['a null name', { name: null }],
    ['a numeric name', { name: 5 }],
  ])('%s → 400 VALIDATION_ERROR on name', async (_name, body) => {
    const response = await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: creds.jwt, body });
    expectError('naap', response, 400, 'VALIDATION_ERROR');
    expect(Object.keys(response.body.error.details.fields)).toEqual(['name']);
  });

  it.each([
    ['malformed JSON', 400, { rawBody: '{"name": "x"' }],
    ['an array body', 400, { body: ['x'] }],
    ['a null body', 400, { rawBody: 'null' }],
    ['a text/plain body', 415, { rawBody: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }],
    ['an oversize body', 413, { body: { name: 'x'.repeat(1024 * 1024 + 10) } }],
  ])('%s → %i BAD_REQUEST', async (_name, status, options) => {
    expectError(
      'naap',
      await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: creds.jwt, ...options }),
      status,
      'BAD_REQUEST',
    );
  });

  it('REST and GraphQL agree: the same rule, the same projects', async () => {
    const jwt = await freshAccount('parity');
    const viaGraphQL = await graphql(
      stack.url,
      'mutation ($name: String!) { createProject(input: { name: $name }) { id } }',
      { name: 'n'.repeat(101) },
      jwt,
    );
    expect(viaGraphQL.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const created = await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: jwt, body: { name: 'Shared' } });
    const listed = await graphql<{ projects: { id: string; name: string }[] }, object>(stack.url, '{ projects { id name } }', {}, jwt);
    expect(listed.data?.projects.map((p) => p.id)).toContain(created.body.data.project.id);
    const duplicate = await graphql(stack.url, 'mutation { createProject(input: { name: "Shared" }) { id } }', {}, jwt);
    expect(duplicate.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
