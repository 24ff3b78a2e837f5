// The accounts rules through GraphQL (the same rules every REST view relies on): key lifecycle,
// events on every change, cycle windows from billing, the management-key quota, scopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountCreateKeyDocument,
  FixtureCreateRoutingProfileDocument,
  AccountKeysDocument,
  AccountManagementKeysDocument,
  AccountRevokeKeyDocument,
  AccountSetKeyEnabledDocument,
  AccountUpdateKeyDocument,
} from '../../schema/generated/graphql';
import type { KeyChangedEvent } from '../../subgraphs/common/events';
import { KeyUsageDaily } from '../../subgraphs/billing/entities/KeyUsageDaily';
import { KeyUsage } from '../../subgraphs/billing/entities/KeyUsage';
import { cycleStart, utcDay } from '../../subgraphs/common/cycles';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { credentials, managementKey, signup, type Credentials } from '../helpers/credentials';

describe('accounts through GraphQL', () => {
  let stack: TestStack;
  let creds: Credentials;
  const events: KeyChangedEvent[] = [];

  beforeAll(async () => {
    stack = await startEmbeddedStack({ MAX_MANAGEMENT_KEYS: '10' });
    stack.bus.subscribe('key.changed', (event) => events.push(event));
    creds = await credentials(stack.url);
    // A key may name only a routing profile of its own account.
    const profile = await graphql(stack.url, FixtureCreateRoutingProfileDocument, { input: { name: 'rp-1' } }, creds.jwt);
    profileId = profile.data!.createRoutingProfile.id;
  });
  let profileId: string;
  afterAll(() => stack.stop());

  const settle = () => new Promise((r) => setTimeout(r, 30));

  it('creates a key with every setting, normalised, in the default project', async () => {
    const result = await graphql(
      stack.url,
      AccountCreateKeyDocument,
      {
        input: {
          name: 'full settings',
          limit: '12.5',
          cycle: 'DAILY',
          expiredAt: '2099-01-01T00:00:00Z',
          keyGroup: 'team-a',
          ipAllow: ['10.0.0.0/8', '2001:db8::1'],
          ipDeny: ['10.9.0.0/16'],
          allowedModels: ['dragonfly/sim-chat'],
          routingProfileId: profileId,
          billingProviderId: 'bp_sandbox',
          providerApiKey: 'provider-secret-123456',
        },
      },
      creds.jwt,
    );
    expect(result.errors).toBeUndefined();
    const key = result.data!.createApiKey.apiKey;
    expect(result.data!.createApiKey.rawKey).toMatch(/^sk-df-/);
    expect(key).toMatchObject({
      name: 'full settings',
      status: 'ACTIVE',
      enabled: true,
      expired: false,
      limit: { micros: 12_500_000, usd: '12.500000' },
      cycle: 'DAILY',
      ipAllow: ['10.0.0.0/8', '2001:db8::1/128'],
      ipDeny: ['10.9.0.0/16'],
      allowedModels: ['dragonfly/sim-chat'],
      routingProfileId: profileId,
      project: { name: 'Default', isDefault: true },
      billingProvider: { id: 'bp_sandbox', slug: 'sandbox', displayName: 'Sandbox' },
      usageInCycle: { micros: 0 },
      usageInTotal: { micros: 0 },
    });
    expect(key.group?.name).toBe('team-a');
    await settle();
    expect(events).toContainEqual({ kind: 'api-key', keyId: key.id, accountId: creds.accountId, change: 'created' });
  });

  it('updates: absent fields stay, null clears, and each change is announced', async () => {
    const created = await graphql(
      stack.url,
      AccountCreateKeyDocument,
      { input: { name: 'to update', limit: '5', cycle: 'WEEKLY' } },
      creds.jwt,
    );
    const id = created.data!.createApiKey.apiKey.id;
    const renamed = await graphql(stack.url, AccountUpdateKeyDocument, { id, input: { name: 'renamed' } }, creds.jwt);
    expect(renamed.data!.updateApiKey).toMatchObject({ name: 'renamed', limit: { micros: 5_000_000 }, cycle: 'WEEKLY' });
    const cleared = await graphql(stack.url, AccountUpdateKeyDocument, { id, input: { limit: null, cycle: null } }, creds.jwt);
    expect(cleared.data!.updateApiKey).toMatchObject({ name: 'renamed', limit: null, cycle: null });
    const budget = await graphql(stack.url, AccountUpdateKeyDocument, { id, input: { monthlyBudget: '25' } }, creds.jwt);
    expect(budget.data!.updateApiKey).toMatchObject({ limit: { micros: 25_000_000 }, cycle: 'MONTHLY' });
    const disabled = await graphql(stack.url, AccountSetKeyEnabledDocument, { id, enabled: false }, creds.jwt);
    expect(disabled.data!.setApiKeyEnabled).toMatchObject({ status: 'DISABLED', enabled: false });
    const revoked = await graphql(stack.url, AccountRevokeKeyDocument, { id }, creds.jwt);
    expect(revoked.data!.revokeApiKey.status).toBe('REVOKED');
    const again = await graphql(stack.url, AccountUpdateKeyDocument, { id, input: { name: 'x' } }, creds.jwt);
    expect(again.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    await settle();
    expect(events.filter((e) => e.keyId === id).map((e) => e.change)).toEqual([
      'created',
      'updated',
      'updated',
      'updated',
      'disabled',
      'revoked',
    ]);
  });

  it.each([
    [{ limit: '-1' }, 'limit'],
    [{ limit: '1.1234567' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ expiredAt: '2001-01-01T00:00:00Z' }, 'expiredAt'],
    [{ ipAllow: ['10.0.0.0/33'] }, 'ipAllow'],
    [{ allowedModels: ['has space'] }, 'allowedModels'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ monthlyBudget: '5', limit: '5' }, 'monthlyBudget'],
    [{ billingProviderId: 'bp_nope' }, 'billingProviderId'],
    [{ groupId: 'not-mine' }, null],
  ])('refuses %j', async (input, field) => {
    const result = await graphql(stack.url, AccountCreateKeyDocument, { input: input as never }, creds.jwt);
    expect(result.data).toBeNull();
    const error = result.errors![0];
    expect(error.extensions?.code).toBe(field ? 'BAD_USER_INPUT' : 'NOT_FOUND');
    if (field) expect(error.message).toContain(field);
  });

  it('refuses an unknown enum value and a malformed date before any resolver runs', async () => {
    const before = (await graphql(stack.url, AccountKeysDocument, {}, creds.jwt)).data!.apiKeys.total;
    const badCycle = await graphql(stack.url, AccountCreateKeyDocument, { input: { cycle: 'YEARLY' as never } }, creds.jwt);
    expect(badCycle.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badDate = await graphql(stack.url, AccountCreateKeyDocument, { input: { expiredAt: 'tomorrow' } }, creds.jwt);
    expect(badDate.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await graphql(stack.url, AccountKeysDocument, {}, creds.jwt)).data!.apiKeys.total).toBe(before);
  });

  it('applies scopes: buyer and full management keys manage buyer keys, seller does not, buyer keys nothing', async () => {
    for (const token of [creds.mkBuyer, creds.mkFull]) {
      const result = await graphql(stack.url, AccountCreateKeyDocument, { input: { name: 'by automation' } }, token);
      expect(result.errors).toBeUndefined();
    }
    const seller = await graphql(stack.url, AccountCreateKeyDocument, { input: { name: 'nope' } }, creds.mkSeller);
    expect(seller.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const buyer = await graphql(stack.url, AccountKeysDocument, {}, creds.buyerKey);
    expect(buyer.status).toBe(403);
    const disabled = await graphql(stack.url, AccountKeysDocument, {}, creds.mkDisabled);
    expect(disabled.status).toBe(401);
    const forged = await graphql(stack.url, AccountKeysDocument, {}, creds.mkForged);
    expect(forged.status).toBe(401);
    const mkOnMk = await graphql(stack.url, AccountManagementKeysDocument, {}, creds.mkFull);
    expect(mkOnMk.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('shows the balance (buyer money) to the session and buyer/full keys, FORBIDDEN to a seller-scope key', async () => {
    const ask = (token: string) =>
      graphql<{ me: { id: string; balance: { micros: number } | null } }, unknown>(
        stack.url,
        '{ me { id balance { micros } } }',
        {},
        token,
      );
    for (const token of [creds.jwt, creds.mkBuyer, creds.mkFull]) {
      const answer = await ask(token);
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.me.balance!.micros).toBeTypeOf('number');
    }
    const seller = await ask(creds.mkSeller);
    expect(seller.data!.me).toEqual({ id: creds.accountId, balance: null });
    expect(seller.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it("never shows another account's keys", async () => {
    const mine = await graphql(stack.url, AccountKeysDocument, {}, creds.jwt);
    const theirs = await graphql(stack.url, AccountKeysDocument, {}, creds.other.jwt);
    const myIds = new Set(mine.data!.apiKeys.items.map((k) => k.id));
    expect(theirs.data!.apiKeys.items.some((k) => myIds.has(k.id))).toBe(false);
    const update = await graphql(
      stack.url,
      AccountUpdateKeyDocument,
      { id: creds.buyerKeyId, input: { name: 'stolen' } },
      creds.other.mkFull,
    );
    expect(update.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses the 11th live management key, and a deleted one frees its slot', async () => {
    const fresh = await signup(stack.url, 'quota');
    for (let i = 0; i < 10; i++) await managementKey(stack.url, fresh.jwt, 'BUYER', `k${i}`);
    await expect(managementKey(stack.url, fresh.jwt, 'BUYER', 'eleventh')).rejects.toThrow(/QUOTA_EXCEEDED/);
    const list = await graphql(stack.url, AccountManagementKeysDocument, {}, fresh.jwt);
    expect(list.data!.managementKeys.total).toBe(10);
    expect(list.data!.managementKeys.items[0]).toMatchObject({ status: 'Enabled', enabled: true });
    expect(list.data!.managementKeys.items[0].keyPreview).toMatch(/^mk-.{4}….{4}$/);
  });

  it('reads usage in the current UTC cycle window and in total from billing', async () => {
    const created = await graphql(stack.url, AccountCreateKeyDocument, { input: { name: 'metered', cycle: 'WEEKLY' } }, creds.jwt);
    const keyId = created.data!.createApiKey.apiKey.id;
    const billing = stack.platform!.runtimes.find((r) => r.name === 'billing')!;
    const em = billing.db.orm.em.fork();
    const now = new Date();
    const weekStart = cycleStart('weekly', now);
    em.create(KeyUsageDaily, { keyId, day: utcDay(now), accountId: creds.accountId, micros: 1_500_000, requests: 3 });
    em.create(KeyUsageDaily, {
      keyId,
      day: utcDay(new Date(weekStart.getTime() - 1)),
      accountId: creds.accountId,
      micros: 700_000,
      requests: 1,
    });
    em.create(KeyUsage, { keyId, accountId: creds.accountId, totalMicros: 2_200_000, requestCount: 4 });
    await em.flush();
    const keys = await graphql(stack.url, AccountKeysDocument, { pageSize: 100 }, creds.jwt);
    const key = keys.data!.apiKeys.items.find((k) => k.id === keyId)!;
    expect(key.usageInCycle).toEqual({ micros: 1_500_000 });
    expect(key.usageInTotal).toEqual({ micros: 2_200_000 });
    const daily = await graphql(stack.url, AccountUpdateKeyDocument, { id: keyId, input: { cycle: 'MONTHLY' } }, creds.jwt);
    const monthStart = cycleStart('monthly', now);
    const expected = 1_500_000 + (new Date(weekStart.getTime() - 1) >= monthStart ? 700_000 : 0);
    expect(daily.data!.updateApiKey.usageInCycle).toEqual({ micros: expected });
  });
});
