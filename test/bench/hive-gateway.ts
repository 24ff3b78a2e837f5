// Hive Gateway (@graphql-hive/gateway) in front of the product's own subgraph processes, for the
// federation benchmark (federation.ts). Same supergraph as our gateway (schema/supergraph.graphql,
// with the subgraph locations from ACCOUNTS_URL … NETWORK_URL), and the same per-fetch work our
// gateway does to reach a subgraph at all: the caller's principal (here always anonymous, the
// benchmark sends no credential), HMAC-signed with the platform secret, in `x-df-principal`,
// plus an `x-request-id` per incoming request.
//
//   PLATFORM_SECRET=… ACCOUNTS_URL=… MARKET_URL=… BILLING_URL=… NETWORK_URL=… PORT=0 [FETCH_COUNTS_PATH=…] \
//     node --import tsx test/bench/hive-gateway.ts
//
// Offline: no usage reporting, no CDN/registry supergraph, no GraphiQL or landing page (nothing is
// fetched from outside at run time).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway';
import { SUBGRAPH_NAMES } from '../../subgraphs/common/config';
import { ANONYMOUS, PRINCIPAL_HEADER, PrincipalSigner, REQUEST_ID_HEADER } from '../../subgraphs/common/principal';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** GET here: fetches made to each subgraph so far (federation.ts checks which subgraphs a query reached). */
const FETCH_COUNTS_PATH = process.env.FETCH_COUNTS_PATH ?? '/_bench/subgraph-fetches';

const secret = process.env.PLATFORM_SECRET;
if (!secret) throw new Error('PLATFORM_SECRET is required');
const signer = new PrincipalSigner(secret);
const locations = Object.fromEntries(
  SUBGRAPH_NAMES.map((name) => {
    const url = process.env[`${name.toUpperCase()}_URL`];
    if (!url) throw new Error(`${name.toUpperCase()}_URL is required`);
    return [name, url];
  }),
);
const subgraphOf = new Map(Object.entries(locations).map(([name, url]) => [url, name]));
const fetches: Record<string, number> = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0]));

// One request id per incoming request (as our gateway sends), shared by that request's fetches.
// onFetch runs for each fetch that really leaves (after Hive's in-flight deduplication).
const requestIds = new WeakMap<object, string>();
const signPrincipal: GatewayPlugin = {
  onFetch({ url, options, setOptions, context }) {
    const name = subgraphOf.get(url);
    if (name) fetches[name]++;
    let requestId = requestIds.get(context);
    if (!requestId) requestIds.set(context, (requestId = randomUUID()));
    setOptions({ ...options, headers: { ...options.headers, [PRINCIPAL_HEADER]: signer.sign(ANONYMOUS), [REQUEST_ID_HEADER]: requestId } });
  },
};

const gateway = createGatewayRuntime({
  supergraph: readFileSync(path.join(ROOT, 'schema/supergraph.graphql'), 'utf8'),
  // The supergraph names `local://<subgraph>`; point each subgraph at its process.
  // HIVE_DEDUPLICATE_INFLIGHT=false turns off Hive's in-flight deduplication of identical subgraph
  // fetches (on by default; the principal header added below is not part of its key).
  transportEntries: Object.fromEntries(
    Object.entries(locations).map(([name, location]) => [
      name,
      { location, options: { deduplicateInflightRequests: process.env.HIVE_DEDUPLICATE_INFLIGHT !== 'false' } },
    ]),
  ),
  plugins: () => [signPrincipal],
  logging: 'warn',
  graphiql: false,
  landingPage: false,
});

const server = createServer((request, response) => {
  if (request.url === FETCH_COUNTS_PATH) {
    response.writeHead(200, { 'content-type': 'application/json' });
    return response.end(JSON.stringify(fetches));
  }
  return gateway(request, response);
});
const host = process.env.HOST || '127.0.0.1';
server.listen(Number(process.env.PORT ?? 0), host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`hive gateway ready at http://${host.includes(':') ? `[${host}]` : host}:${port}/graphql`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close();
    void Promise.resolve(gateway.dispose()).finally(() => process.exit(0));
  });
}
