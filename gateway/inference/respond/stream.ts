// The stream respond stage: SSE events pass through byte-for-byte as they arrive, except the model
// name (the buyer sees the model it called) and the usage (checked, replaced by what is billed,
// and shown only to a buyer that asked for it). Every delta's text is kept to count what the buyer
// actually received, for the usage check and for billing a cancelled stream.
import type { ServerResponse } from 'node:http';
import { billedView, chatDialect } from '../dialects/dialect';
import { price } from '../meter';
import type { MeteringRules } from '../metering';
import type { InferenceRequest, Outcome } from '../request';
import { dataOf, SseSplitter } from '../sse';
import { collectCompletionText } from '../tokens';
import { readRest, type BodyEnd } from '../upstream';
import { usd, writeHead } from './headers';

/** The top-level `model` field of a chunk (JSON strings cannot hold an unescaped quote). */
const MODEL_FIELD = /"model"\s*:\s*"(?:[^"\\]|\\.)*"/;

export async function respondStream(
  request: InferenceRequest,
  raw: ServerResponse,
  rules: MeteringRules,
  timeouts: { idleTimeoutMs: number; totalTimeoutMs: number },
): Promise<void> {
  const { response, upstreamStartedAt } = request.served!;
  const publicField = `"model":${JSON.stringify(request.model)}`;
  const wantsUsage = request.clientWantsUsage;
  writeHead(raw, 200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
    'server-timing': `gateway;dur=${(upstreamStartedAt - request.receivedAt).toFixed(3)}`,
  });
  const outcome: Outcome = {
    status: 'completed',
    failure: null,
    failureMessage: null,
    reported: null,
    servedModel: null,
    billed: null,
    costMicros: 0,
  };
  request.outcome = outcome;
  // Another dialect gets its own events, written from each parsed chunk (chat passes bytes through).
  const translated = request.dialect === chatDialect ? null : request.dialect.openStream(request.dialectContext);
  if (translated) raw.write(translated.start());
  const splitter = new SseSplitter();
  let sawDone = false;
  let upstreamError = false;

  const billedUsage = (reported: Record<string, unknown>) => {
    const cost = price(request, rules);
    const billed = outcome.billed!;
    return {
      ...reported,
      prompt_tokens: billed.inputTokens,
      completion_tokens: billed.outputTokens,
      total_tokens: billed.inputTokens + billed.outputTokens,
      cost_usd: usd(cost),
    };
  };

  const forwardEvent = (event: string) => {
    const data = dataOf(event);
    if (data === null) return void (translated || raw.write(event));
    if (data === '[DONE]') {
      sawDone = true;
      return void (translated || raw.write(event));
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return void (translated || raw.write(event));
    }
    if (payload.error) upstreamError = true;
    if (outcome.servedModel === null && typeof payload.model === 'string') outcome.servedModel = payload.model;
    const choices = Array.isArray(payload.choices) ? payload.choices : [];
    for (const [i, choice] of choices.entries()) {
      const c = choice as { index?: unknown; delta?: Record<string, unknown> } | null;
      collectCompletionText(c?.delta, request.delivered.list(typeof c?.index === 'number' ? c.index : i));
    }
    const usage = payload.usage && typeof payload.usage === 'object' ? (payload.usage as Record<string, unknown>) : null;
    if (translated) {
      if (usage) outcome.reported = usage;
      if (!payload.error && choices.length > 0) raw.write(translated.chunk(payload));
      return;
    }
    if (!usage) return void raw.write(event.replace(MODEL_FIELD, publicField));
    outcome.reported = usage;
    // The usage the buyer sees is what it pays for; a usage-only chunk goes only to buyers that asked.
    if (choices.length === 0 && !wantsUsage) return;
    const rewritten: Record<string, unknown> = { ...payload, model: request.model };
    if (wantsUsage) rewritten.usage = billedUsage(usage);
    else delete rewritten.usage;
    raw.write(`data: ${JSON.stringify(rewritten)}\n\n`);
  };
  const forward = (chunk: Buffer) => {
    for (const event of splitter.push(chunk.toString('utf8'))) forwardEvent(event);
  };

  forward(response.first);
  const end: BodyEnd = await readRest(response, forward, { signal: request.abort.signal, ...timeouts });
  const rest = splitter.rest();
  if (rest && end !== 'aborted' && !translated) raw.write(rest);

  if (end === 'aborted') {
    outcome.status = 'cancelled';
    outcome.failure = 'buyer-abort';
    outcome.failureMessage = 'the buyer went away';
  } else if (end !== 'end' || upstreamError || !(sawDone || outcome.reported)) {
    // A stream that ends without [DONE] or usage was cut off by the provider.
    outcome.status = 'failed';
    outcome.failure = end === 'end' && !upstreamError ? 'protocol-violation' : 'transient';
    outcome.failureMessage =
      end === 'stalled'
        ? 'the provider stream stalled after the first byte'
        : upstreamError
          ? 'the provider sent an error event mid-stream'
          : 'the provider stream broke off after the first byte';
    if (translated) raw.write(translated.fail(upstreamError ? 'The provider sent an error mid-stream' : 'The provider stream broke off'));
    else if (!upstreamError)
      raw.write(
        `data: ${JSON.stringify({ error: { message: 'The provider stream broke off', type: 'api_error', code: 'upstream_error', param: null } })}\n\n`,
      );
  } else if (translated) {
    // Priced first: price() is what sets outcome.billed, which the dialect's usage is read from.
    const cost = price(request, rules);
    raw.write(translated.finish(billedView(outcome.billed, cost)));
  }
  raw.end();
}
