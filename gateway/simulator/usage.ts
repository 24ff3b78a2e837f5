// Usage: the honest chat prompt count (OpenAI's documented way of counting chat messages, with
// o200k), and the usage object an answer reports, where the lying fault modes apply.
import type { FaultConfig } from './faults';
import { countTokens } from './tokens';

type Counter = (text: string) => number;

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
/** Every reply is primed with the assistant's message header. */
const REPLY_PRIMING_TOKENS = 3;

type Body = Record<string, unknown>;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** Per message: the framing, its role, its content's text and its name; then the priming; tools as their JSON text. */
export function chatPromptTokens(messages: readonly Body[], tools?: unknown, count: Counter = countTokens): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    tokens += TOKENS_PER_MESSAGE + count(String(message.role));
    tokens += contentTokens(message.content, count);
    if (typeof message.name === 'string') tokens += count(message.name) + TOKENS_PER_NAME;
  }
  if (Array.isArray(tools) && tools.length > 0) tokens += count(JSON.stringify(tools));
  return tokens;
}

/** A string content, or each text part of an array content. */
function contentTokens(content: unknown, count: Counter): number {
  if (typeof content === 'string') return count(content);
  if (!Array.isArray(content)) return 0;
  let tokens = 0;
  for (const part of content) if (typeof (part as Body | null)?.text === 'string') tokens += count((part as { text: string }).text);
  return tokens;
}

/**
 * What the answer reports for what was really read and generated, under the lying faults:
 * reasoningTokens adds to the completion, reportCompletionTokens replaces it, usageFactor
 * multiplies both counts; the details are capped at the counts they are part of. Null: no usage.
 */
export function reportedUsage(promptTokens: number, completionTokens: number, faults: FaultConfig): Usage | null {
  if (faults.noUsage) return null;
  const reasoning = faults.reasoningTokens ?? 0;
  const completion = faults.reportCompletionTokens ?? completionTokens + reasoning;
  const prompt = promptTokens * faults.usageFactor;
  const scaled = completion * faults.usageFactor;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: scaled, total_tokens: prompt + scaled };
  if (faults.cachedTokens !== null) usage.prompt_tokens_details = { cached_tokens: Math.min(faults.cachedTokens, prompt) };
  if (faults.reasoningTokens !== null) usage.completion_tokens_details = { reasoning_tokens: Math.min(reasoning, scaled) };
  return usage;
}
