// One inference request as it moves through the stages: what was asked, by whom, where it may go,
// what is held for it, every attempt made, and what came back. Stages read and fill it in order
// (authorize → parse → route → admit → attempts → respond → meter); each can be tested with a
// hand-made one.
import type { Attribution } from './attribution';
import type { Reservation } from './budget';
import type { FailureClass } from './failures';
import type { KeySnapshot } from './key-snapshots';
import { chatDialect, type Dialect, type DialectContext } from './dialects/dialect';
import type { BilledUsage, ReportedUsage } from './metering';
import { DeliveredText } from './metering';
import type { ProviderPreferences, ProviderSort } from './provider-preferences';
import type { Candidate, RoutingTable } from './routing';
import type { UpstreamResponse } from './upstream';

export type Capability = 'chat' | 'embeddings' | 'speech';

export const PIPELINE: Record<Capability, string> = { chat: 'llm', embeddings: 'embeddings', speech: 'text-to-speech' };
export const UPSTREAM_PATH: Record<Capability, string> = { chat: '/chat/completions', embeddings: '/embeddings', speech: '/audio/speech' };

export interface AttemptRecord {
  listingId: string;
  failure: FailureClass;
  message: string;
}

export interface Served {
  candidate: Candidate;
  response: UpstreamResponse;
  /** performance.now() when the call to this candidate started. */
  upstreamStartedAt: number;
}

export type RequestStatus = 'completed' | 'failed' | 'cancelled';

export interface Outcome {
  status: RequestStatus;
  /** Why it did not complete (null when it did). */
  failure: FailureClass | null;
  failureMessage: string | null;
  reported: ReportedUsage | null;
  /** The `model` the upstream answered with (null: not seen). */
  servedModel: string | null;
  /** Set by metering. */
  billed: BilledUsage | null;
  costMicros: number;
}

export class InferenceRequest {
  readonly receivedAt = performance.now();
  readonly abort = new AbortController();
  readonly attempts: AttemptRecord[] = [];
  readonly delivered = new DeliveredText();

  snapshot!: KeySnapshot;
  /** The API the buyer speaks; `body` is its request already in Chat Completions form. */
  dialect: Dialect = chatDialect;
  /** The buyer's body as sent (differs from `body` for a translated dialect). */
  original: Record<string, unknown>;
  model = '';
  /** The body as the upstream gets it, serialised once without `model` (spliced in per candidate). */
  upstreamJsonTail = '';
  /** The prompt the request could bill (tokens), by the gateway's count. */
  countedPrompt = 0;
  /** Speech input length in characters. */
  characters = 0;
  /** Choices asked for (chat `n`). */
  choices = 1;
  /** End user, tags and metadata the buyer gave (the parse stage fills it). */
  attribution: Attribution = { user: null, tags: [], metadata: null };
  /** max_tokens sent upstream (the buyer's, or the default cap the gateway set: the largest any candidate gets). */
  maxTokens: number | null = null;
  /** The buyer set no output cap: each listing gets the gateway's default, within its context. */
  defaultedMaxTokens = false;
  /** That cap per listing (route stage), when the gateway chose it. */
  maxTokensByListing: Map<string, number> | null = null;
  /** OpenRouter's `provider` object (null: none given). */
  providerPreferences: ProviderPreferences | null = null;
  /** The sort a `:floor` / `:nitro` model suffix asks for. */
  variantSort: ProviderSort | null = null;
  /** The `x-df-session` header (a conversation id the buyer chose). */
  session: string | null = null;
  /** The conversation sticky routing keeps on one listing (null: none). */
  conversation: string | null = null;
  tables: RoutingTable[] = [];
  candidates: Candidate[] = [];
  reservation: Reservation | null = null;
  /** The most tokens (prompt within the metering tolerance + every completion token) the request can bill. */
  reservedTokens = 0;
  /** The serving listing's capacity (its rpm, tpm, daily tokens, concurrency), settled by the meter stage. */
  listingHold: Reservation | null = null;
  served: Served | null = null;
  outcome: Outcome | null = null;

  constructor(
    readonly id: string,
    readonly capability: Capability,
    readonly body: Record<string, unknown>,
    readonly startedAt: Date,
    readonly clientAddress: string,
  ) {
    this.original = body;
  }

  get dialectContext(): DialectContext {
    return { requestId: this.id, model: this.model, startedAt: this.startedAt, original: this.original, countedPrompt: this.countedPrompt };
  }

  get isStreaming(): boolean {
    return this.capability === 'chat' && this.body.stream === true;
  }

  /** The buyer asked for the usage chunk (it is always asked upstream). */
  get clientWantsUsage(): boolean {
    return (
      this.isStreaming &&
      this.dialect === chatDialect &&
      (this.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true
    );
  }

  /** The most completion tokens the request allows across its choices (null: no completion). */
  get maxCompletion(): number | null {
    return this.maxTokens === null ? null : this.maxTokens * this.choices;
  }

  get table(): RoutingTable {
    return this.tables[0];
  }

  /** Listings that failed this request before it moved on (the network's swap figures). */
  get swappedFrom(): string[] {
    return this.attempts.filter((a) => a.failure !== 'caller' && a.failure !== 'buyer-abort').map((a) => a.listingId);
  }

  /** The JSON body for one candidate: its upstream model in front of the serialised rest. */
  upstreamBody(candidate: Candidate): string {
    let model = `{"model":${JSON.stringify(candidate.upstreamModel)}`;
    if (this.defaultedMaxTokens && this.maxTokens !== null)
      model += `,"max_tokens":${this.maxTokensByListing?.get(candidate.listingId) ?? this.maxTokens}`;
    return this.upstreamJsonTail === '{}' ? `${model}}` : `${model},${this.upstreamJsonTail.slice(1)}`;
  }
}
