// A chat completion before it is sent, as one JSON body or as a stream of chunks.
import type { Usage } from './usage';

export interface ToolCall {
  id: string;
  name: string;
  /** The JSON arguments, in the pieces the stream sends (one token each, but for split characters). */
  argumentPieces: string[];
}

export interface Choice {
  /** Text content, as the stream sends it; empty for a tool call. */
  tokens: string[];
  toolCall: ToolCall | null;
  finishReason: 'stop' | 'length' | 'tool_calls';
}

export interface Completion {
  choices: Choice[];
  /** Null when the noUsage fault leaves it out. */
  usage: Usage | null;
}
