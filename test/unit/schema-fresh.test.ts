// The checked-in schemas and generated code must match the code: `npm run compose` and
// `npm run codegen` regenerate them; these tests fail when someone forgot.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '@graphql-codegen/cli';
import { composeSchemas } from '../../schema/compose';
import { SCHEMA_DIR } from '../../schema/paths';
import { codegenConfig } from '../../codegen';

const read = (file: string) => readFileSync(path.join(SCHEMA_DIR, file), 'utf8');

describe('checked-in schemas', () => {
  const composed = composeSchemas();

  it('schema/supergraph.graphql is the composition of the current subgraphs (run `npm run compose`)', () => {
    expect(read('supergraph.graphql')).toBe(composed.supergraph + '\n');
  });

  it('schema/api.graphql is the current API schema (run `npm run compose`)', () => {
    expect(read('api.graphql')).toBe(composed.api + '\n');
  });

  it.each(Object.keys(composed.subgraphs))('schema/subgraphs/%s.graphql is current (run `npm run compose`)', (name) => {
    expect(read(`subgraphs/${name}.graphql`)).toBe(composed.subgraphs[name] + '\n');
  });

  it('the API schema hides federation internals', () => {
    expect(composed.api).not.toMatch(/join__|link__|_entities|_service/);
  });

  it('schema/generated/graphql.ts matches codegen output (run `npm run codegen`)', async () => {
    const root = path.resolve(SCHEMA_DIR, '..');
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const outputs = await generate({ ...codegenConfig, silent: true }, false);
      const generated = outputs.find((output: { filename: string }) => output.filename.endsWith('schema/generated/graphql.ts'));
      expect(generated).toBeDefined();
      expect(read('generated/graphql.ts')).toBe(generated!.content);
    } finally {
      process.chdir(cwd);
    }
  });
});
