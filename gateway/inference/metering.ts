// Metering checked at the gateway: the upstream reports usage, the gateway counts what the request
// could bill and what the buyer actually received, and the buyer pays the lower figure within a
// tolerance, never more than the request allowed (and so never more than was reserved). What the
// upstream claimed beyond that is recorded against the listing, not charged.
import { countText } from './tokens';

export interface MeteringRules {
  /** How far a reported count may exceed the gateway's own count, in basis points. */
  toleranceBps: number;
  /** Absolute slack on top, for framing tokens a tokenizer family counts differently. */
  slackTokens: number;
}

export const DEFAULT_METERING: MeteringRules = { toleranceBps: 2_500, slackTokens: 16 };

/** The most a count may be billed as, given the gateway's own count. */
export function withTolerance(counted: number, rules: MeteringRules): number {
  return counted + Math.ceil((counted * rules.toleranceBps) / 10_000) + rules.slackTokens;
}

/** Usage as an OpenAI-compatible upstream reports it (only the fields metering reads). */
export interface ReportedUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
}

export type MeteringFlag = 'usage_missing' | 'prompt_over_count' | 'completion_over_count' | 'completion_over_max';

export interface BilledUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** What the upstream said (null: it said nothing). */
  reportedInputTokens: number | null;
  reportedOutputTokens: number | null;
  /** What the gateway counted: the prompt the request could bill, and the completion delivered. */
  countedInputTokens: number;
  countedOutputTokens: number;
  flags: MeteringFlag[];
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
}

/** The completion text a buyer received, per choice, counted once at the end. */
export class DeliveredText {
  private readonly parts = new Map<number, string[]>();
  private counted: number | null = null;

  add(choice: number, text: string): void {
    if (text.length === 0) return;
    let list = this.parts.get(choice);
    if (!list) this.parts.set(choice, (list = []));
    list.push(text);
    this.counted = null;
  }

  list(choice: number): string[] {
    let list = this.parts.get(choice);
    if (!list) this.parts.set(choice, (list = []));
    this.counted = null;
    return list;
  }

  tokens(): number {
    if (this.counted === null) {
      let total = 0;
      for (const list of this.parts.values()) total += countText(list.join(''));
      this.counted = total;
    }
    return this.counted;
  }
}

export interface MeteringInput {
  reported: ReportedUsage | null;
  /** The prompt the request could bill, by the gateway's count. */
  countedPrompt: number;
  /** Completion tokens delivered to the buyer, by the gateway's count (0 for embeddings). */
  countedCompletion: number;
  /** max_tokens × n as sent upstream (null: the capability has no completion). */
  maxCompletion: number | null;
  /** The buyer cancelled: what was delivered is all that is billed. */
  cancelled: boolean;
}

export function billUsage(input: MeteringInput, rules: MeteringRules): BilledUsage {
  const flags: MeteringFlag[] = [];
  const reportedPrompt = input.reported ? count(input.reported.prompt_tokens) : null;
  const reportedCompletion = input.reported ? count(input.reported.completion_tokens) : null;
  const missing = !input.reported || reportedPrompt === null || (input.maxCompletion !== null && reportedCompletion === null);
  // A cancelled stream is cut before its usage chunk: nothing is missing there.
  if (missing && !input.cancelled) flags.push('usage_missing');

  const promptCap = withTolerance(input.countedPrompt, rules);
  let inputTokens = input.countedPrompt;
  if (reportedPrompt !== null) {
    inputTokens = Math.min(reportedPrompt, promptCap);
    if (reportedPrompt > promptCap) flags.push('prompt_over_count');
  }
  const cached = Math.min(count(input.reported?.prompt_tokens_details?.cached_tokens) ?? 0, inputTokens);

  let outputTokens = 0;
  let reasoning = 0;
  if (input.maxCompletion !== null) {
    const delivered = input.countedCompletion;
    if (input.cancelled) {
      outputTokens = reportedCompletion === null ? delivered : Math.min(reportedCompletion, delivered);
    } else if (reportedCompletion === null) {
      outputTokens = delivered;
    } else {
      // Reasoning tokens are billed as output but never shown: only the visible part can be checked.
      reasoning = Math.min(count(input.reported?.completion_tokens_details?.reasoning_tokens) ?? 0, reportedCompletion);
      const visible = reportedCompletion - reasoning;
      const visibleCap = withTolerance(delivered, rules);
      if (visible > visibleCap) flags.push('completion_over_count');
      outputTokens = Math.min(visible, visibleCap) + reasoning;
    }
    // A report beyond max_tokens × n is a violation whatever was delivered; nothing beyond it is ever billed.
    if (reportedCompletion !== null && reportedCompletion > input.maxCompletion) flags.push('completion_over_max');
    if (outputTokens > input.maxCompletion) {
      outputTokens = input.maxCompletion;
      reasoning = Math.min(reasoning, outputTokens);
    }
  }
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens: cached,
    reasoningTokens: reasoning,
    reportedInputTokens: reportedPrompt,
    reportedOutputTokens: reportedCompletion,
    countedInputTokens: input.countedPrompt,
    countedOutputTokens: input.countedCompletion,
    flags,
  };
}

/** Why a flag matters to the seller, for the LIVE check their listing gets. */
export function describeFlags(billed: BilledUsage, maxCompletion: number | null): string | null {
  const reasons: string[] = [];
  for (const flag of billed.flags) {
    if (flag === 'prompt_over_count')
      reasons.push(`reported ${billed.reportedInputTokens} prompt tokens; the gateway counted ${billed.countedInputTokens}`);
    if (flag === 'completion_over_count')
      reasons.push(`reported ${billed.reportedOutputTokens} completion tokens; the buyer received ${billed.countedOutputTokens}`);
    if (flag === 'completion_over_max')
      reasons.push(`reported ${billed.reportedOutputTokens} completion tokens above the request's cap of ${maxCompletion}`);
    if (flag === 'usage_missing') reasons.push('answered without usage; billed from the gateway count');
  }
  return reasons.length ? `metering: ${reasons.join('; ')} (not charged beyond the count)` : null;
}
