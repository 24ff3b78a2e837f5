// The models the simulator lists. Chat accepts any model id (sellers map their own names onto it);
// these are the ids it advertises, one per capability plus a second chat model.
import { ApiError } from './http';

// A fixed creation time keeps /v1/models byte-for-byte stable across runs.
const CREATED = 1_700_000_000;

export const MODEL_IDS = ['sim-chat', 'sim-chat-large', 'sim-embed', 'sim-tts'] as const;

/**
 * The chat request parameters the simulator honours (chat.ts), in the listing metadata's words:
 * forced and named tool calls, JSON-schema and JSON-object answers, stop sequences, and a seed
 * (its replies are a function of the prompt, so equal requests answer alike). What a listing of it declares.
 */
export const SIMULATOR_CHAT_PARAMETERS = ['tools', 'tool_choice', 'json_schema', 'json_object', 'stop', 'seed'];
/** The context a simulator listing declares (as the registry's dragonfly/sim-chat does); the simulator itself takes longer prompts unless told otherwise. */
export const SIMULATOR_CONTEXT_LENGTH = 16_384;

const MODELS = MODEL_IDS.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'simulator' }));
const LIST = { object: 'list', data: MODELS };

export function listModels(): unknown {
  return LIST;
}

export function retrieveModel(id: string): unknown {
  const model = MODELS.find((m) => m.id === id);
  if (!model) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found', 'model');
  return model;
}
