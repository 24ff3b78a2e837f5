// Typed documents for schema/operations/*.graphql, generated against the printed API schema
// (schema/api.graphql), never the raw supergraph whose join__* types would leak into clients.
import type { CodegenConfig } from '@graphql-codegen/cli';

export const codegenConfig: CodegenConfig = {
  schema: 'schema/api.graphql',
  documents: ['schema/operations/*.graphql'],
  generates: {
    'schema/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTimeISO: 'string', SafeInt: 'number', ID: 'string' },
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: false },
        useTypeImports: true,
      },
    },
  },
  hooks: {},
};

export default codegenConfig;
