// Plumbing shared by every endpoint: OpenAI-shaped errors, JSON bodies in and out, abrupt closes.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error answered as OpenAI does: `{"error":{"message","type","code","param"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** A 400 naming the offending request field, the commonest rejection. */
export function invalid(param: string, message: string): ApiError {
  return new ApiError(400, message, 'invalid_request_error', null, param);
}

// Large enough for a full batch of embedding inputs; anything bigger is a client bug.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError, headers?: Record<string, string>): void {
  const { message, type, code, param } = error;
  sendJson(res, error.status, { error: { message, type, code, param } }, headers);
}

/** The request body parsed as a JSON object; anything else is a 400 (413 when oversized). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is drained rather than abandoned, so that the 413 still reaches the client.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new ApiError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes.`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
  } catch {
    throw new ApiError(400, 'We could not parse the JSON body of your request. The body must be valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** Connection reset before the first byte: a TCP RST, as a crashed or overloaded upstream gives. */
export function resetConnection(res: ServerResponse): void {
  res.socket?.resetAndDestroy();
}

/**
 * Connection dropped after some bytes. The socket is ended (FIN once written data has flushed) rather
 * than reset, because an RST could discard bytes still queued and turn the cut into a pre-byte reset.
 */
export function dropConnection(res: ServerResponse): void {
  res.socket?.destroySoon();
}
