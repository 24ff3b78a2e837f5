// "Nobody can hurt anybody else" (issue 14), played as the attacker: every list of an account's
// objects has a documented maximum enforced where the object is created (so GraphQL's cost
// estimate holds), a nested list query is refused before execution, an oversized answer becomes
// an error, subscriptions are capped per account (not per credential) with a share kept for the
// public feed's anonymous viewers, WebSocket connections are capped per address, a query over
// graphql-ws is that operation's error only, and TRUST_PROXY decides whose address IP rules see.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildASTSchema, getNamedType, getNullableType, isLeafType, isListType, isObjectType, parse, print } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { Client } from 'graphql-ws';
import { SCHEMA_DIR } from '../../schema/paths';
import { LiveJobFeedDocument } from '../../schema/generated/graphql';
import { DEFAULT_GRAPHQL_LIMITS, listBoundFor } from '../../gateway/graphql-limits';
import { graphql, rest, wsClient } from '../helpers/graphql';
import { managementKey, signup } from '../helpers/credentials';
import { eventually } from '../helpers/eventually';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const CREATE_KEY = 'mutation ($input: CreateApiKeyInput) { createApiKey(input: $input) { rawKey apiKey { id } } }';
const CREATE_GROUP = 'mutation ($input: CreateKeyGroupInput!) { createKeyGroup(input: $input) { id } }';
const CREATE_LISTING = 'mutation ($input: CreateListingInput!) { createListing(input: $input) { id } }';
const CREATE_PROFILE = 'mutation ($input: CreateRoutingProfileInput!) { createRoutingProfile(input: $input) { id } }';
const CREATE_POOL_KEY = 'mutation ($input: CreatePoolKeyInput!) { createPoolKey(input: $input) { id } }';
const CREATE_PROJECT = 'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }';

const codeOf = (response: { errors?: { extensions?: { code?: string } }[] }) => response.errors?.[0]?.extensions?.code;

describe('every list of an account is bounded at create time', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({
      MAX_API_KEYS_PER_ACCOUNT: '3',
      MAX_LISTINGS_PER_ACCOUNT: '2',
      MAX_POOL_KEYS_PER_ACCOUNT: '1',
      MAX_ROUTING_PROFILES_PER_ACCOUNT: '2',
      MAX_KEY_GROUPS_PER_ACCOUNT: '2',
      MAX_PROJECTS_PER_ACCOUNT: '2',
      GRAPHQL_MAX_RESPONSE_BYTES: '2000',
    });
  });
  afterAll(() => stack?.stop());

  it('buyer keys: the next one is QUOTA_EXCEEDED in GraphQL and a 4xx on Dragonfly, DGrid and NaaP; revoking makes room', async () => {
    const { jwt } = await signup(stack.url, 'keycap');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await graphql<{ createApiKey: { apiKey: { id: string } } }, unknown>(
        stack.url,
        CREATE_KEY,
        { input: { name: `k${i}` } },
        jwt,
      );
      expect(created.errors).toBeUndefined();
      ids.push(created.data!.createApiKey.apiKey.id);
    }
    const refused = await graphql(stack.url, CREATE_KEY, { input: { name: 'one too many' } }, jwt);
    expect(codeOf(refused)).toBe('QUOTA_EXCEEDED');
    expect(refused.errors![0].message).toMatch(/at most 3 API keys/);

    const dragonfly = await rest(stack.url, 'POST', '/api/keys', { token: jwt, body: { name: 'rest' } });
    expect(dragonfly.status).toBe(403);
    expect(JSON.stringify(dragonfly.body)).toMatch(/at most 3 API keys/);
    const naap = await rest(stack.url, 'POST', '/api/v1/developer/keys', {
      token: jwt,
      body: { billingProviderId: 'bp_sandbox', rawApiKey: 'provider-key-cap', label: 'naap' },
    });
    expect(naap.status).toBe(403);
    const mk = await managementKey(stack.url, jwt, 'FULL');
    const dgrid = await rest(stack.url, 'POST', '/api/v1/model-router/keys', { token: mk.rawKey, body: { name: 'dgrid' } });
    expect(dgrid.status).toBe(403);
    expect(dgrid.body.code).toBe(40301);

    const revoked = await rest(stack.url, 'DELETE', `/api/keys/${ids[0]}`, { token: jwt });
    expect(revoked.status).toBeLessThan(300);
    const again = await graphql(stack.url, CREATE_KEY, { input: { name: 'after revoking one' } }, jwt);
    expect(again.errors).toBeUndefined();
  });

  it('key groups (explicit, or made by name with a key) and projects (explicit, or made by name with a key)', async () => {
    const { jwt } = await signup(stack.url, 'groupcap');
    expect((await graphql(stack.url, CREATE_GROUP, { input: { name: 'g1' } }, jwt)).errors).toBeUndefined();
    expect((await rest(stack.url, 'POST', '/api/keys/groups', { token: jwt, body: { name: 'g2' } })).status).toBe(201);
    expect(codeOf(await graphql(stack.url, CREATE_GROUP, { input: { name: 'g3' } }, jwt))).toBe('QUOTA_EXCEEDED');
    expect((await rest(stack.url, 'POST', '/api/keys/groups', { token: jwt, body: { name: 'g3' } })).status).toBe(403);
    // A key naming a new group would make a third one: refused too (an existing group's name is fine).
    expect(codeOf(await graphql(stack.url, CREATE_KEY, { input: { name: 'k', keyGroup: 'g-new' } }, jwt))).toBe('QUOTA_EXCEEDED');
    expect((await graphql(stack.url, CREATE_KEY, { input: { name: 'k', keyGroup: 'g1' } }, jwt)).errors).toBeUndefined();

    // The default project exists once the first key is made: one more is allowed.
    expect((await graphql(stack.url, CREATE_PROJECT, { input: { name: 'p1' } }, jwt)).errors).toBeUndefined();
    expect(codeOf(await graphql(stack.url, CREATE_PROJECT, { input: { name: 'p2' } }, jwt))).toBe('QUOTA_EXCEEDED');
    const naap = await rest(stack.url, 'POST', '/api/v1/developer/projects', { token: jwt, body: { name: 'p2' } });
    expect(naap.status).toBe(403);
    expect(codeOf(await graphql(stack.url, CREATE_KEY, { input: { name: 'k', projectName: 'p-new' } }, jwt))).toBe('QUOTA_EXCEEDED');
  });

  it('listings, pool keys and routing profiles: the next one is refused in GraphQL and on the Dragonfly REST paths', async () => {
    const { jwt } = await signup(stack.url, 'sellercap');
    for (const model of ['cap/a', 'cap/b'])
      expect(
        (await graphql(stack.url, CREATE_LISTING, { input: { model, inputPricePerMTok: '1', outputPricePerMTok: '1' } }, jwt)).errors,
      ).toBeUndefined();
    const listing = await graphql(
      stack.url,
      CREATE_LISTING,
      { input: { model: 'cap/c', inputPricePerMTok: '1', outputPricePerMTok: '1' } },
      jwt,
    );
    expect(codeOf(listing)).toBe('QUOTA_EXCEEDED');
    expect(listing.errors![0].message).toMatch(/at most 2 listings/);
    const restListing = await rest(stack.url, 'POST', '/v1/market/listings', {
      token: jwt,
      body: { model: 'cap/c', inputPricePerMTok: 1, outputPricePerMTok: 1 },
    });
    expect(restListing.status).toBe(403);

    expect(
      (await graphql(stack.url, CREATE_POOL_KEY, { input: { provider: 'simulator', apiKey: 'sk-sim-cap-one', label: 'one' } }, jwt)).errors,
    ).toBeUndefined();
    expect(
      codeOf(await graphql(stack.url, CREATE_POOL_KEY, { input: { provider: 'simulator', apiKey: 'sk-sim-cap-two', label: 'two' } }, jwt)),
    ).toBe('QUOTA_EXCEEDED');
    expect(
      (await rest(stack.url, 'POST', '/v1/pool/keys', { token: jwt, body: { provider: 'simulator', apiKey: 'sk-sim-cap-two' } })).status,
    ).toBe(403);

    for (const name of ['r1', 'r2']) expect((await graphql(stack.url, CREATE_PROFILE, { input: { name } }, jwt)).errors).toBeUndefined();
    expect(codeOf(await graphql(stack.url, CREATE_PROFILE, { input: { name: 'r3' } }, jwt))).toBe('QUOTA_EXCEEDED');
    expect((await rest(stack.url, 'POST', '/api/routing/profiles', { token: jwt, body: { name: 'r3' } })).status).toBe(403);
  });

  it('an answer over GRAPHQL_MAX_RESPONSE_BYTES is a RESPONSE_TOO_LARGE error, not the body', async () => {
    const { jwt } = await signup(stack.url, 'bigbody');
    for (let i = 0; i < 3; i++)
      await graphql(stack.url, CREATE_KEY, { input: { name: `a rather long key name to fill the answer ${i}`.padEnd(60, '.') } }, jwt);
    const fields = 'id name prefix preview status createdAt updatedAt ipAllow ipDeny allowedModels cycle';
    const response = await graphql(
      stack.url,
      `{ me { id apiKeys { ${fields} } k2: apiKeys { ${fields} } k3: apiKeys { ${fields} } } }`,
      undefined,
      jwt,
    );
    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors![0]).toMatchObject({ extensions: { code: 'RESPONSE_TOO_LARGE', limit: 'maxResponseBytes', max: 2000 } });
    const small = await graphql(stack.url, '{ me { id apiKeys { id } } }', undefined, jwt);
    expect(small.errors).toBeUndefined();
  });
});

describe('GraphQL cost with real list bounds', () => {
  const schema = buildASTSchema(parse(readFileSync(path.join(SCHEMA_DIR, 'api.graphql'), 'utf8')));

  it('every list of objects in the API schema has a bound (no field falls back to a guess)', () => {
    const unbounded: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (
          isListType(getNullableType(field.type)) &&
          !isLeafType(getNamedType(field.type)) &&
          !listBoundFor(DEFAULT_GRAPHQL_LIMITS.listBounds, type.name, field.name)
        )
          unbounded.push(`${type.name}.${field.name}`);
      }
    }
    expect(unbounded).toEqual([]);
  });
});

describe('GraphQL and graphql-ws limits on one stack (default account maxima)', () => {
  let stack: TestStack;
  const subgraphCalls = () => stack.platform!.runtimes.reduce((n, r) => n + (vi.mocked(r.execute).mock?.calls.length ?? 0), 0);
  const clients: Client[] = [];
  const client = (token?: string) => {
    const c = wsClient(stack.url, token);
    clients.push(c);
    return c;
  };
  const stats = () => stack.platform!.gateway.subscriptionStats();
  const subscribe = (c: Client) => {
    const iterator = c.iterate({ query: print(LiveJobFeedDocument), variables: { pipeline: 'llm' } });
    const first = iterator.next();
    first.catch(() => {});
    return { iterator, first };
  };
  const disposeAll = async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await eventually(() => expect(stats().open).toBe(0));
  };

  beforeAll(async () => {
    stack = await startEmbeddedStack({
      SUBSCRIPTIONS_MAX_PER_ACCOUNT: '3',
      SUBSCRIPTIONS_MAX_TOTAL: '5',
      SUBSCRIPTIONS_ANONYMOUS_RESERVE_PERCENT: '40',
      WS_MAX_CONNECTIONS_PER_ADDRESS: '6',
    });
    for (const runtime of stack.platform!.runtimes) vi.spyOn(runtime, 'execute');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    vi.restoreAllMocks();
    await stack?.stop();
  });

  it('refuses `apiKeys { account { apiKeys … } }` before execution, however many keys the account really has', async () => {
    const { jwt } = await signup(stack.url, 'nested');
    for (let i = 0; i < 101; i++) {
      const created = await graphql(stack.url, CREATE_KEY, { input: { name: `k${i}` } }, jwt);
      expect(created.errors).toBeUndefined();
    }
    const before = subgraphCalls();
    const response = await graphql(
      stack.url,
      '{ me { apiKeys { id account { apiKeys { id account { apiKeys { id } } } } } } }',
      undefined,
      jwt,
    );
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxCost' });
    expect((response.errors![0].extensions as { actual: number }).actual).toBeGreaterThan(1000 ** 3);
    expect(subgraphCalls()).toBe(before);
    // One level is what the account holds, and fine.
    const flat = await graphql<{ me: { apiKeys: unknown[] } }, unknown>(stack.url, '{ me { apiKeys { id name } } }', undefined, jwt);
    expect(flat.data!.me.apiKeys).toHaveLength(101);
    // A page size passed as a variable counts as the largest page, not as 10.
    const paged = await graphql(
      stack.url,
      'query ($n: Int!) { apiKeys(pageSize: $n) { items { id account { listings { id name model seller { id name } } } } } }',
      { n: 100 },
      jwt,
    );
    expect(paged.errors![0].extensions).toMatchObject({ limit: 'maxCost' });
  });

  it('counts subscriptions per account: a JWT and its management keys share one cap', async () => {
    const { jwt } = await signup(stack.url, 'subs');
    const mk1 = await managementKey(stack.url, jwt, 'FULL', 'mk one');
    const mk2 = await managementKey(stack.url, jwt, 'BUYER', 'mk two');
    subscribe(client(jwt));
    subscribe(client(jwt));
    subscribe(client(mk1.rawKey));
    await eventually(() => expect(stats().open).toBe(3));
    const refused = await subscribe(client(mk2.rawKey)).first;
    expect(refused.value?.errors?.[0]?.message).toBe('Too many open subscriptions');
    expect(stats().open).toBe(3);
    await disposeAll();
  });

  it('keeps a share of the total for anonymous viewers of the public feed', async () => {
    // Total 5, 40% reserved: accounts together hold at most 3.
    const a = await signup(stack.url, 'share-a');
    const b = await signup(stack.url, 'share-b');
    const aClient = client(a.jwt);
    for (let i = 0; i < 3; i++) subscribe(aClient);
    await eventually(() => expect(stats().open).toBe(3));
    const bRefused = await subscribe(client(b.jwt)).first;
    expect(bRefused.value?.errors?.[0]?.message).toBe('Too many open subscriptions');
    const anonymous = client();
    subscribe(anonymous);
    subscribe(anonymous);
    await eventually(() => expect(stats().open).toBe(5));
    const over = await subscribe(anonymous).first;
    expect(over.value?.errors?.[0]?.message).toBe('Too many open subscriptions');
    await disposeAll();
  });

  it('answers a query or mutation over graphql-ws with an error for that operation only; the connection and its subscriptions stay', async () => {
    const { jwt } = await signup(stack.url, 'wsquery');
    const c = client(jwt);
    let closed = false;
    c.on('closed', () => (closed = true));
    subscribe(c);
    await eventually(() => expect(stats().open).toBe(1));
    const errorsOf = (payload: { query: string; variables?: Record<string, unknown> }) =>
      new Promise<readonly { message: string }[]>((resolve, reject) =>
        c.subscribe(payload, {
          next: () => reject(new Error('expected an error')),
          error: (e) => resolve(Array.isArray(e) ? e : [e as { message: string }]),
          complete: () => reject(new Error('completed without an error')),
        }),
      );
    expect((await errorsOf({ query: '{ me { id } }' }))[0].message).toMatch(/Only subscriptions/);
    expect((await errorsOf({ query: 'mutation { createApiKey { rawKey } }' }))[0].message).toMatch(/Only subscriptions/);
    // A variable of the wrong type is that subscription's error too.
    expect((await errorsOf({ query: print(LiveJobFeedDocument), variables: { pipeline: { not: 'a string' } } }))[0].message).toMatch(
      /pipeline/,
    );
    expect(closed).toBe(false);
    expect(stats().open).toBe(1);
    subscribe(c);
    await eventually(() => expect(stats().open).toBe(2));
    expect(closed).toBe(false);
    await disposeAll();
  });

  it('caps WebSocket connections per address: the next upgrade is a 429, and a closed one frees its place', async () => {
    const url = stack.url.replace(/^http/, 'ws') + '/graphql';
    const open = (): Promise<{ socket: WebSocket; status: number }> =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(url, 'graphql-transport-ws');
        socket.once('open', () => resolve({ socket, status: 101 }));
        socket.once('unexpected-response', (_request, response) => resolve({ socket, status: response.statusCode ?? 0 }));
        socket.once('error', reject);
      });
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 6; i++) {
      const opened = await open();
      expect(opened.status).toBe(101);
      sockets.push(opened.socket);
    }
    const refused = await open();
    expect(refused.status).toBe(429);
    refused.socket.terminate();
    sockets.pop()!.close();
    const reopened = await eventually(async () => {
      const attempt = await open();
      if (attempt.status !== 101) {
        attempt.socket.terminate();
        throw new Error(`still ${attempt.status}`);
      }
      return attempt.socket;
    });
    sockets.push(reopened);
    for (const socket of sockets) socket.close();
  });
});

describe('TRUST_PROXY decides the client address IP rules see', () => {
  const chat = async (url: string, key: string, forwardedFor: string) =>
    rest(url, 'POST', '/v1/chat/completions', {
      token: key,
      headers: { 'x-forwarded-for': forwardedFor },
      body: { model: 'nobody/nothing', messages: [{ role: 'user', content: 'hi' }] },
    });

  for (const [setting, honoured] of [
    [undefined, false],
    ['1', true],
    ['127.0.0.1/32', true],
  ] as const) {
    it(`TRUST_PROXY=${setting ?? '(unset)'}: x-forwarded-for is ${honoured ? 'honoured' : 'ignored'} by a key's IP allow rule`, async () => {
      const stack = await startEmbeddedStack(setting ? { TRUST_PROXY: setting } : {});
      try {
        const { jwt } = await signup(stack.url, 'proxy');
        const created = await graphql<{ createApiKey: { rawKey: string } }, unknown>(
          stack.url,
          CREATE_KEY,
          { input: { name: 'office only', ipAllow: ['203.0.113.0/24'] } },
          jwt,
        );
        const key = created.data!.createApiKey.rawKey;
        const fromOffice = await chat(stack.url, key, '203.0.113.7');
        const elsewhere = await chat(stack.url, key, '198.51.100.9');
        expect(elsewhere.status).toBe(403);
        // Allowed past the IP rule, the request fails later (no such model), never on the address.
        if (honoured) expect(fromOffice.status).not.toBe(403);
        else expect(fromOffice.status).toBe(403);
      } finally {
        await stack.stop();
      }
    });
  }
});
