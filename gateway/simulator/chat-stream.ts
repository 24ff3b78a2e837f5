// The streaming shape of a chat completion: server-sent events, built one frame at a time.
import type { Choice, Completion } from './completion';
import type { StreamReply } from './respond';

export interface StreamOptions {
  id: string;
  created: number;
  /** The model the chunks name (the requested one, or the answerModel fault's). */
  model: string;
  completion: Completion;
  includeUsage: boolean;
  /** Every chunk carries "usage":null, as OpenAI's do when include_usage is set. */
  nullUsage: boolean;
  /** Events end with CRLF CRLF instead of LF LF. */
  crlf: boolean;
}

/**
 * Frames: the delta steps (the first of each choice with the role; one token each), the finish
 * chunks, the usage chunk if asked for and not left out, then [DONE]. The n choices advance
 * together: a step's frame carries one event per choice that still has a delta.
 */
export function completionStream(o: StreamOptions): StreamReply {
  const end = o.crlf ? '\r\n\r\n' : '\n\n';
  const head = `data: {"id":${JSON.stringify(o.id)},"object":"chat.completion.chunk","created":${o.created},"model":${JSON.stringify(o.model)},"choices":`;
  const tail = `${o.nullUsage ? ',"usage":null' : ''}}${end}`;
  const { choices, usage } = o.completion;
  const steps = Math.max(...choices.map(deltaCount));
  const event = (index: number, delta: string, finish: string | null): string =>
    `${head}[{"index":${index},"delta":${delta},"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]${tail}`;
  const withUsage = o.includeUsage && usage !== null;
  return {
    kind: 'stream',
    frames: steps + (withUsage ? 3 : 2),
    paced: steps,
    frame: (i) => {
      let text = '';
      if (i < steps) {
        choices.forEach((choice, index) => {
          if (i < deltaCount(choice)) text += event(index, delta(choice, i), null);
        });
        return text;
      }
      if (i === steps) {
        choices.forEach((choice, index) => (text += event(index, '{}', choice.finishReason)));
        return text;
      }
      if (withUsage && i === steps + 1) return `${head}[],"usage":${JSON.stringify(usage)}}${end}`;
      return `data: [DONE]${end}`;
    },
  };
}

function deltaCount(choice: Choice): number {
  return choice.toolCall ? 1 + choice.toolCall.argumentPieces.length : Math.max(1, choice.tokens.length);
}

function delta(choice: Choice, i: number): string {
  const call = choice.toolCall;
  if (call) {
    if (i > 0) return `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(call.argumentPieces[i - 1])}}}]}`;
    const opening = { index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    return JSON.stringify({ role: 'assistant', content: null, tool_calls: [opening] });
  }
  const content = JSON.stringify(choice.tokens[i] ?? '');
  return i === 0 ? `{"role":"assistant","content":${content}}` : `{"content":${content}}`;
}
