// Every kind of credential, for credential × route matrices: a dashboard JWT, a buyer key,
// management keys of each scope, a disabled one, a forged one, and another account's JWT.
import { randomUUID } from 'node:crypto';
import {
  CreateApiKeyDocument,
  FixtureCreateManagementKeyDocument,
  FixtureSetManagementKeyEnabledDocument,
} from '../../schema/generated/graphql';
import { graphql, rest } from './graphql';

export interface Credentials {
  accountId: string;
  email: string;
  jwt: string;
  buyerKey: string;
  buyerKeyId: string;
  mkBuyer: string;
  mkSeller: string;
  mkFull: string;
  mkDisabled: string;
  /** Looks like a management key, is none. */
  mkForged: string;
  /** A JWT signed with the wrong secret. */
  jwtForged: string;
  other: { accountId: string; jwt: string; mkFull: string };
}

/** A new account; `name` (the display name) defaults to the label, which also names the email. */
export async function signup(baseUrl: string, label = 'user', name = label): Promise<{ accountId: string; jwt: string; email: string }> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const response = await rest(baseUrl, 'POST', '/api/auth/signup', { body: { email, password: 'password-123', name } });
  if (response.status !== 201) throw new Error(`signup failed: ${JSON.stringify(response.body)}`);
  return { accountId: response.body.account.id, jwt: response.body.token, email };
}

export async function managementKey(
  baseUrl: string,
  jwt: string,
  scope: 'BUYER' | 'SELLER' | 'FULL',
  name = `mk-${scope.toLowerCase()}`,
): Promise<{ id: string; rawKey: string }> {
  const result = await graphql(baseUrl, FixtureCreateManagementKeyDocument, { input: { name, scope } }, jwt);
  if (!result.data) throw new Error(`management key failed: ${JSON.stringify(result.errors)}`);
  return { id: result.data.createManagementKey.managementKey.id, rawKey: result.data.createManagementKey.rawKey };
}

export async function credentials(baseUrl: string): Promise<Credentials> {
  const me = await signup(baseUrl, 'owner');
  const buyer = await graphql(baseUrl, CreateApiKeyDocument, { input: { name: 'fixture buyer key' } }, me.jwt);
  const mkBuyer = await managementKey(baseUrl, me.jwt, 'BUYER');
  const mkSeller = await managementKey(baseUrl, me.jwt, 'SELLER');
  const mkFull = await managementKey(baseUrl, me.jwt, 'FULL');
  const mkDisabled = await managementKey(baseUrl, me.jwt, 'FULL', 'disabled');
  await graphql(baseUrl, FixtureSetManagementKeyEnabledDocument, { id: mkDisabled.id, enabled: false }, me.jwt);
  const other = await signup(baseUrl, 'other');
  const otherMk = await managementKey(baseUrl, other.jwt, 'FULL');
  const [header, payload] = me.jwt.split('.');
  return {
    accountId: me.accountId,
    email: me.email,
    jwt: me.jwt,
    buyerKey: buyer.data!.createApiKey.rawKey,
    buyerKeyId: buyer.data!.createApiKey.apiKey.id,
    mkBuyer: mkBuyer.rawKey,
    mkSeller: mkSeller.rawKey,
    mkFull: mkFull.rawKey,
    mkDisabled: mkDisabled.rawKey,
    mkForged: 'mk-' + 'A'.repeat(43),
    jwtForged: `${header}.${payload}.${'x'.repeat(43)}`,
    other: { accountId: other.accountId, jwt: other.jwt, mkFull: otherMk.rawKey },
  };
}
