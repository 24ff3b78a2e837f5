// A probe's verdict from what it saw: the admission rules, pure, one reason per failure (the first
// that applies, in the order a seller would fix them).
import { Capability } from '../entities/Listing';
import type { ProbeObservation } from './upstream';

export interface VerdictRules {
  maxTtftMs: number;
  minContentChunks: number;
  minStreamSpreadMs: number;
}

export interface Verdict {
  passed: boolean;
  reason: string | null;
  /** Chat: completion tokens per second of generation (first to last content chunk). */
  tokensPerSecond: number | null;
}

export function judgeProbe(seen: ProbeObservation, rules: VerdictRules): Verdict {
  const fail = (reason: string): Verdict => ({ passed: false, reason, tokensPerSecond: null });
  if (seen.refused) return fail(`the provider refused the pool key (HTTP ${seen.httpStatus})`);
  if (seen.slowFirstToken) return fail(`too slow: ${seen.failure} (limit ${rules.maxTtftMs} ms to the first token)`);
  if (seen.failure) return fail(seen.failure);
  switch (seen.capability) {
    case Capability.CHAT:
      return judgeChat(seen, rules);
    case Capability.EMBEDDINGS:
      if (seen.vectorLength === 0) return fail('no embedding vector in the answer');
      if (!seen.usageReported) return fail('no usage in the answer (usage.prompt_tokens is needed for billing)');
      return { passed: true, reason: null, tokensPerSecond: null };
    case Capability.SPEECH:
      if (!/^audio\//i.test(seen.contentType ?? '')) return fail(`not audio: the answer was ${seen.contentType ?? 'untyped'}`);
      if (seen.audioBytes === 0) return fail('empty audio: the answer had no bytes');
      return { passed: true, reason: null, tokensPerSecond: null };
  }
}

function judgeChat(seen: ProbeObservation, rules: VerdictRules): Verdict {
  const fail = (reason: string): Verdict => ({ passed: false, reason, tokensPerSecond: null });
  if (!seen.streamed) return fail(`not streamed: a streaming request was answered with ${seen.contentType ?? 'an untyped body'}`);
  if (seen.answerLength === 0) return fail('empty answer: the stream carried no content');
  if (!seen.usageReported) return fail('no usage in the stream (stream_options.include_usage was asked for; billing needs it)');
  if (seen.completionTokens === null || seen.completionTokens <= 0)
    return fail(`usage reported completion_tokens = ${seen.completionTokens ?? 'nothing'} for a non-empty answer`);
  if (seen.contentChunks < rules.minContentChunks) {
    return fail(`not streamed: the answer came in ${seen.contentChunks} content chunk(s), at least ${rules.minContentChunks} expected`);
  }
  if (seen.streamSpreadMs < rules.minStreamSpreadMs) {
    return fail(
      `fake streaming: all ${seen.contentChunks} content chunks arrived within ${seen.streamSpreadMs} ms (at least ${rules.minStreamSpreadMs} ms expected between first and last); the upstream buffers its answer`,
    );
  }
  if (seen.ttftMs !== null && seen.ttftMs > rules.maxTtftMs)
    return fail(`too slow: first token after ${seen.ttftMs} ms (limit ${rules.maxTtftMs} ms)`);
  const seconds = seen.streamSpreadMs / 1000;
  const tokensPerSecond = seconds > 0 ? Math.round((seen.completionTokens / seconds) * 10) / 10 : null;
  return { passed: true, reason: null, tokensPerSecond };
}
