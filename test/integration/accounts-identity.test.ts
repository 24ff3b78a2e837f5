// Identity rules accounts owns, through each surface: a new password is refused when short, one of
// the most common passwords, or easy to guess (a clear message in the surface's envelope); the
// public display name never comes from the email (it is shown beside listings and in the job feed).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignupDocument } from '../../schema/generated/graphql';
import { PRINCIPAL_HEADER, PrincipalSigner } from '../../subgraphs/common/principal';
import { validNewPassword } from '../../subgraphs/accounts/password-policy';
import { graphql, rest } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';

const freshEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

describe('accounts identity rules', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The name anyone else sees: what the gateway gets when it resolves `seller { name }` for the public job feed. */
  async function publicName(accountId: string): Promise<string> {
    const accounts = stack.platform!.runtimes.find((r) => r.name === 'accounts')!;
    const headers = { [PRINCIPAL_HEADER]: new PrincipalSigner(stack.config.platformSecret).sign({ kind: 'anonymous' }) };
    const result = await accounts.execute(
      {
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Account { name } } }',
        variables: { r: [{ __typename: 'Account', id: accountId }] },
      },
      headers,
    );
    expect(result.errors).toBeUndefined();
    return (result.data as { _entities: { name: string }[] })._entities[0].name;
  }

  describe('password policy', () => {
    const COMMON = ['password', 'password123', 'Password1', '12345678', 'qwerty123', 'iloveyou', 'sunshine', 'letmein1'];

    it.each(COMMON)('GraphQL signup refuses the common password %j with BAD_USER_INPUT on field password', async (password) => {
      const result = await graphql(stack.url, SignupDocument, { input: { email: freshEmail('common'), password } });
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/password (is one of the most commonly used|is too easy to guess|must be)/),
        extensions: { code: 'BAD_USER_INPUT', details: { field: 'password' } },
      });
    });

    it('REST signup refuses common and short passwords: 400 in the Dragonfly envelope, naming the field', async () => {
      for (const password of ['password123', 'Qwerty123', 'short']) {
        const response = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email: freshEmail('rest-common'), password } });
        expect(response.status, password).toBe(400);
        expect(response.body).toEqual({
          error: { code: 'BAD_USER_INPUT', message: expect.stringMatching(/^password /), details: { field: 'password' } },
        });
      }
    });

    it('refuses a password built from the email, accepts an uncommon one', async () => {
      const email = freshEmail('alexandria');
      const [local] = email.split('@');
      const weak = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email, password: local } });
      expect(weak.status).toBe(400);
      expect(weak.body.error.details).toEqual({ field: 'password' });
      const strong = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email, password: 'violet lantern ferry 42' } });
      expect(strong.status).toBe(201);
    });

    it('the rule on its own: length bounds, the common list case-insensitively, the estimator', async () => {
      await expect(validNewPassword('Abc12!x')).rejects.toThrow(/8 to 256 characters/);
      await expect(validNewPassword('x'.repeat(257))).rejects.toThrow(/8 to 256 characters/);
      await expect(validNewPassword('DRAGON12')).rejects.toThrow(/password/);
      await expect(validNewPassword('aaaaaaaaaa')).rejects.toThrow(/password/);
      expect(await validNewPassword('correct horse')).toBe('correct horse');
      expect(await validNewPassword('y'.repeat(101) + 'z')).toHaveLength(102);
    });
  });

  describe('display name', () => {
    it('without a name, the account is not named after its email, for its owner or anyone else', async () => {
      const email = freshEmail('jane.doe.private');
      const [local] = email.split('@');
      const response = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email, password: 'password-123' } });
      expect(response.status).toBe(201);
      const { id, name } = response.body.account;
      expect(name).not.toContain('jane');
      expect(name).not.toContain(local);
      expect(name).toMatch(/^Account [0-9a-f]{8}$/);
      expect(await publicName(id)).toBe(name);

      const viaGraphQL = await graphql(stack.url, SignupDocument, {
        input: { email: freshEmail('john.roe.private'), password: 'password-123' },
      });
      expect(viaGraphQL.data!.signup.account.name).not.toContain('john');
    });

    it("a name equal to the email's local part (as older accounts got by default) is shown to its owner only", async () => {
      const email = freshEmail('legacy.person');
      const [local] = email.split('@');
      const response = await rest(stack.url, 'POST', '/api/auth/signup', { body: { email, password: 'password-123', name: local } });
      expect(response.status).toBe(201);
      expect(response.body.account.name).toBe(local);
      const publicly = await publicName(response.body.account.id);
      expect(publicly).not.toContain('legacy');
      expect(publicly).toMatch(/^Account [0-9a-f]{8}$/);
      // A chosen name is public as given.
      const chosen = await rest(stack.url, 'POST', '/api/auth/signup', {
        body: { email: freshEmail('shop'), password: 'password-123', name: 'Acme Inference' },
      });
      expect(await publicName(chosen.body.account.id)).toBe('Acme Inference');
    });
  });
});
