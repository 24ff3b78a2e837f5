// The JSON respond stage (chat without stream, embeddings): the whole answer is read, its visible
// output counted, its usage checked and replaced by what is billed (with cost_usd), and the model
// the buyer called put back in place of the seller's upstream name.
import type { ServerResponse } from 'node:http';
import { billedView, chatDialect } from '../dialects/dialect';
import { price } from '../meter';
import type { MeteringRules } from '../metering';
import { upstreamFailed } from '../openai-errors';
import type { InferenceRequest } from '../request';
import { collectCompletionText } from '../tokens';
import { readRest } from '../upstream';
import { usd, writeHead } from './headers';

export async function respondJson(
  request: InferenceRequest,
  raw: ServerResponse,
  rules: MeteringRules,
  timeouts: { idleTimeoutMs: number; totalTimeoutMs: number },
): Promise<void> {
  const { response, upstreamStartedAt } = request.served!;
  const chunks = [response.first];
  const end = await readRest(response, (chunk) => chunks.push(chunk), { signal: request.abort.signal, ...timeouts });
  const upstreamMs = performance.now() - upstreamStartedAt;
  let parsed: Record<string, unknown> | null = null;
  if (end === 'end') {
    try {
      const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      parsed = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    } catch {
      parsed = null;
    }
  }
  if (end === 'aborted') {
    // Nothing reached the buyer; the provider did the prompt's work.
    request.outcome = {
      status: 'cancelled',
      failure: 'buyer-abort',
      failureMessage: 'the buyer went away',
      reported: null,
      servedModel: null,
      billed: null,
      costMicros: 0,
    };
    raw.destroy();
    return;
  }
  if (!parsed) {
    const failure = end === 'end' ? 'protocol-violation' : 'transient';
    const message =
      end === 'end'
        ? 'the provider sent a malformed answer'
        : end === 'stalled'
          ? 'the provider stopped sending'
          : 'the provider broke off its answer';
    request.outcome = {
      status: 'failed',
      failure,
      failureMessage: message,
      reported: null,
      servedModel: null,
      billed: null,
      costMicros: 0,
    };
    const error = request.dialect.error(upstreamFailed('The provider sent an incomplete or malformed answer'), request.id);
    writeHead(raw, error.status, { 'content-type': 'application/json', 'x-request-id': request.id });
    raw.end(JSON.stringify(error.body));
    return;
  }

  if (request.capability === 'chat' && Array.isArray(parsed.choices)) {
    for (const [i, choice] of parsed.choices.entries()) {
      const c = choice as { index?: unknown; message?: Record<string, unknown> } | null;
      collectCompletionText(c?.message, request.delivered.list(typeof c?.index === 'number' ? c.index : i));
    }
  }
  const reported = parsed.usage && typeof parsed.usage === 'object' ? (parsed.usage as Record<string, unknown>) : null;
  request.outcome = {
    status: 'completed',
    failure: null,
    failureMessage: null,
    reported,
    servedModel: typeof parsed.model === 'string' ? parsed.model : null,
    billed: null,
    costMicros: 0,
  };
  const cost = price(request, rules);
  const billed = request.outcome.billed!;
  if ('model' in parsed || request.capability === 'chat') parsed.model = request.model;
  parsed.usage =
    request.capability === 'chat'
      ? {
          ...reported,
          prompt_tokens: billed.inputTokens,
          completion_tokens: billed.outputTokens,
          total_tokens: billed.inputTokens + billed.outputTokens,
          cost_usd: usd(cost),
        }
      : { ...reported, prompt_tokens: billed.inputTokens, total_tokens: billed.inputTokens, cost_usd: usd(cost) };

  const dialect = request.dialect;
  const text = JSON.stringify(
    dialect === chatDialect ? parsed : dialect.fromChat(parsed, billedView(billed, cost), request.dialectContext),
  );
  const overheadMs = performance.now() - request.receivedAt - upstreamMs;
  writeHead(raw, 200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': request.id,
    'server-timing': `gateway;dur=${overheadMs.toFixed(3)}, upstream;dur=${upstreamMs.toFixed(3)}`,
  });
  raw.end(text);
}
