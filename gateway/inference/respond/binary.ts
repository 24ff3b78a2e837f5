// The binary respond stage (speech): bytes pass through as they come; the price is the input's
// characters, known before the call.
import type { ServerResponse } from 'node:http';
import type { InferenceRequest } from '../request';
import { readRest } from '../upstream';
import { writeHead } from './headers';

export async function respondBinary(
  request: InferenceRequest,
  raw: ServerResponse,
  timeouts: { idleTimeoutMs: number; totalTimeoutMs: number },
): Promise<void> {
  const { response, upstreamStartedAt } = request.served!;
  const headers: Record<string, string> = {
    'x-request-id': request.id,
    'server-timing': `gateway;dur=${(upstreamStartedAt - request.receivedAt).toFixed(3)}`,
  };
  const type = response.headers['content-type'];
  if (type) headers['content-type'] = String(type);
  writeHead(raw, response.status, headers);
  raw.write(response.first);
  const end = await readRest(response, (chunk) => raw.write(chunk), { signal: request.abort.signal, ...timeouts });
  raw.end();
  const base = { reported: null, servedModel: null, billed: null, costMicros: 0 };
  if (end === 'end') request.outcome = { status: 'completed', failure: null, failureMessage: null, ...base };
  else if (end === 'aborted')
    request.outcome = { status: 'cancelled', failure: 'buyer-abort', failureMessage: 'the buyer went away', ...base };
  else
    request.outcome = {
      status: 'failed',
      failure: 'transient',
      failureMessage: end === 'stalled' ? 'the provider stopped sending audio' : 'the provider broke off the audio',
      ...base,
    };
}
