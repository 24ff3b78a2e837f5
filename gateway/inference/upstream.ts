// One call to an upstream provider over pooled keep-alive connections. Resolves when the first
// body chunk (or the end of an empty body) has arrived: until then nothing has gone to the
// client, so any failure up to that point may still fall back to another candidate.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { boundedUpstreamText, outboundAgents } from '../../subgraphs/common/outbound';

// Pooled keep-alive agents that connect only to public addresses unless OUTBOUND_ALLOW_PRIVATE (the SSRF rule).
const agents = outboundAgents;

export interface UpstreamRequest {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:4010/v1 */
  baseUrl: string;
  /** Path below the base URL, e.g. /chat/completions */
  path: string;
  apiKey: string;
  body: string;
  /** Time allowed until the first body byte. */
  timeoutMs: number;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The first body chunk (empty when the body was empty). */
  first: Buffer;
  ended: boolean;
  stream: IncomingMessage;
  firstByteAt: number;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: 'connect' | 'timeout' | 'reset' | 'status' | 'aborted',
    readonly status?: number,
    readonly retryAfter?: string,
    /** The provider's own error message (bounded, scrubbed of keys, URLs and addresses). */
    readonly upstreamMessage?: string,
  ) {
    super(message);
  }
}

const MAX_ERROR_BODY = 4096;
const MAX_ERROR_MESSAGE = 300;

/** The message of an OpenAI-shaped (or any JSON, or plain text) error body, fit to show a buyer. */
export function errorMessageOf(body: string): string | undefined {
  let text = body;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') text = message;
  } catch {
    // Not JSON: the text itself.
  }
  const clean = boundedUpstreamText(text, MAX_ERROR_MESSAGE);
  return clean.length > 0 ? clean : undefined;
}

export function callUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  const url = new URL(request.baseUrl.replace(/\/+$/, '') + request.path);
  const transport = url.protocol === 'https:' ? https : http;
  const agent = agents[url.protocol as 'http:' | 'https:'];
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: UpstreamError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new UpstreamError(`no answer from the provider within ${request.timeoutMs} ms`, 'timeout')),
      request.timeoutMs,
    );
    const onAbort = () => fail(new UpstreamError('the client went away', 'aborted'));
    request.signal.addEventListener('abort', onAbort, { once: true });
    const outgoing = transport.request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(request.body),
        authorization: `Bearer ${request.apiKey}`,
        accept: 'application/json, text/event-stream, audio/*',
      },
    });
    outgoing.setNoDelay(true);
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      fail(
        new UpstreamError(
          `provider connection failed (${error.code ?? error.message})`,
          error.code === 'ECONNREFUSED' || error.code === 'ENOTFOUND' || error.code === 'ERR_OUTBOUND_ADDRESS_REFUSED'
            ? 'connect'
            : 'reset',
        ),
      );
    });
    outgoing.on('response', (response) => {
      const status = response.statusCode ?? 502;
      if (status >= 400) {
        // Read (at most 4 KiB of) the error so the buyer learns why, and so the socket returns to the pool.
        const parts: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_ERROR_BODY) parts.push(chunk.subarray(0, MAX_ERROR_BODY - size));
          size += chunk.length;
        });
        response.on('end', () =>
          fail(
            new UpstreamError(
              `provider answered ${status}`,
              'status',
              status,
              response.headers['retry-after'] as string | undefined,
              errorMessageOf(Buffer.concat(parts).toString('utf8')),
            ),
          ),
        );
        response.on('error', () => fail(new UpstreamError(`provider answered ${status}`, 'status', status)));
        return;
      }
      const onFirst = (chunk: Buffer) => finish(chunk, false);
      const onEnd = () => finish(Buffer.alloc(0), true);
      const onError = () => fail(new UpstreamError('provider reset the connection before the first byte', 'reset'));
      const finish = (first: Buffer, ended: boolean) => {
        response.off('data', onFirst);
        response.off('end', onEnd);
        response.off('error', onError);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal.removeEventListener('abort', onAbort);
        if (!ended) response.pause();
        resolve({ status, headers: response.headers, first, ended, stream: response, firstByteAt: performance.now() });
      };
      response.on('data', onFirst);
      response.on('end', onEnd);
      response.on('error', onError);
      response.on('aborted', onError);
    });
    outgoing.end(request.body);
  });
}

export type BodyEnd = 'end' | 'broken' | 'aborted' | 'stalled';

/**
 * Reads the rest of an upstream body into `onChunk`: 'end' at its end, 'broken' when it breaks
 * off, 'aborted' when the signal fires (the buyer left), 'stalled' when no chunk arrives for
 * `idleTimeoutMs` or the whole body takes longer than `totalTimeoutMs` (the socket, the listing's
 * slot and the reservation must not be held by a provider that stopped sending).
 * (The body may already have ended while the first chunk was being handed over.)
 */
export function readRest(
  response: UpstreamResponse,
  onChunk: (chunk: Buffer) => void,
  options: { signal?: AbortSignal; idleTimeoutMs?: number; totalTimeoutMs?: number } = {},
): Promise<BodyEnd> {
  const stream = response.stream;
  if (response.ended || stream.readableEnded) return Promise.resolve('end');
  const { signal, idleTimeoutMs, totalTimeoutMs } = options;
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | null = null;
    const total = totalTimeoutMs ? setTimeout(() => stop('stalled'), totalTimeoutMs) : null;
    const arm = () => {
      if (!idleTimeoutMs) return;
      if (idle) idle.refresh();
      else idle = setTimeout(() => stop('stalled'), idleTimeoutMs);
    };
    const done = (end: BodyEnd) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onBreak);
      stream.off('aborted', onBreak);
      signal?.removeEventListener('abort', onAbort);
      if (idle) clearTimeout(idle);
      if (total) clearTimeout(total);
      resolve(end);
    };
    const stop = (end: BodyEnd) => {
      // Settle first: destroying an unfinished IncomingMessage emits 'aborted' synchronously.
      done(end);
      stream.destroy();
    };
    const onData = (chunk: Buffer) => {
      arm();
      onChunk(chunk);
    };
    const onEnd = () => done('end');
    const onBreak = () => done('broken');
    const onAbort = () => stop('aborted');
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onBreak);
    stream.once('aborted', onBreak);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) return stop('aborted');
    arm();
    stream.resume();
  });
}
