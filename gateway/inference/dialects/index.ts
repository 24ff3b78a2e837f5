// The dialects served besides Chat Completions, each at its own path on the same pipeline.
import { completionsDialect } from './completions';
import type { Dialect } from './dialect';
import { responsesDialect } from './responses';

export const DIALECT_ROUTES: { path: string; dialect: Dialect }[] = [
  { path: '/v1/responses', dialect: responsesDialect },
  { path: '/v1/completions', dialect: completionsDialect },
];
