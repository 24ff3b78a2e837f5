// The only code that talks to sellers' upstreams: the one call that validates a new pool key, and
// the probes (a real, small request per capability). It observes and measures; probe-verdict.ts
// judges. Nothing here logs, and no upstream text leaves it without the key redacted, credential
// shapes, URLs and addresses scrubbed, and its length bounded. Every call goes through the
// outbound agents, which connect to public addresses only (unless OUTBOUND_ALLOW_PRIVATE).
import { performance } from 'node:perf_hooks';
import { boundedUpstreamText, outboundFetch, outboundRefusal } from '../../common/outbound';
import { Capability } from '../entities/Listing';

export interface Upstream {
  baseUrl: string;
  apiKey: string;
}

export type KeyValidation =
  | { ok: true }
  /**
   * refused: the provider said 401/403; unreachable: no HTTP answer (network, timeout, 5xx);
   * addressRefused: the outbound rule refused to connect (the URL names, or resolves to, a non-public address).
   */
  | { ok: false; refused: boolean; unreachable: boolean; addressRefused?: boolean; status: number | null; reason: string };

/** GET {baseUrl}/models with the key: the cheapest call every OpenAI-compatible provider authenticates. */
export async function validateKey(upstream: Upstream, timeoutMs: number): Promise<KeyValidation> {
  let response: Response;
  try {
    response = await outboundFetch(`${upstream.baseUrl}/models`, {
      method: 'GET',
      headers: { authorization: `Bearer ${upstream.apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return {
      ok: false,
      refused: false,
      unreachable: true,
      addressRefused: outboundRefusal(error) !== null,
      status: null,
      reason: transportReason(error, timeoutMs),
    };
  }
  const detail = await errorDetail(response, upstream.apiKey);
  if (response.ok) return { ok: true };
  if (response.status === 401 || response.status === 403)
    return {
      ok: false,
      refused: true,
      unreachable: false,
      status: response.status,
      reason: `the provider refused this key (HTTP ${response.status})`,
    };
  if (response.status >= 500)
    return {
      ok: false,
      refused: false,
      unreachable: true,
      status: response.status,
      reason: `the provider answered HTTP ${response.status}${detail}`,
    };
  return {
    ok: false,
    refused: false,
    unreachable: false,
    status: response.status,
    reason: `the provider answered HTTP ${response.status} to GET /models${detail}`,
  };
}

export interface ProbeLimits {
  timeoutMs: number;
  /** Chat and speech: give up when nothing arrives by then. */
  maxTtftMs: number;
  maxTokens: number;
}

/** What one probe saw. Times in ms from sending the request. */
export interface ProbeObservation {
  capability: Capability;
  httpStatus: number | null;
  /** No usable HTTP answer: transport error, timeout, or an error status (with the upstream's message, redacted). */
  failure: string | null;
  /** The provider refused the key (401/403). */
  refused: boolean;
  /** Nothing arrived within maxTtftMs. */
  slowFirstToken: boolean;
  contentType: string | null;
  latencyMs: number | null;
  ttftMs: number | null;
  // chat
  streamed: boolean;
  contentChunks: number;
  /** ms between the first and the last content chunk. */
  streamSpreadMs: number;
  answerLength: number;
  completionTokens: number | null;
  usageReported: boolean;
  // embeddings
  vectorLength: number;
  // speech
  audioBytes: number;
}

const PROMPT = 'Reply with one short friendly sentence about dragonflies.';
const SPEECH_INPUT = 'Dragonfly admission probe.';
const MAX_READ_BYTES = 8 * 1024 * 1024;

export async function probeUpstream(
  upstream: Upstream,
  capability: Capability,
  model: string,
  limits: ProbeLimits,
): Promise<ProbeObservation> {
  const seen = blankObservation(capability);
  const controller = new AbortController();
  const overall = setTimeout(() => controller.abort(new ProbeTimeout('overall')), limits.timeoutMs);
  // Streaming capabilities must start within maxTtftMs: an upstream that sits on the request is "too slow", not "down".
  let firstArrived = capability === Capability.EMBEDDINGS;
  const firstWait =
    capability === Capability.EMBEDDINGS
      ? null
      : setTimeout(() => !firstArrived && controller.abort(new ProbeTimeout('first')), limits.maxTtftMs);
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  const markFirst = () => {
    if (firstArrived) return;
    firstArrived = true;
    seen.ttftMs = since();
  };
  try {
    const response = await outboundFetch(`${upstream.baseUrl}${PATHS[capability]}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${upstream.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(requestBody(capability, model, limits.maxTokens)),
      signal: controller.signal,
    });
    seen.httpStatus = response.status;
    // Shown to the seller in verdicts ("not audio: the answer was …"): the upstream's words, so bounded like them.
    const contentType = response.headers.get('content-type');
    seen.contentType = contentType === null ? null : boundedUpstreamText(contentType, 80);
    if (!response.ok) {
      seen.refused = response.status === 401 || response.status === 403;
      seen.failure = `the upstream answered HTTP ${response.status}${await errorDetail(response, upstream.apiKey)}`;
      seen.latencyMs = since();
      return seen;
    }
    if (capability === Capability.CHAT) await readChat(response, seen, since, markFirst);
    else if (capability === Capability.EMBEDDINGS) await readEmbeddings(response, seen);
    else await readSpeech(response, seen, markFirst);
    seen.latencyMs = since();
  } catch (error) {
    seen.latencyMs = since();
    const reason = controller.signal.aborted ? controller.signal.reason : null;
    if (reason instanceof ProbeTimeout && reason.which === 'first') {
      seen.slowFirstToken = true;
      seen.failure = `nothing arrived within ${limits.maxTtftMs} ms`;
    } else if (reason instanceof ProbeTimeout) {
      seen.failure = `the probe timed out after ${limits.timeoutMs} ms`;
    } else {
      seen.failure = error instanceof BodyError ? error.message : transportReason(error, limits.timeoutMs);
    }
  } finally {
    clearTimeout(overall);
    if (firstWait) clearTimeout(firstWait);
    if (!controller.signal.aborted) controller.abort();
  }
  return seen;
}

const PATHS: Record<Capability, string> = {
  [Capability.CHAT]: '/chat/completions',
  [Capability.EMBEDDINGS]: '/embeddings',
  [Capability.SPEECH]: '/audio/speech',
};

function requestBody(capability: Capability, model: string, maxTokens: number): Record<string, unknown> {
  switch (capability) {
    case Capability.CHAT:
      return {
        model,
        messages: [{ role: 'user', content: PROMPT }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: maxTokens,
      };
    case Capability.EMBEDDINGS:
      return { model, input: PROMPT };
    case Capability.SPEECH:
      // `alloy` is OpenAI's default voice; other providers map unknown voices or reject them (a failed probe says so).
      return { model, input: SPEECH_INPUT, voice: 'alloy', response_format: 'mp3' };
  }
}

/** Server-sent events: each `data:` event parsed; content deltas timed as they arrive. */
async function readChat(response: Response, seen: ProbeObservation, since: () => number, markFirst: () => void): Promise<void> {
  if (!/^text\/event-stream/i.test(seen.contentType ?? '')) {
    // A JSON answer to a streaming request: not streamed at all.
    const body = await readJson(response);
    const content = (body as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
    seen.answerLength = typeof content === 'string' ? content.length : 0;
    const usage = (body as { usage?: { completion_tokens?: unknown } })?.usage;
    seen.usageReported = typeof usage === 'object' && usage !== null;
    seen.completionTokens = typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : null;
    return;
  }
  seen.streamed = true;
  const decoder = new TextDecoder();
  let buffer = '';
  let bytes = 0;
  let firstContentAt: number | null = null;
  let lastContentAt: number | null = null;
  const onEvent = (data: string, at: number) => {
    if (data === '[DONE]') return;
    let event: { choices?: { delta?: { content?: unknown } }[]; usage?: { completion_tokens?: unknown } | null };
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    const content = event.choices?.[0]?.delta?.content;
    if (typeof content === 'string' && content.length > 0) {
      markFirst();
      seen.contentChunks++;
      seen.answerLength += content.length;
      firstContentAt ??= at;
      lastContentAt = at;
    }
    if (event.usage && typeof event.usage === 'object') {
      seen.usageReported = true;
      if (typeof event.usage.completion_tokens === 'number') seen.completionTokens = event.usage.completion_tokens;
    }
  };
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const at = since();
    bytes += chunk.length;
    if (bytes > MAX_READ_BYTES) throw new BodyError(`the stream exceeded ${MAX_READ_BYTES} bytes`);
    buffer += decoder.decode(chunk, { stream: true });
    let boundary: RegExpExecArray | null;
    while ((boundary = /\r?\n\r?\n/.exec(buffer))) {
      const block = buffer.slice(0, boundary.index);
      buffer = buffer.slice(boundary.index + boundary[0].length);
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) onEvent(data, at);
    }
  }
  if (firstContentAt !== null && lastContentAt !== null) seen.streamSpreadMs = lastContentAt - firstContentAt;
}

async function readEmbeddings(response: Response, seen: ProbeObservation): Promise<void> {
  const body = (await readJson(response)) as {
    data?: { embedding?: unknown }[];
    usage?: { prompt_tokens?: unknown; total_tokens?: unknown };
  } | null;
  const embedding = body?.data?.[0]?.embedding;
  if (Array.isArray(embedding) && embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) seen.vectorLength = embedding.length;
  else if (typeof embedding === 'string') seen.vectorLength = Math.floor(Buffer.from(embedding, 'base64').length / 4);
  const usage = body?.usage;
  seen.usageReported =
    typeof usage === 'object' && usage !== null && (typeof usage.prompt_tokens === 'number' || typeof usage.total_tokens === 'number');
}

async function readSpeech(response: Response, seen: ProbeObservation, markFirst: () => void): Promise<void> {
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (chunk.length > 0) markFirst();
    seen.audioBytes += chunk.length;
    if (seen.audioBytes > MAX_READ_BYTES) throw new BodyError(`the audio exceeded ${MAX_READ_BYTES} bytes`);
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length > MAX_READ_BYTES) throw new BodyError(`the answer exceeded ${MAX_READ_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError('the answer was not JSON');
  }
}

/** ": <the upstream's error message>", redacted and bounded (boundedUpstreamText); "" when there is none. */
async function errorDetail(response: Response, apiKey: string): Promise<string> {
  if (response.ok) {
    await response.body?.cancel().catch(() => {});
    return '';
  }
  let text = '';
  try {
    text = (await response.text()).slice(0, 4096);
  } catch {
    return '';
  }
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const candidate = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    message = typeof candidate === 'string' ? candidate : '';
  } catch {
    // not JSON: the raw text (often an HTML error page) is not worth showing
    message = '';
  }
  message = boundedUpstreamText(redact(message, apiKey));
  return message ? `: ${message}` : '';
}

/** Removes the key, and any long piece of it an upstream echoes back, from a text. */
export function redact(text: string, secret: string): string {
  if (!secret) return text;
  let out = text.split(secret).join('[redacted]');
  // Providers echo keys partly ("sk-abc…wxyz", or its first dozen characters): remove any 8-character run of it.
  for (let i = 0; i + 8 <= secret.length; i++) {
    const piece = secret.slice(i, i + 8);
    if (out.includes(piece)) out = out.split(piece).join('[redacted]');
  }
  return out;
}

function transportReason(error: unknown, timeoutMs: number): string {
  const refusal = outboundRefusal(error);
  // The class only: the resolved address is the platform's view of DNS, not the seller's to see.
  if (refusal) return `the provider's address is not public (${refusal.addressClass})`;
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `the provider did not answer within ${timeoutMs} ms`;
  const code = (error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)
    ? `could not connect to the provider (${code})`
    : 'could not connect to the provider';
}

class ProbeTimeout extends Error {
  constructor(readonly which: 'first' | 'overall') {
    super(`probe timeout (${which})`);
  }
}

class BodyError extends Error {}

function blankObservation(capability: Capability): ProbeObservation {
  return {
    capability,
    httpStatus: null,
    failure: null,
    refused: false,
    slowFirstToken: false,
    contentType: null,
    latencyMs: null,
    ttftMs: null,
    streamed: false,
    contentChunks: 0,
    streamSpreadMs: 0,
    answerLength: 0,
    completionTokens: null,
    usageReported: false,
    vectorLength: 0,
    audioBytes: 0,
  };
}

/** One plain (non-streaming) chat call's outcome, for the verification checks. */
export interface ChatCallOutcome {
  httpStatus: number | null;
  /** The parsed answer (null on a failure). */
  body: unknown;
  /** Why there is no usable answer: transport, timeout, an error status (redacted, bounded) or a body that is not JSON. */
  failure: string | null;
}

/** POST {baseUrl}/chat/completions with `body` (not streamed), through the outbound agents. */
export async function chatCall(upstream: Upstream, body: Record<string, unknown>, timeoutMs: number): Promise<ChatCallOutcome> {
  let response: Response;
  try {
    response = await outboundFetch(`${upstream.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${upstream.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: false }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { httpStatus: null, body: null, failure: transportReason(error, timeoutMs) };
  }
  if (!response.ok)
    return {
      httpStatus: response.status,
      body: null,
      failure: `the upstream answered HTTP ${response.status}${await errorDetail(response, upstream.apiKey)}`,
    };
  try {
    return { httpStatus: response.status, body: await readJson(response), failure: null };
  } catch (error) {
    return {
      httpStatus: response.status,
      body: null,
      failure: error instanceof BodyError ? error.message : transportReason(error, timeoutMs),
    };
  }
}
