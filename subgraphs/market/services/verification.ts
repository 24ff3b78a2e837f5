// Verification of a listing's claims, run by the probe runner after a passing probe: that it is the
// canonical model it lists (tokenizer fingerprint, known answers) and that it does what it declares
// (a forced tool call, a JSON-schema answer, a prompt near its context length). Each check is one
// small plain chat call; judging is pure (judge* below) so the rules are unit-tested on their own.
import { createHash } from 'node:crypto';
import { boundedUpstreamText } from '../../common/outbound';
import { ListingVerification, VerificationStatus, type VerificationCheck } from '../entities/ListingVerification';
import { Capability } from '../entities/Listing';
import { effectiveMetadata, type MetadataSource } from './listing-metadata';
import type { CanonicalModel, JsonSchema, ModelRegistry } from './registry';
import { chatCall, type ChatCallOutcome, type Upstream } from './upstream';

/** OpenAI's chat framing around one user message: 3 + the role, and 3 priming the reply. */
const ONE_USER_MESSAGE_OVERHEAD = 7;
/** Context probe: this far below the declared length (framing and counting differences), at least CONTEXT_MIN_MARGIN. */
const CONTEXT_MARGIN = 0.03;
const CONTEXT_MIN_MARGIN = 64;
const DETAIL_CHARS = 160;

export interface Claims {
  canonical: CanonicalModel | null;
  /** What the listing says it supports: the canonical model's parameters and any it declares itself. */
  supportedParameters: string[];
  contextLength: number | null;
  /** The tokenizer family its counts must match (canonical only). */
  tokenizer: string | null;
}

/** A listing's claims: its effective metadata (listing-metadata.ts), the one view routing and the pages use too. */
export function claimsOf(listing: MetadataSource, registry: ModelRegistry): Claims {
  const canonical = registry.get(listing.model);
  const metadata = effectiveMetadata(listing, registry);
  return {
    canonical,
    supportedParameters: metadata.supportedParameters,
    // The context probe is a chat call: only chat listings claim a context length to verify.
    contextLength: listing.capability === Capability.CHAT ? metadata.contextLength : null,
    tokenizer: canonical?.tokenizer ?? null,
  };
}

/** The fingerprint of the claims (ListingVerification.claimsKey): a verification of other claims is stale. */
export function claimsKeyOf(claims: Claims): string {
  return createHash('sha256')
    .update(JSON.stringify([claims.canonical?.id ?? null, claims.supportedParameters, claims.contextLength]))
    .digest('hex');
}

/** Whether the claims hold anything to check (else the listing's verification is NOT_REQUIRED). */
export function hasClaims(claims: Claims): boolean {
  return (
    claims.canonical !== null ||
    claims.supportedParameters.includes('tools') ||
    claims.supportedParameters.includes('json_schema') ||
    claims.contextLength !== null
  );
}

/**
 * The verification that speaks for the listing's claims now: the stored one, unless it was made
 * for other claims (the seller changed its context length or parameters since), which then are
 * unverified again: PENDING (NOT_REQUIRED when nothing is claimed), never PASSED from old evidence.
 */
export function currentVerification(
  stored: ListingVerification | null,
  listing: MetadataSource & { id: string },
  registry: ModelRegistry,
): ListingVerification {
  const claims = claimsOf(listing, registry);
  if (stored && (stored.claimsKey == null || stored.claimsKey === claimsKeyOf(claims))) return stored;
  const status = hasClaims(claims) ? VerificationStatus.PENDING : VerificationStatus.NOT_REQUIRED;
  return Object.assign(new ListingVerification(), {
    listingId: listing.id,
    status,
    checkedAt: null,
    canonicalModel: claims.canonical?.id ?? null,
    checks: [],
  });
}

export interface VerificationResult {
  status: VerificationStatus;
  checks: VerificationCheck[];
}

export async function verifyClaims(
  upstream: Upstream,
  upstreamModel: string,
  claims: Claims,
  registry: ModelRegistry,
  timeoutMs: number,
): Promise<VerificationResult> {
  if (!hasClaims(claims)) return { status: VerificationStatus.NOT_REQUIRED, checks: [] };
  const call = (body: Record<string, unknown>) => chatCall(upstream, { model: upstreamModel, ...body }, timeoutMs);
  const user = (content: string) => [{ role: 'user', content }];
  const checks: VerificationCheck[] = [];
  const canonical = claims.canonical;
  if (canonical) {
    const encoder = registry.encoder(claims.tokenizer);
    for (const prompt of canonical.verification.fingerprints) {
      const expected = encoder!(prompt) + ONE_USER_MESSAGE_OVERHEAD;
      checks.push(judgeFingerprint(await call({ messages: user(prompt), max_tokens: 1 }), expected, claims.tokenizer!));
    }
    for (const known of canonical.verification.knownAnswers) {
      checks.push(judgeKnownAnswer(await call({ messages: user(known.prompt), max_tokens: 32, temperature: 0 }), known.match));
    }
  }
  if (claims.supportedParameters.includes('tools')) {
    const tool = registry.toolProbe;
    const outcome = await call({
      messages: user(tool.prompt),
      tools: [{ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } }],
      tool_choice: { type: 'function', function: { name: tool.name } },
      max_tokens: 64,
    });
    checks.push(judgeToolCall(outcome, tool.name, tool.parameters));
  }
  if (claims.supportedParameters.includes('json_schema')) {
    const probe = registry.jsonSchemaProbe;
    const outcome = await call({
      messages: user(probe.prompt),
      response_format: { type: 'json_schema', json_schema: { name: probe.name, schema: probe.schema, strict: true } },
      max_tokens: 64,
    });
    checks.push(judgeJsonSchema(outcome, probe.schema));
  }
  if (claims.contextLength !== null) {
    const target = claims.contextLength - Math.max(CONTEXT_MIN_MARGIN, Math.ceil(claims.contextLength * CONTEXT_MARGIN));
    checks.push(judgeContext(await call({ messages: user(longPrompt(target)), max_tokens: 1 }), claims.contextLength, target));
  }
  return { status: checks.every((check) => check.passed) ? VerificationStatus.PASSED : VerificationStatus.FAILED, checks };
}

/** ~`tokens` tokens of prompt: " the" is one token in the o200k, cl100k and llama3 vocabularies alike. */
export function longPrompt(tokens: number): string {
  return `Reply with one word.${' the'.repeat(Math.max(0, tokens - ONE_USER_MESSAGE_OVERHEAD - 5))}`;
}

const ok = (name: string, detail: string | null = null): VerificationCheck => ({ name, passed: true, detail });
const fail = (name: string, detail: string): VerificationCheck => ({ name, passed: false, detail });
const shown = (text: string) => JSON.stringify(boundedUpstreamText(text, DETAIL_CHARS));

/** The tolerance of a prompt count: providers differ by a token or two in framing, never by a tokenizer's worth. */
export function fingerprintTolerance(expected: number): number {
  return Math.max(2, Math.ceil(expected * 0.05));
}

export function judgeFingerprint(outcome: ChatCallOutcome, expected: number, tokenizer: string): VerificationCheck {
  if (outcome.failure) return fail('tokenizer', outcome.failure);
  const reported = (outcome.body as { usage?: { prompt_tokens?: unknown } } | null)?.usage?.prompt_tokens;
  if (typeof reported !== 'number') return fail('tokenizer', 'no usage.prompt_tokens in the answer');
  const tolerance = fingerprintTolerance(expected);
  if (Math.abs(reported - expected) > tolerance)
    return fail(
      'tokenizer',
      `prompt_tokens ${reported} where ${tokenizer} counts ${expected} (±${tolerance}): another tokenizer, so another model`,
    );
  return ok('tokenizer', `prompt_tokens ${reported} (${tokenizer}: ${expected})`);
}

export function judgeKnownAnswer(outcome: ChatCallOutcome, match: RegExp): VerificationCheck {
  if (outcome.failure) return fail('known-answer', outcome.failure);
  const content = messageOf(outcome)?.content;
  if (typeof content !== 'string') return fail('known-answer', 'no text content in the answer');
  if (!match.test(content.trim())) return fail('known-answer', `the answer ${shown(content)} is not the model's known answer`);
  return ok('known-answer');
}

export function judgeToolCall(outcome: ChatCallOutcome, name: string, schema: JsonSchema): VerificationCheck {
  if (outcome.failure) return fail('tools', outcome.failure);
  const message = messageOf(outcome);
  const call = (message?.tool_calls as { function?: { name?: unknown; arguments?: unknown } }[] | undefined)?.[0]?.function;
  if (!call)
    return fail(
      'tools',
      `a forced tool call was answered without one${typeof message?.content === 'string' ? ` (text ${shown(message.content)})` : ''}`,
    );
  if (call.name !== name) return fail('tools', `the forced call named ${shown(String(call.name))}, not ${name}`);
  let args: unknown;
  try {
    args = JSON.parse(String(call.arguments));
  } catch {
    return fail('tools', 'the tool call arguments are not JSON');
  }
  const problem = schemaProblem(args, schema);
  return problem ? fail('tools', `the tool call arguments do not match the schema: ${problem}`) : ok('tools');
}

export function judgeJsonSchema(outcome: ChatCallOutcome, schema: JsonSchema): VerificationCheck {
  if (outcome.failure) return fail('json_schema', outcome.failure);
  const content = messageOf(outcome)?.content;
  if (typeof content !== 'string') return fail('json_schema', 'no text content in the answer');
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return fail('json_schema', `the answer under response_format json_schema is not JSON: ${shown(content)}`);
  }
  const problem = schemaProblem(value, schema);
  return problem ? fail('json_schema', `the answer does not match the schema: ${problem}`) : ok('json_schema');
}

export function judgeContext(outcome: ChatCallOutcome, contextLength: number, sent: number): VerificationCheck {
  if (outcome.failure)
    return fail('context', `a prompt of about ${sent} tokens (declared context ${contextLength}) was refused: ${outcome.failure}`);
  return ok('context', `a prompt of about ${sent} tokens was accepted (declared ${contextLength})`);
}

function messageOf(outcome: ChatCallOutcome): { content?: unknown; tool_calls?: unknown } | undefined {
  return (outcome.body as { choices?: { message?: { content?: unknown; tool_calls?: unknown } }[] } | null)?.choices?.[0]?.message;
}

/**
 * The first way `value` breaks `schema`, or null: the subset the probes' own schemas use (type,
 * properties, required, additionalProperties: false, enum), which is what strict mode allows.
 */
export function schemaProblem(value: unknown, schema: JsonSchema, at = '$'): string | null {
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `${at} is not one of ${JSON.stringify(schema.enum)}`;
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${at} is not an object`;
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      for (const name of (schema.required as string[] | undefined) ?? []) if (!(name in value)) return `${at}.${name} is missing`;
      for (const [name, inner] of Object.entries(value)) {
        if (!(name in properties)) {
          if (schema.additionalProperties === false) return `${at}.${name} is not allowed`;
          continue;
        }
        const problem = schemaProblem(inner, properties[name], `${at}.${name}`);
        if (problem) return problem;
      }
      return null;
    }
    case 'string':
      return typeof value === 'string' ? null : `${at} is not a string`;
    case 'integer':
      return Number.isInteger(value) ? null : `${at} is not an integer`;
    case 'number':
      return typeof value === 'number' ? null : `${at} is not a number`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${at} is not a boolean`;
    case 'array':
      return Array.isArray(value) ? null : `${at} is not an array`;
    default:
      return null;
  }
}
