// A subgraph trusts only the gateway's signed principal: reached directly, with no header or a
// forged one, it answers nothing (no private data, not even federation's _entities).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrincipalSigner, PRINCIPAL_HEADER } from '../../subgraphs/common/principal';
import { serveSubgraph } from '../../subgraphs/common/subgraph-server';
import { rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

describe('subgraph ports trust only the gateway', () => {
  let stack: TestStack;
  let accountsUrl: string;
  let close: () => Promise<void>;
  let accountId: string;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    const accounts = stack.platform!.runtimes.find((runtime) => runtime.name === 'accounts')!;
    const server = await serveSubgraph(accounts, { host: '127.0.0.1', port: 0 });
    accountsUrl = server.url;
    close = server.close;
    const signup = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email: 'victim@example.com', password: 'password-123' } });
    accountId = signup.body.account.id;
  });
  afterAll(async () => {
    await close?.();
    await stack?.stop();
  });

  const meQuery = { query: '{ me { id email } }' };
  const entitiesQuery = {
    query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Account { id email name } } }',
    variables: { r: [{ __typename: 'Account', id: '' }] },
  };

  async function post(body: object, headers: Record<string, string> = {}) {
    const response = await fetch(accountsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
  }

  it('refuses a request without the principal header', async () => {
    const response = await post(meQuery);
    expect(response.status).toBe(401);
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a principal signed with another secret, and a tampered one', async () => {
    const forger = new PrincipalSigner('a-completely-different-platform-secret-value');
    const forged = forger.sign({ kind: 'user', accountId });
    const entities = { ...entitiesQuery, variables: { r: [{ __typename: 'Account', id: accountId }] } };
    for (const header of [
      forged,
      `${forged.split('.')[0]}.`,
      'garbage',
      `${Buffer.from(JSON.stringify({ p: { kind: 'service', name: 'x' }, exp: Date.now() + 60000 })).toString('base64url')}.AAAA`,
    ]) {
      const response = await post(entities, { [PRINCIPAL_HEADER]: header });
      expect(response.status).toBe(401);
      expect(JSON.stringify(response.body)).not.toContain('victim@example.com');
    }
  });

  it('answers the same request when the gateway signs it', async () => {
    const signer = new PrincipalSigner(stack.config.platformSecret);
    const response = await post({ query: '{ me { id email } }' }, { [PRINCIPAL_HEADER]: signer.sign({ kind: 'user', accountId }) });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ me: { id: accountId, email: 'victim@example.com' } });
  });

  it('refuses an expired assertion', async () => {
    const past = new PrincipalSigner(stack.config.platformSecret, () => Date.now() - 120_000);
    const response = await post(meQuery, { [PRINCIPAL_HEADER]: past.sign({ kind: 'user', accountId }) });
    expect(response.status).toBe(401);
  });
});
