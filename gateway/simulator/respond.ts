// Sending an endpoint's reply under the request's faults: stream pacing, fake streams and cut
// connections live here, so the endpoints only decide what to answer.
import type { ServerResponse } from 'node:http';
import type { FaultConfig } from './faults';
import { dropConnection } from './http';

export type Reply =
  | { kind: 'json'; body: unknown }
  | { kind: 'bytes'; contentType: string; data: Buffer; headers: Record<string, string> }
  | StreamReply;

/** Server-sent events, produced one frame at a time so that a long stream is never held whole. */
export interface StreamReply {
  kind: 'stream';
  frames: number;
  /** The leading frames that carry tokens, spaced by the chunk delay; the rest follow at once. */
  paced: number;
  frame(index: number): string;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** Sends a reply whose latency, cut-before-first-byte and error-status faults have already been applied. */
export function sendReply(res: ServerResponse, reply: Reply, faults: FaultConfig, onStreamAborted: () => void): void {
  if (reply.kind === 'stream') return sendStream(res, reply, faults, onStreamAborted);
  const body = reply.kind === 'json' ? JSON.stringify(reply.body) : reply.data;
  const headers = reply.kind === 'json' ? { 'content-type': 'application/json' } : { ...reply.headers, 'content-type': reply.contentType };
  res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
  if (faults.cutAfter === null) return void res.end(body);
  res.flushHeaders();
  dropConnection(res);
}

function sendStream(res: ServerResponse, stream: StreamReply, faults: FaultConfig, onAborted: () => void): void {
  if (res.destroyed) return onAborted(); // the client left before the first byte; 'close' has passed
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  const end = faults.cutAfter === null ? stream.frames : Math.min(faults.cutAfter, stream.frames);
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  // A client that goes away stops the generation: nothing more is scheduled or written.
  res.once('close', () => {
    clearTimeout(timer);
    if (!settled) onAborted();
  });
  const finish = (last?: string): void => {
    settled = true;
    if (end === stream.frames) return void res.end(last);
    if (last) res.write(last);
    dropConnection(res);
  };

  if (faults.fakeStream) {
    timer = setTimeout(() => {
      let text = '';
      for (let i = 0; i < end; i++) text += stream.frame(i);
      finish(text);
    }, faults.ttftMs);
    return;
  }
  // Each frame is its own write and leaves at once (the server disables Nagle). Backpressure is not
  // waited for: a reply is at most a few thousand small frames.
  const sendFrom = (first: number): void => {
    for (let i = first; i < end; i++) {
      res.write(stream.frame(i));
      const next = i + 1;
      if (next < stream.paced && next < end && faults.chunkDelayMs > 0) {
        timer = setTimeout(sendFrom, faults.chunkDelayMs, next);
        return;
      }
    }
    finish();
  };
  timer = setTimeout(sendFrom, faults.ttftMs, 0);
}
