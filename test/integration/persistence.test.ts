// Starting twice on the same data keeps it: the schema is brought up to date additively at start.
import { describe, expect, it } from 'vitest';
import { startPlatform } from '../../gateway/platform';
import { openDatabase } from '../../subgraphs/common/db';
import { SUBGRAPH_NAMES } from '../../subgraphs/common/config';
import { accountsEntities } from '../../subgraphs/accounts/server';
import { marketEntities } from '../../subgraphs/market/server';
import { billingEntities } from '../../subgraphs/billing/server';
import { networkEntities } from '../../subgraphs/network/server';
import { Account } from '../../subgraphs/accounts/entities/Account';
import { CreateApiKeyDocument, DashboardDocument } from '../../schema/generated/graphql';
import { graphql, rest } from '../helpers/graphql';
import { testConfig, TEST_DATABASE_URL } from '../helpers/config';
import { createTestDatabase } from '../helpers/postgres';

const entities = { accounts: accountsEntities, market: marketEntities, billing: billingEntities, network: networkEntities };

describe('restarts keep data', () => {
  it('embedded: a second start on the same data dir serves the same accounts and keys', async () => {
    const config = testConfig();
    const first = await startPlatform({ config, topology: 'embedded' });
    const signup = await rest(first.gateway.url, 'POST', '/api/auth/signup', {
      body: { email: 'keep@example.com', password: 'password-123' },
    });
    await graphql(first.gateway.url, CreateApiKeyDocument, { input: { name: 'survivor' } }, signup.body.token);
    await first.stop();

    const second = await startPlatform({ config, topology: 'embedded' });
    try {
      const login = await rest(second.gateway.url, 'POST', '/api/auth/login', {
        body: { email: 'keep@example.com', password: 'password-123' },
      });
      expect(login.status).toBe(200);
      const dashboard = await graphql(second.gateway.url, DashboardDocument, {}, login.body.token);
      expect(dashboard.data!.me.apiKeys.map((k) => k.name)).toEqual(['survivor']);
    } finally {
      await second.stop();
    }
  });

  it('embedded: the platform secret generated on first start is kept (mode 0600) and reused', async () => {
    const { statSync, readFileSync } = await import('node:fs');
    const { loadPlatformSecret } = await import('../../subgraphs/common/config');
    const dir = testConfig().dataDir;
    const secret = loadPlatformSecret({}, dir);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(`${dir}/platform-secret`).mode & 0o777).toBe(0o600);
    expect(loadPlatformSecret({}, dir)).toBe(secret);
    expect(readFileSync(`${dir}/platform-secret`, 'utf8').trim()).toBe(secret);
  });

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL: opening each subgraph schema twice keeps its rows', async () => {
    const database = await createTestDatabase(TEST_DATABASE_URL!);
    try {
      const config = { databaseUrl: database.url, dataDir: testConfig().dataDir };
      for (const name of SUBGRAPH_NAMES) await (await openDatabase(name, entities[name], config)).close();
      const accounts = await openDatabase('accounts', accountsEntities, config);
      const em = accounts.orm.em.fork();
      em.create(Account, { id: 'a-1', email: 'pg@example.com', name: 'pg', passwordHash: 'x', createdAt: new Date() });
      await em.flush();
      await accounts.close();
      for (const name of SUBGRAPH_NAMES) await (await openDatabase(name, entities[name], config)).close();
      const again = await openDatabase('accounts', accountsEntities, config);
      expect(await again.orm.em.fork().count(Account, {})).toBe(1);
      await again.close();
    } finally {
      await database.drop();
    }
  });
});
if (!TEST_DATABASE_URL) console.warn('SKIPPED: PostgreSQL restart test (set TEST_DATABASE_URL to run it)');
