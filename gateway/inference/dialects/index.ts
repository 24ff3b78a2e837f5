// The dialects served besides Chat Completions, each at its own path on the same pipeline.
import { completionsDialect } from './completions';
import type { Dialect } from './dialect';
import { countTokensDialect, messagesDialect } from './messages';
import { responsesDialect } from './responses';

export interface DialectRoute {
  path: string;
  dialect: Dialect;
  /**
   * The route counts the prompt instead of running it (Anthropic's count_tokens): authorized,
   * translated, parsed and routed like an inference, never sent upstream nor billed; the answer
   * built from the gateway's count of the translated prompt.
   */
  count?: (promptTokens: number) => unknown;
}

export const DIALECT_ROUTES: DialectRoute[] = [
  { path: '/v1/responses', dialect: responsesDialect },
  { path: '/v1/completions', dialect: completionsDialect },
  { path: '/v1/messages', dialect: messagesDialect },
  // Claude Code sizes its context with it: the gateway's own count of the translated prompt.
  { path: '/v1/messages/count_tokens', dialect: countTokensDialect, count: (inputTokens) => ({ input_tokens: inputTokens }) },
];
