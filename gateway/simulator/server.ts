// A simulated OpenAI-compatible provider, for the embedded demo, tests, admission probes and
// benchmarks. Plain node:http with a fixed route table: nothing per request beyond what the answer
// needs. Faults are resolved per request (see faults.ts), applied in this order: latency, a reset
// before the first byte, an error status; then the endpoint answers and respond.ts sends it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatCompletion } from './chat';
import { createEmbeddings } from './embeddings';
import { DEFAULT_FAULTS, faultsFromHeaders, faultsFromJson, type FaultConfig } from './faults';
import { ApiError, readJsonObject, resetConnection, sendError, sendJson } from './http';
import { listModels, retrieveModel } from './models';
import { sendReply, type Reply } from './respond';
import { createSpeech } from './speech';

export type { FaultConfig } from './faults';

export interface SimulatorOptions {
  /** Default 127.0.0.1. The admin route answers loopback clients only, whatever the host. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Fault defaults for every request, under per-key faults and x-simulator-* headers. */
  defaults?: Partial<FaultConfig>;
  /** Accepted bearer keys; null or absent accepts any non-empty key. */
  apiKeys?: string[] | null;
}

export interface SimulatorStats {
  /** API requests received (admin requests excluded), whatever their outcome. */
  requests: number;
  /** Streams the client left before their end. */
  streamsAborted: number;
}

export interface Simulator {
  /** Base URL, ending in /v1. */
  url: string;
  port: number;
  /** Faults for requests made with this key (replacing earlier ones); null clears them. */
  setKeyFaults(apiKey: string, faults: Partial<FaultConfig> | null): void;
  requestCount(): number;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

interface Route {
  readsBody: boolean;
  answer(body: Body, faults: FaultConfig, path: string): Reply;
}

const MODELS_PREFIX = '/v1/models/';
const ROUTES = new Map<string, Route>([
  ['GET /v1/models', { readsBody: false, answer: () => ({ kind: 'json', body: listModels() }) }],
  ['POST /v1/chat/completions', { readsBody: true, answer: chatCompletion }],
  ['POST /v1/embeddings', { readsBody: true, answer: createEmbeddings }],
  ['POST /v1/audio/speech', { readsBody: true, answer: createSpeech }],
]);
const MODEL_ROUTE: Route = {
  readsBody: false,
  answer: (_body, _faults, path) => ({ kind: 'json', body: retrieveModel(decodePathSegment(path.slice(MODELS_PREFIX.length))) }),
};
const NO_BODY: Body = Object.freeze({});

const ADMIN_PATH = /^\/_simulator\/keys\/([^/]+)\/faults$/;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const base: FaultConfig = { ...DEFAULT_FAULTS, ...faultsFromJson(options.defaults ?? {}) };
  const keyFaults = new Map<string, FaultConfig>();
  const acceptedKeys = options.apiKeys ? new Set(options.apiKeys) : null;
  const stats: SimulatorStats = { requests: 0, streamsAborted: 0 };
  const onStreamAborted = (): void => void stats.streamsAborted++;

  const setKeyFaults = (apiKey: string, faults: Partial<FaultConfig> | null): FaultConfig => {
    if (faults === null) {
      keyFaults.delete(apiKey);
      return base;
    }
    // Merged once here, so a request without fault headers uses this object as is.
    const merged = { ...base, ...faultsFromJson(faults) };
    keyFaults.set(apiKey, merged);
    return merged;
  };

  async function serveApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    stats.requests++;
    const route = ROUTES.get(`${req.method} ${path}`) ?? (req.method === 'GET' && path.startsWith(MODELS_PREFIX) ? MODEL_ROUTE : undefined);
    if (!route) throw new ApiError(404, `Invalid URL (${req.method} ${path})`);
    const apiKey = bearerKey(req);
    if (apiKey === null) {
      throw new ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      );
    }
    if (acceptedKeys && !acceptedKeys.has(apiKey))
      throw new ApiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');

    const keyed = keyFaults.get(apiKey) ?? base;
    const overrides = faultsFromHeaders(req.headers);
    const faults = overrides ? { ...keyed, ...overrides } : keyed;
    if (faults.latencyMs > 0 && !(await delay(res, faults.latencyMs))) return;
    if (faults.cutAfter === 0) return resetConnection(res);
    if (faults.status >= 400) {
      const headers = faults.retryAfter === null ? undefined : { 'retry-after': String(faults.retryAfter) };
      return sendError(res, faultError(faults.status), headers);
    }
    const body = route.readsBody ? await readJsonObject(req) : NO_BODY;
    sendReply(res, route.answer(body, faults, path), faults, onStreamAborted);
  }

  async function serveAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress))
      throw new ApiError(403, 'The simulator admin API answers loopback clients only.', 'permission_error');
    const match = ADMIN_PATH.exec(path);
    if (!match || (req.method !== 'PUT' && req.method !== 'DELETE')) throw new ApiError(404, `Invalid URL (${req.method} ${path})`);
    const apiKey = decodePathSegment(match[1]);
    if (req.method === 'DELETE') {
      setKeyFaults(apiKey, null);
      res.writeHead(204).end();
      return;
    }
    sendJson(res, 200, { apiKey, faults: setKeyFaults(apiKey, await readJsonObject(req)) });
  }

  // noDelay: every socket gets setNoDelay(true), so each stream chunk leaves as it is written.
  const server = createServer({ noDelay: true }, (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const serve = path.startsWith('/_simulator/') ? serveAdmin : serveApi;
    serve(req, res, path).catch((error: unknown) => fail(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    port,
    setKeyFaults: (apiKey, faults) => void setKeyFaults(apiKey, faults),
    requestCount: () => stats.requests,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Open streams and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.destroyed) return; // the client left (e.g. mid-body): no one to answer, nothing wrong here
  if (!(error instanceof ApiError)) console.error('simulator: unexpected error', error);
  if (res.headersSent) return void res.destroy();
  sendError(res, error instanceof ApiError ? error : new ApiError(500, 'The simulator failed unexpectedly.', 'server_error'));
}

function bearerKey(req: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match ? match[1] : null;
}

/** An injected error status, shaped as OpenAI shapes that status. */
function faultError(status: number): ApiError {
  if (status === 429) return new ApiError(429, 'Rate limit reached (simulated).', 'requests', 'rate_limit_exceeded');
  if (status >= 500) return new ApiError(status, 'The server had an error while processing your request (simulated).', 'server_error');
  return new ApiError(status, `Simulated ${status} error.`);
}

/** Waits `ms`; false if the client went away meanwhile, when there is no one left to answer. */
function delay(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, `Malformed URL path segment: ${segment}`);
  }
}

function isLoopback(address: string | undefined): boolean {
  return address === '::1' || address?.startsWith('127.') === true || address?.startsWith('::ffff:127.') === true;
}
