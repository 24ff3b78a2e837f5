// graphql-ws on `ws` for the gateway's public subscriptions. graphql-ws's own adapter
// (graphql-ws/use/ws) waits for each frame's write callback before it takes the next event of a
// subscription, so a subscriber gets at most one frame per event-loop turn and every frame is its
// own write system call: at thousands of subscribers the job feed spent a third of the gateway's
// CPU in writes and fell behind. Here a frame is written at once while the connection's send
// buffer is small (the writes of one turn leave together, see writeBatcher in subscriptions.ts),
// and only a connection whose buffer is past the high-water mark waits for it to drain, so a slow
// client backs up into its own bounded, drop-oldest queue rather than into memory.
import type { IncomingMessage } from 'node:http';
import { WebSocket, type WebSocketServer } from 'ws';
import { CloseCode, makeServer, handleProtocols, type ServerOptions } from 'graphql-ws';

/** Bytes a connection may have waiting in its send buffer before its subscriptions wait. */
const HIGH_WATER_BYTES = 64 * 1024;
/** graphql-ws's default: a ping every 12 s, and a connection that does not answer is dropped. */
const KEEP_ALIVE_MS = 12_000;

export interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

/**
 * One event goes to every member of a subscriber group (the job feed's thousands of viewers) as
 * the same result object, but graphql-ws serialises each member's message whole. Its message
 * replacer stands a placeholder in for the result's `data`, serialised once per result object
 * (kept while the object lives), and the send that follows at once (graphql-ws serialises and
 * sends in one synchronous step) splices that text in.
 */
const DATA_PLACEHOLDER = '\u0000df:data';
const DATA_PLACEHOLDER_JSON = JSON.stringify(DATA_PLACEHOLDER);
const serialisedData = new WeakMap<object, string>();
let messageRoot: unknown = null;
let splicedData: string | null = null;

function shareSerialisedData(this: unknown, key: string, value: unknown): unknown {
  if (key === '') {
    messageRoot = value;
    return value;
  }
  if (key !== 'data' || value === null || typeof value !== 'object' || this !== (messageRoot as { payload?: unknown } | null)?.payload)
    return value;
  let text = serialisedData.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    serialisedData.set(value, text);
  }
  splicedData = text;
  return DATA_PLACEHOLDER;
}

function withSplicedData(message: string): string {
  const text = splicedData;
  splicedData = null;
  if (text === null) return message;
  const at = message.indexOf(DATA_PLACEHOLDER_JSON, message.indexOf('"payload":'));
  return at === -1 ? message : message.slice(0, at) + text + message.slice(at + DATA_PLACEHOLDER_JSON.length);
}

export function serveGraphQLWs<E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<Record<string, unknown>, WsExtra & E>,
  wss: WebSocketServer,
): { dispose(): Promise<void> } {
  const server = makeServer({ ...options, jsonMessageReplacer: shareSerialisedData });
  wss.options.handleProtocols = handleProtocols;
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.once('error', () => socket.close(CloseCode.InternalServerError, 'Internal server error'));
    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (message) => {
          const data = withSplicedData(message);
          if (socket.readyState !== WebSocket.OPEN) return;
          if (socket.bufferedAmount < HIGH_WATER_BYTES) return socket.send(data);
          return new Promise<void>((resolve) => socket.send(data, () => resolve()));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (message) => {
            try {
              await handle(String(message));
            } catch {
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request } as WsExtra & E,
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
