// The dialects served besides Chat Completions, each at its own path on the same pipeline.
import type { Dialect } from './dialect';

export const DIALECT_ROUTES: { path: string; dialect: Dialect }[] = [];
