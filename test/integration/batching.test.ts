// DataLoader batching across federation: resolving N entities through the gateway costs the same
// number of SQL statements for N = 1 and N = 50 (one per entity type per subgraph, not per row).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CreateApiKeyDocument, CreateListingDocument, DashboardDocument } from '../../schema/generated/graphql';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

describe('federated reads are batched', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });
  afterAll(() => stack.stop());

  async function accountWith(n: number): Promise<string> {
    const signup = await rest(stack.url, 'POST', '/api/auth/signup', {
      body: { email: `n${n}-${randomUUID().slice(0, 6)}@example.com`, password: 'password-123' },
    });
    const token = signup.body.token as string;
    for (let i = 0; i < n; i++) {
      await graphql(stack.url, CreateApiKeyDocument, { input: { name: `key ${i}` } }, token);
      await graphql(
        stack.url,
        CreateListingDocument,
        { input: { model: `n${n}/model-${i}`, inputPricePerMTok: '1', outputPricePerMTok: '2' } },
        token,
      );
    }
    return token;
  }

  function statements(): number {
    return stack.platform!.runtimes.reduce((sum, runtime) => sum + runtime.db.statementCount(), 0);
  }

  async function measure(token: string): Promise<{ count: number; keys: number; listings: number }> {
    const before = statements();
    const result = await graphql(stack.url, DashboardDocument, {}, token);
    expect(result.errors).toBeUndefined();
    return { count: statements() - before, keys: result.data!.me.apiKeys.length, listings: result.data!.me.listings.length };
  }

  it('costs the same statements for 1 and for 50 keys and listings', async () => {
    const one = await measure(await accountWith(1));
    const fifty = await measure(await accountWith(50));
    expect(one.keys).toBe(1);
    expect(fifty.keys).toBe(50);
    expect(fifty.listings).toBe(50);
    expect(one.count).toBeGreaterThan(0);
    expect(fifty.count).toBe(one.count);
  });
});
