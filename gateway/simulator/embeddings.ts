// POST /v1/embeddings: deterministic unit vectors seeded by a hash of each input, so equal inputs
// embed equally in every run and process. `dimensions` keeps a prefix of the same sequence and
// renormalizes it, as OpenAI's shortened embeddings do.
import { invalid } from './http';
import type { Reply } from './respond';
import { countTokens } from './tokens';

const DEFAULT_DIMENSIONS = 256;
const MAX_DIMENSIONS = 3072;
const MAX_INPUTS = 2048;

type Body = Record<string, unknown>;
type Input = string | number[];

export function createEmbeddings(body: Body): Reply {
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw invalid('model', 'you must provide a model parameter');
  const inputs = inputsOf(body.input);
  const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS;
  if (!Number.isInteger(dimensions) || (dimensions as number) < 1 || (dimensions as number) > MAX_DIMENSIONS) {
    throw invalid('dimensions', `'dimensions' must be an integer from 1 to ${MAX_DIMENSIONS}`);
  }
  const encoding = body.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') throw invalid('encoding_format', "'encoding_format' must be 'float' or 'base64'");

  let promptTokens = 0;
  const data = inputs.map((input, index) => {
    promptTokens += typeof input === 'string' ? countTokens(input) : input.length;
    const vector = embed(input, dimensions as number);
    return { object: 'embedding', index, embedding: encoding === 'base64' ? toBase64(vector) : Array.from(vector) };
  });
  return { kind: 'json', body: { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } } };
}

/** A string, an array of strings, an array of token ids, or an array of token-id arrays. */
function inputsOf(input: unknown): Input[] {
  if (typeof input === 'string') input = [input];
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUTS) {
    throw invalid('input', `'input' must be a non-empty string or an array of 1 to ${MAX_INPUTS} inputs`);
  }
  if (input.every(isTokenId)) return [input];
  for (const item of input) {
    const ok = typeof item === 'string' ? item !== '' : Array.isArray(item) && item.length > 0 && item.every(isTokenId);
    if (!ok) throw invalid('input', "each 'input' item must be a non-empty string or a non-empty array of token ids");
  }
  return input as Input[];
}

function isTokenId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

function embed(input: Input, dimensions: number): Float32Array {
  const next = mulberry32(fnv1a(input));
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const x = next() * 2 - 1;
    vector[i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) vector[i] /= norm;
  return vector;
}

/** Float32 little-endian, as OpenAI's base64 encoding_format is. */
function toBase64(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i], i * 4);
  return bytes.toString('base64');
}

function fnv1a(input: Input): number {
  let hash = 0x811c9dc5;
  const length = input.length;
  for (let i = 0; i < length; i++) {
    hash ^= typeof input === 'string' ? input.charCodeAt(i) : input[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A small seeded PRNG with uniform output in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
