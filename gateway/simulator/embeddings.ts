// POST /v1/embeddings: deterministic unit vectors seeded by a hash of each input, so equal inputs
// embed equally in every run and process. `dimensions` keeps a prefix of the same sequence and
// renormalizes it, as OpenAI's shortened embeddings do. prompt_tokens is the o200k count of the
// text inputs (token-id inputs count their ids); the usageFactor, noUsage and answerModel faults apply.
import type { FaultConfig } from './faults';
import { invalid } from './http';
import type { Reply } from './respond';
import { fnv1a, mulberry32 } from './seeded';
import { countTokens } from './tokens';

const DEFAULT_DIMENSIONS = 256;
const MAX_DIMENSIONS = 3072;
const MAX_INPUTS = 2048;

type Body = Record<string, unknown>;
type Input = string | number[];

export function createEmbeddings(body: Body, faults: FaultConfig): Reply {
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
  const answer = { object: 'list', data, model: faults.answerModel ?? model };
  if (faults.noUsage) return { kind: 'json', body: answer };
  const reported = promptTokens * faults.usageFactor;
  return { kind: 'json', body: { ...answer, usage: { prompt_tokens: reported, total_tokens: reported } } };
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
