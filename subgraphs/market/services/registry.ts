// The canonical model registry: curated data (registry/models.json), read and validated once at
// start. A listing under a registry id claims to be that model and must pass its verification; the
// vendors of registry ids (and a few platform words) are handles no seller may take.
import { readFileSync } from 'node:fs';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { Capability } from '../entities/Listing';

/** The values a listing may declare in supportedParameters (shared with the listing metadata). */
export const SUPPORTED_PARAMETERS = [
  'tools',
  'tool_choice',
  'json_schema',
  'json_object',
  'vision',
  'logprobs',
  'reasoning',
  'stop',
  'seed',
] as const;
export type SupportedParameter = (typeof SUPPORTED_PARAMETERS)[number];

export interface KnownAnswer {
  prompt: string;
  /** Case-insensitive, tested against the trimmed reply. */
  match: RegExp;
}

export interface CanonicalModel {
  id: string;
  name: string;
  capability: Capability;
  /** e.g. o200k_base, cl100k_base, llama3; null for models without text tokens (speech). */
  tokenizer: string | null;
  contextLength: number | null;
  maxOutputTokens: number | null;
  modalities: { input: string[]; output: string[] };
  supportedParameters: SupportedParameter[];
  verification: { fingerprints: string[]; knownAnswers: KnownAnswer[] };
}

export interface ToolProbe {
  name: string;
  description: string;
  parameters: JsonSchema;
  prompt: string;
}

export interface JsonSchemaProbe {
  name: string;
  schema: JsonSchema;
  prompt: string;
}

export type JsonSchema = Record<string, unknown>;

type Encoder = (text: string) => number;
const ORDINARY = { disallowedSpecial: new Set<string>() };
/** The tokenizers the platform can count with; fingerprints of other families are refused at load. */
const ENCODERS: Record<string, Encoder> = {
  o200k_base: (text) => encodeO200k(text, ORDINARY).length,
  cl100k_base: (text) => encodeCl100k(text, ORDINARY).length,
};

const HANDLE = /^[a-z0-9][a-z0-9-]{0,37}[a-z0-9]$/;
const MODEL_ID = /^([a-z0-9][a-z0-9-]{0,38})\/([a-z0-9][a-z0-9._-]{0,99})$/;

export class ModelRegistry {
  private readonly byId: Map<string, CanonicalModel>;
  readonly reservedHandles: ReadonlySet<string>;

  constructor(
    readonly version: string,
    models: CanonicalModel[],
    reserved: string[],
    readonly toolProbe: ToolProbe,
    readonly jsonSchemaProbe: JsonSchemaProbe,
  ) {
    this.byId = new Map(models.map((model) => [model.id, model]));
    // Every vendor of a canonical id is reserved, whether or not the file lists it.
    this.reservedHandles = new Set([...reserved, ...models.map((model) => model.id.split('/')[0])]);
  }

  get(id: string): CanonicalModel | null {
    return this.byId.get(id) ?? null;
  }

  models(): CanonicalModel[] {
    return [...this.byId.values()];
  }

  isReserved(handle: string): boolean {
    return this.reservedHandles.has(handle);
  }

  /** A counter for the family, or null when the platform has no such tokenizer. */
  encoder(family: string | null): Encoder | null {
    return family ? (ENCODERS[family] ?? null) : null;
  }
}

export function isValidHandle(value: string): boolean {
  return HANDLE.test(value);
}

/** `vendor/name` → vendor (null when the id is not of that shape). */
export function namespaceOf(model: string): string | null {
  return MODEL_ID.exec(model)?.[1] ?? null;
}

/** Parses and validates the registry; any mistake in the file stops the start with the entry named. */
export function parseRegistry(raw: unknown): ModelRegistry {
  const file = object(raw, 'registry');
  const version = text(file.version, 'version');
  const reserved = list(file.reservedHandles, 'reservedHandles').map((h, i) => handle(h, `reservedHandles[${i}]`));
  const probes = object(file.probes, 'probes');
  const tool = object(probes.tool, 'probes.tool');
  const json = object(probes.jsonSchema, 'probes.jsonSchema');
  const toolProbe: ToolProbe = {
    name: text(tool.name, 'probes.tool.name'),
    description: text(tool.description, 'probes.tool.description'),
    parameters: object(tool.parameters, 'probes.tool.parameters'),
    prompt: text(tool.prompt, 'probes.tool.prompt'),
  };
  const jsonProbe: JsonSchemaProbe = {
    name: text(json.name, 'probes.jsonSchema.name'),
    schema: object(json.schema, 'probes.jsonSchema.schema'),
    prompt: text(json.prompt, 'probes.jsonSchema.prompt'),
  };
  const seen = new Set<string>();
  const models = list(file.models, 'models').map((entry, i): CanonicalModel => {
    const at = `models[${i}]`;
    const m = object(entry, at);
    const id = text(m.id, `${at}.id`);
    if (!MODEL_ID.test(id)) throw new Error(`model registry: ${at}.id ${JSON.stringify(id)} is not vendor/name`);
    if (seen.has(id)) throw new Error(`model registry: ${id} is listed twice`);
    seen.add(id);
    const capability = text(m.capability, `${id}.capability`) as Capability;
    if (!Object.values(Capability).includes(capability))
      throw new Error(`model registry: ${id}.capability must be one of ${Object.values(Capability).join(', ')}`);
    const tokenizer = m.tokenizer === null ? null : text(m.tokenizer, `${id}.tokenizer`);
    const verification = object(m.verification, `${id}.verification`);
    const fingerprints = list(verification.fingerprints, `${id}.verification.fingerprints`).map((p, j) =>
      text(p, `${id}.verification.fingerprints[${j}]`),
    );
    // Bounded: a listing's checks are these plus three capability checks (GraphQL bounds ListingVerification.checks at 11).
    if (fingerprints.length > 4) throw new Error(`model registry: ${id} has more than 4 fingerprints`);
    if (fingerprints.length > 0 && !(tokenizer && ENCODERS[tokenizer]))
      throw new Error(`model registry: ${id} has fingerprints but the platform cannot count ${tokenizer ?? 'its'} tokens`);
    const knownAnswers = list(verification.knownAnswers, `${id}.verification.knownAnswers`).map((k, j) => {
      const answer = object(k, `${id}.verification.knownAnswers[${j}]`);
      const match = text(answer.match, `${id}.verification.knownAnswers[${j}].match`);
      let pattern: RegExp;
      try {
        pattern = new RegExp(match, 'i');
      } catch {
        throw new Error(`model registry: ${id}.verification.knownAnswers[${j}].match is not a regular expression`);
      }
      return { prompt: text(answer.prompt, `${id}.verification.knownAnswers[${j}].prompt`), match: pattern };
    });
    if (knownAnswers.length > 4) throw new Error(`model registry: ${id} has more than 4 known answers`);
    if (capability !== Capability.CHAT && (fingerprints.length > 0 || knownAnswers.length > 0))
      throw new Error(`model registry: ${id}: only chat models have prompts to verify`);
    const modalities = object(m.modalities, `${id}.modalities`);
    const parameters = list(m.supportedParameters, `${id}.supportedParameters`).map((p) => {
      if (!SUPPORTED_PARAMETERS.includes(p as SupportedParameter))
        throw new Error(`model registry: ${id}.supportedParameters: unknown ${JSON.stringify(p)}`);
      return p as SupportedParameter;
    });
    return {
      id,
      name: text(m.name, `${id}.name`),
      capability,
      tokenizer,
      contextLength: count(m.contextLength, `${id}.contextLength`),
      maxOutputTokens: count(m.maxOutputTokens, `${id}.maxOutputTokens`),
      modalities: {
        input: list(modalities.input, `${id}.modalities.input`).map(String),
        output: list(modalities.output, `${id}.modalities.output`).map(String),
      },
      supportedParameters: parameters,
      verification: { fingerprints, knownAnswers },
    };
  });
  return new ModelRegistry(version, models, reserved, toolProbe, jsonProbe);
}

let shipped: ModelRegistry | null = null;

/** The registry shipped with the market (read once per process). */
export function shippedRegistry(): ModelRegistry {
  shipped ??= parseRegistry(JSON.parse(readFileSync(new URL('../registry/models.json', import.meta.url), 'utf8')));
  return shipped;
}

function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`model registry: ${at} must be an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`model registry: ${at} must be an array`);
  return value;
}

function text(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`model registry: ${at} must be a non-empty string`);
  return value;
}

function count(value: unknown, at: string): number | null {
  if (value === null) return null;
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new Error(`model registry: ${at} must be a positive integer or null`);
  return value as number;
}

function handle(value: unknown, at: string): string {
  const h = text(value, at);
  if (!HANDLE.test(h)) throw new Error(`model registry: ${at} ${JSON.stringify(h)} is not a valid handle`);
  return h;
}
