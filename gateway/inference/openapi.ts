// The data plane's routes as GET /openapi.json documents them (tag "Data plane"). The schemas
// describe what the pipeline accepts (parse.ts, provider-routing.ts, attribution.ts, the dialects)
// without judging anything: the routes' scope makes them documentation only.
import type { FastifySchema } from 'fastify';
import * as oa from '../rest/openapi-schemas';
import { MAX_ATTEMPTS } from './attempts';
import { MAX_METADATA_KEYS, MAX_TAGS, MAX_USER_CHARS } from './attribution';
import { DEFAULT_MAX_OUTPUT_TOKENS, MAX_BODY_DEPTH, MAX_CHOICES } from './parse';

const openai = oa.surfaceOperations('Data plane', 'OpenAIError', ['buyerKey']);
const anthropic = oa.surfaceOperations('Data plane', 'AnthropicError', ['buyerKey', 'anthropicApiKey']);

const model = oa.str('Model id (e.g. acme/sim-chat); `:floor` / `:nitro` suffixes sort by price / throughput', { maxLength: 200 });

/** OpenRouter's provider preferences, honoured on every inference route. */
const provider = oa.object(
  {
    order: oa.array(oa.str(), 'Providers (seller handles) to try first, in order'),
    only: oa.array(oa.str(), 'Only these providers'),
    ignore: oa.array(oa.str(), 'Never these providers'),
    allow_fallbacks: oa.bool('Try other supply when the preferred fails', { default: true }),
    sort: { type: ['string', 'object'], description: 'price | throughput | latency (or {by})' },
    max_price: oa.object({ prompt: oa.num('USD a million input tokens'), completion: oa.num('USD a million output tokens') }),
    quantizations: oa.array(oa.str()),
    data_collection: oa.enumOf(['allow', 'deny'], undefined, { default: 'allow' }),
  },
  [],
  { description: "OpenRouter-style provider routing preferences; the key's routing profile applies too" },
);

/** The attribution every chat-shaped body may carry (spend log, by-tag and by-user usage). */
const attribution = {
  user: oa.str("The buyer's end user", { maxLength: MAX_USER_CHARS }),
  tags: oa.array(oa.str(), `Labels for the spend log (at most ${MAX_TAGS}; also the x-df-tags header)`),
  metadata: oa.object({}, [], {
    description: `OpenAI metadata: at most ${MAX_METADATA_KEYS} string pairs`,
    additionalProperties: oa.str(),
  }),
};

const usage = oa.object({ prompt_tokens: oa.int(), completion_tokens: oa.int(), total_tokens: oa.int(), cost: oa.num('USD charged') });

const inferenceNote = `Requests are routed across eligible supply (up to ${MAX_ATTEMPTS} attempts); the x-request-id header names the request (GET /v1/generation?id=…). Bodies nest at most ${MAX_BODY_DEPTH} levels.`;

export const CHAT_COMPLETIONS: FastifySchema = openai({
  operationId: 'createChatCompletion',
  summary: 'Create a chat completion',
  description: `OpenAI's Chat Completions. Other fields are forwarded to the upstream. ${inferenceNote}`,
  body: oa.object(
    {
      model,
      messages: oa.array(
        oa.object(
          { role: oa.enumOf(['system', 'developer', 'user', 'assistant', 'tool']), content: { type: ['string', 'array', 'null'] } },
          ['role'],
        ),
        'The conversation (non-empty)',
      ),
      stream: oa.bool('Answer as server-sent events', { default: false }),
      n: oa.int('Choices', { default: 1, minimum: 1, maximum: MAX_CHOICES }),
      max_tokens: oa.int(`Output cap (default: the listing's cap, else ${DEFAULT_MAX_OUTPUT_TOKENS})`, { minimum: 1, maximum: 1_000_000 }),
      max_completion_tokens: oa.int('Output cap (takes precedence over max_tokens)', { minimum: 1, maximum: 1_000_000 }),
      temperature: oa.num(undefined, { minimum: 0, maximum: 2 }),
      tools: oa.array(oa.object({})),
      provider,
      ...attribution,
    },
    ['model', 'messages'],
  ),
  ok: oa.object({
    id: oa.str(),
    object: { const: 'chat.completion' },
    model: oa.str(),
    choices: oa.array(
      oa.object({
        index: oa.int(),
        message: oa.object({ role: oa.str(), content: oa.nullable(oa.str()) }),
        finish_reason: oa.nullable(oa.str()),
      }),
    ),
    usage,
  }),
  okDescription: 'The completion (with stream: true, text/event-stream chunks ending in data: [DONE])',
});

export const EMBEDDINGS: FastifySchema = openai({
  operationId: 'createEmbedding',
  summary: 'Create embeddings',
  description: inferenceNote,
  body: oa.object(
    {
      model,
      input: { type: ['string', 'array'], description: 'Text, or an array of at most 2048 inputs' },
      encoding_format: oa.enumOf(['float', 'base64']),
      dimensions: oa.int(undefined, { minimum: 1 }),
      provider,
      ...attribution,
    },
    ['model', 'input'],
  ),
  ok: oa.object({
    object: { const: 'list' },
    data: oa.array(oa.object({ object: { const: 'embedding' }, index: oa.int(), embedding: { type: ['array', 'string'] } })),
    model: oa.str(),
    usage,
  }),
});

export const SPEECH: FastifySchema = openai({
  operationId: 'createSpeech',
  summary: 'Generate speech (text to speech)',
  description: `Answers the audio bytes. ${inferenceNote}`,
  body: oa.object(
    {
      model,
      input: oa.str('The text', { minLength: 1, maxLength: 4096 }),
      voice: oa.str(),
      response_format: oa.enumOf(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'], undefined, { default: 'mp3' }),
      speed: oa.num(undefined, { minimum: 0.25, maximum: 4 }),
      provider,
    },
    ['model', 'input'],
  ),
  ok: oa.str('Audio', { contentMediaType: 'audio/mpeg' }),
  okMediaType: 'audio/mpeg',
});

export const RESPONSES: FastifySchema = openai({
  operationId: 'createResponse',
  summary: 'Create a model response (OpenAI Responses API)',
  description: `Translated to the chat pipeline. ${inferenceNote}`,
  body: oa.object(
    {
      model,
      input: { type: ['string', 'array'], description: 'Text or input items' },
      instructions: oa.str(),
      stream: oa.bool(undefined, { default: false }),
      max_output_tokens: oa.int(undefined, { minimum: 1, maximum: 1_000_000 }),
      provider,
      ...attribution,
    },
    ['model', 'input'],
  ),
  ok: oa.object({
    id: oa.str(),
    object: { const: 'response' },
    model: oa.str(),
    status: oa.str(),
    output: oa.array(oa.object({})),
    usage: oa.object({ input_tokens: oa.int(), output_tokens: oa.int(), total_tokens: oa.int() }),
  }),
});

export const COMPLETIONS: FastifySchema = openai({
  operationId: 'createCompletion',
  summary: 'Create a text completion (legacy Completions API)',
  description: `Translated to the chat pipeline. ${inferenceNote}`,
  body: oa.object(
    {
      model,
      prompt: { type: ['string', 'array'], description: 'The prompt' },
      stream: oa.bool(undefined, { default: false }),
      max_tokens: oa.int(undefined, { minimum: 1, maximum: 1_000_000 }),
      provider,
      ...attribution,
    },
    ['model', 'prompt'],
  ),
  ok: oa.object({
    id: oa.str(),
    object: { const: 'text_completion' },
    model: oa.str(),
    choices: oa.array(oa.object({ index: oa.int(), text: oa.str(), finish_reason: oa.nullable(oa.str()) })),
    usage,
  }),
});

const messagesBody = {
  model,
  messages: oa.array(oa.object({ role: oa.enumOf(['user', 'assistant']), content: { type: ['string', 'array'] } }, ['role', 'content'])),
  system: { type: ['string', 'array'], description: 'System prompt' },
  tools: oa.array(oa.object({})),
  provider,
};

export const MESSAGES: FastifySchema = anthropic({
  operationId: 'createMessage',
  summary: 'Create a message (Anthropic Messages API)',
  description: `For Anthropic's SDKs: the key as x-api-key or Bearer. Translated to the chat pipeline. ${inferenceNote}`,
  body: oa.object(
    {
      ...messagesBody,
      max_tokens: oa.int('Output cap', { minimum: 1, maximum: 1_000_000 }),
      stream: oa.bool(undefined, { default: false }),
      metadata: oa.object({ user_id: oa.str() }),
    },
    ['model', 'messages', 'max_tokens'],
  ),
  ok: oa.object({
    id: oa.str(),
    type: { const: 'message' },
    role: { const: 'assistant' },
    model: oa.str(),
    content: oa.array(oa.object({ type: oa.str(), text: oa.str() })),
    stop_reason: oa.nullable(oa.str()),
    usage: oa.object({ input_tokens: oa.int(), output_tokens: oa.int() }),
  }),
});

export const COUNT_TOKENS: FastifySchema = anthropic({
  operationId: 'countMessageTokens',
  summary: 'Count the tokens of a message (Anthropic count_tokens)',
  description: "The gateway's own count of the translated prompt: routed and authorized like a message, never sent upstream nor billed.",
  body: oa.object(messagesBody, ['model', 'messages']),
  ok: oa.object({ input_tokens: oa.int() }, ['input_tokens']),
});

/** The documented schema of each dialect route (gateway/inference/dialects). */
export const DIALECT_SCHEMAS: Record<string, FastifySchema> = {
  '/v1/responses': RESPONSES,
  '/v1/completions': COMPLETIONS,
  '/v1/messages': MESSAGES,
  '/v1/messages/count_tokens': COUNT_TOKENS,
};

const modelShape = oa.object({
  id: oa.str(),
  object: { const: 'model' },
  created: oa.int('Unix seconds'),
  owned_by: oa.str(),
  canonical_slug: oa.str(),
  name: oa.str(),
  description: oa.nullable(oa.str()),
  context_length: oa.nullable(oa.int()),
  architecture: oa.object({}),
  pricing: oa.object({ prompt: oa.str('USD a token'), completion: oa.str('USD a token'), request: oa.str(), image: oa.str() }),
  top_provider: oa.object({ context_length: oa.nullable(oa.int()), max_completion_tokens: oa.nullable(oa.int()), is_moderated: oa.bool() }),
  supported_parameters: oa.array(oa.str()),
});

export const LIST_MODELS: FastifySchema = openai({
  operationId: 'listModels',
  summary: 'List models',
  description: "OpenRouter's model list; each entry is also an OpenAI Model (id, object, created, owned_by).",
  ok: oa.object({ object: { const: 'list' }, data: oa.array(modelShape) }, ['object', 'data']),
});

export const GET_MODEL: FastifySchema = openai({
  operationId: 'getModel',
  summary: 'Get a model, or its endpoints',
  description:
    "`/v1/models/{model}` answers the model; `/v1/models/{model}/endpoints` OpenRouter's list of its endpoints (one per listing). Model ids hold a slash (vendor/model).",
  params: { model: oa.str('Model id (1 to 200 characters), optionally followed by /endpoints', { maxLength: 210 }) },
  ok: { ...modelShape, description: 'The model (or, for …/endpoints, {data: {id, name, endpoints: [...]}})' },
});

export const KEY: FastifySchema = openai({
  operationId: 'getKey',
  summary: 'The calling key: limit, usage, balance, rate limits',
  ok: oa.object({
    data: oa.object({
      label: oa.nullable(oa.str()),
      limit: oa.nullable(oa.num('USD')),
      limit_micros: oa.nullable(oa.int()),
      limit_remaining: oa.nullable(oa.num('USD')),
      limit_reset: oa.nullable(oa.enumOf(['daily', 'weekly', 'monthly'])),
      usage: oa.num('USD, everything the key has spent'),
      usage_in_cycle: oa.num('USD, what counts against the limit now'),
      balance: oa.num('USD'),
      expires_at: oa.nullable(oa.dateTime()),
      rate_limits: oa.object({ key: oa.object({}), group: oa.nullable(oa.object({})) }),
      is_management_key: { const: false },
    }),
  }),
});

export const GENERATION: FastifySchema = openai({
  operationId: 'getGeneration',
  summary: 'One request of this key, by its x-request-id',
  query: { id: oa.str('The x-request-id of a request', { minLength: 1, maxLength: 64 }) },
  requiredQuery: ['id'],
  ok: oa.object({
    data: oa.object({
      id: oa.str(),
      model: oa.str(),
      capability: oa.str(),
      listingId: oa.nullable(oa.str()),
      inputTokens: oa.int(),
      outputTokens: oa.int(),
      characters: oa.int(),
      cost: oa.object({ usd: oa.str(), micros: oa.int() }),
      latencyMs: oa.nullable(oa.int()),
      timeToFirstTokenMs: oa.nullable(oa.int()),
      status: oa.str(),
      createdAt: oa.dateTime(),
      metering: oa.nullable(oa.object({})),
      receipt: oa.str('Signed receipt: a compact JWS (EdDSA), verifiable with /.well-known/jwks.json'),
    }),
  }),
});
