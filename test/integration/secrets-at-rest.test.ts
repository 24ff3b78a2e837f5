// No raw buyer key, management key or provider-issued key exists in the database files or in
// anything the process wrote to stdout/stderr during a run that created and used them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AccountCreateKeyDocument, AccountKeysDocument } from '../../schema/generated/graphql';
import { graphql } from '../helpers/graphql';
import { startEmbeddedStack, type TestStack } from '../helpers/stack';
import { managementKey, signup } from '../helpers/credentials';

describe('secrets at rest and in logs', () => {
  let stack: TestStack;
  const written: string[] = [];
  const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  beforeAll(async () => {
    const capture = (original: typeof process.stdout.write) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(originals.out);
    process.stderr.write = capture(originals.err);
    stack = await startEmbeddedStack();
  });
  afterAll(async () => {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    await stack.stop();
  });

  it('keeps only hashes and sealed text', async () => {
    const { jwt } = await signup(stack.url, 'secrets');
    const providerKey = 'provider-issued-' + 'z'.repeat(24);
    const created = await graphql(
      stack.url,
      AccountCreateKeyDocument,
      { input: { name: 'k', billingProviderId: 'bp_daydream', providerApiKey: providerKey } },
      jwt,
    );
    const rawBuyerKey = created.data!.createApiKey.rawKey;
    const mk = await managementKey(stack.url, jwt, 'FULL');
    // Use both, including failing attempts that carry the raw key in a header.
    await graphql(stack.url, AccountKeysDocument, {}, mk.rawKey);
    await graphql(stack.url, AccountKeysDocument, {}, rawBuyerKey);
    await graphql(stack.url, AccountKeysDocument, {}, mk.rawKey.slice(0, -1) + 'x');
    await stack.stop();

    const secrets = [rawBuyerKey, mk.rawKey, providerKey];
    const files = readdirSync(stack.config.dataDir).map((name) => path.join(stack.config.dataDir, name));
    expect(files.some((file) => file.endsWith('accounts.db'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file).toString('latin1');
      for (const secret of secrets) expect(bytes.includes(secret), `${secret.slice(0, 8)}… in ${path.basename(file)}`).toBe(false);
      // The secret's distinctive middle must not be there either (e.g. stored without its prefix).
      for (const secret of secrets) expect(bytes.includes(secret.slice(8, 30))).toBe(false);
    }
    const log = written.join('');
    for (const secret of secrets) expect(log.includes(secret.slice(8, 30))).toBe(false);
    stack = await startEmbeddedStack(); // afterAll stops a stack
  });
});
