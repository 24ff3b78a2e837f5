// The gateway process's public face: the federated GraphQL API at /graphql (HTTP and graphql-ws),
// the REST adapters, and the health routes, on one fastify server.
process.env.APOLLO_TELEMETRY_DISABLED = '1'; // before @apollo/gateway is created: no calls home

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequest } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { GraphQLError, OperationTypeNode, buildASTSchema, parse, visit, type DocumentNode, type ExecutionResult } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { SCHEMA_DIR } from '../schema/paths';
import type { Config, SubgraphName } from '../subgraphs/common/config';
import { isDomainError, logInternalErrors } from '../subgraphs/common/errors';
import { SessionTokens } from '../subgraphs/common/jwt';
import type { Principal } from '../subgraphs/common/principal';
import { Authenticator, SessionStateCache, sessionCacheTtlMs, type ManagementCredential, type SessionState } from './auth';
import { KeyHasher } from '../subgraphs/common/secrets';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from './rate-limit';
import type { GatewayContext } from './context';
import { formatGatewayError } from './errors';
import { dedupeRepresentations, shareInFlightQueries, type SubgraphLink } from './subgraph-links';
import { attachSubscriptionServer, clientAddressResolver, trustProxyFunction, type SubscriptionLimits } from './subscriptions';
import { registerRestRoutes } from './rest';
import type { GatewayApi, RunOperation } from './gateway-api';
import { registerWebPages } from './web-pages';
import { registerOpenApi } from './openapi';
import { startDataPlane } from './inference';
import type { ReputationSource } from './inference/reputation';
import { graphqlLimits, graphqlLimitsFromEnv, registerResponseSizeLimit, withoutSuggestions } from './graphql-limits';
import { containsNul, httpSecurityFromConfig, registerHttpSecurity } from './http-security';
import { restFrameworkErrors } from './rest/envelopes';
import { GatewayMetrics } from './metrics';
import type { EventBus } from '../subgraphs/common/bus';
import { systemClock, type Clock } from '../subgraphs/common/runtime';
import { fastifyLogging, logRequests, type Logger } from '../subgraphs/common/log';

export interface GatewayOptions {
  config: Config;
  links: SubgraphLink[];
  bus: EventBus;
  clock?: Clock;
  /** The router's uniform source in [0, 1) (Math.random unless a test fixes it). */
  random?: () => number;
  subscriptionLimits?: Partial<SubscriptionLimits>;
  /** Extra readiness checks (the bus). */
  readiness?: (() => Promise<void>)[];
  log: Logger;
}

export interface GatewayRoute {
  method: string;
  path: string;
}

export interface Gateway {
  app: FastifyInstance;
  url: string;
  /** Every route the app serves (HEAD twins of GET included). */
  routes: readonly GatewayRoute[];
  run: RunOperation;
  authenticator: Authenticator;
  subscriptionStats(): { open: number; upstreams: number; groups: number; droppedEvents: number; droppingSubscribers: number };
  /** Usage events not yet applied by billing. */
  usagePending(): number;
  /** The data plane's reputation table (network's live-traffic figures, refreshed in the background). */
  reputation: ReputationSource & { refresh(): Promise<void>; fetches: number };
  close(): Promise<void>;
}

/**
 * SUBSCRIPTIONS_MAX_PER_ACCOUNT (its former name SUBSCRIPTIONS_MAX_PER_CREDENTIAL still read),
 * SUBSCRIPTIONS_MAX_TOTAL, SUBSCRIPTIONS_ANONYMOUS_RESERVE_PERCENT, WS_MAX_CONNECTIONS_PER_ADDRESS,
 * SUBSCRIPTION_QUEUE_SIZE (defaults in subscriptions.ts).
 */
function subscriptionLimitsFrom(env: Readonly<Record<string, string | undefined>>): Partial<SubscriptionLimits> {
  const read = (name: string) => (env[name] && /^\d+$/.test(env[name]!) ? Number(env[name]) : undefined);
  const limits: Partial<SubscriptionLimits> = {};
  const perAccount = read('SUBSCRIPTIONS_MAX_PER_ACCOUNT') ?? read('SUBSCRIPTIONS_MAX_PER_CREDENTIAL');
  const total = read('SUBSCRIPTIONS_MAX_TOTAL');
  const reserve = read('SUBSCRIPTIONS_ANONYMOUS_RESERVE_PERCENT');
  const connections = read('WS_MAX_CONNECTIONS_PER_ADDRESS');
  const queue = read('SUBSCRIPTION_QUEUE_SIZE');
  if (perAccount) limits.maxPerAccount = perAccount;
  if (total) limits.maxTotal = total;
  if (reserve !== undefined) limits.anonymousReservePercent = Math.min(100, reserve);
  if (connections) limits.maxConnectionsPerAddress = connections;
  if (queue) limits.queueSize = queue;
  return limits;
}

export const newRequestId = () => `req_${randomUUID().replaceAll('-', '')}`;

const GATEWAY_PRINCIPAL: Principal = { kind: 'service', name: 'gateway' };
const MANAGEMENT_CREDENTIAL_QUERY =
  'query ($keyHash: String!) { managementCredential(keyHash: $keyHash) { keyId accountId scope enabled } }';
const SESSION_STATE_QUERY = 'query ($accountId: ID!) { sessionState(accountId: $accountId) { accountId generation revokedSessionIds } }';

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const supergraphSdl = readFileSync(path.join(SCHEMA_DIR, 'supergraph.graphql'), 'utf8');
  const apiSchema = buildASTSchema(parse(readFileSync(path.join(SCHEMA_DIR, 'api.graphql'), 'utf8')));
  const links = new Map<SubgraphName, SubgraphLink>(options.links.map((link) => [link.name, link]));
  const accounts = links.get('accounts');
  // Dashboard tokens are checked against each account's cached session state (exists, generation,
  // signed-out tokens): no database read per request; accounts' events drop entries at once.
  const sessionStates = new SessionStateCache(
    async (accountId) => {
      if (!accounts) return null;
      const result = await accounts.execute(SESSION_STATE_QUERY, { accountId }, GATEWAY_PRINCIPAL, newRequestId());
      if (result.errors?.length) throw new Error('session state look-up failed');
      return (result.data as { sessionState: SessionState | null }).sessionState;
    },
    { ttlMs: sessionCacheTtlMs(config.env) },
  );
  const unfollowSessions = sessionStates.follow(options.bus);
  const authenticator = new Authenticator(
    new SessionTokens(config.platformSecret, config.jwtTtlSeconds),
    new KeyHasher(config.platformSecret),
    async (keyHash) => {
      if (!accounts) return null;
      const result = await accounts.execute(MANAGEMENT_CREDENTIAL_QUERY, { keyHash }, GATEWAY_PRINCIPAL, newRequestId());
      if (result.errors?.length) throw new Error('management key look-up failed');
      return (result.data as { managementCredential: ManagementCredential | null }).managementCredential;
    },
    sessionStates,
  );
  const rateLimiter: RateLimiter = config.busUrl ? new RedisRateLimiter(config.busUrl, config.busNamespace) : new MemoryRateLimiter();
  const production = config.nodeEnv === 'production';
  const metrics = new GatewayMetrics(); // Hardening (issue 8): GET /metrics, see metrics.ts

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      const link = links.get(name as SubgraphName);
      if (!link) throw new Error(`no link to subgraph ${name}`);
      return metrics.instrument(name, shareInFlightQueries(dedupeRepresentations(link.dataSource)));
    },
  });

  const app = Fastify({
    ...fastifyLogging(options.log),
    // Always our own id: it is the usage event's idempotency key, so a caller never chooses it.
    genReqId: newRequestId,
    bodyLimit: 1024 * 1024,
    // TRUST_PROXY (off by default): behind a reverse proxy, request.ip is the client's address, so
    // IP rules and per-address limits see the client rather than the proxy.
    trustProxy: trustProxyFunction(config.trustProxy),
    return503OnClosing: true,
    // Bad %-escapes and over-long path parameters, which fastify answers before any route or hook:
    // in the surface's own envelope.
    frameworkErrors: restFrameworkErrors,
  });
  // Every route as registered (method + full path), for the route-by-route tests and the API
  // reference's coverage check: fastify has no route list of its own but its printed tree.
  const routes: GatewayRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, path: route.url });
  });
  logRequests(app);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Errors fastify raises itself (bad JSON, oversize bodies) on /graphql answer in GraphQL's shape;
  // each REST surface sets its own envelope in its own scope.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const clientError = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!clientError) request.log.error({ err: error }, 'unhandled error');
    const status = clientError ? error.statusCode! : 500;
    const message = clientError
      ? /JSON/i.test(error.message)
        ? 'Request body is not valid JSON'
        : error.message
      : 'Internal server error';
    return reply.code(status).send({ errors: [{ message, extensions: { code: clientError ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }] });
  });
  // Hardening (issue 8): security headers and CORS on every route; registered before any route.
  registerHttpSecurity(app, httpSecurityFromConfig(config));
  metrics.register(app, config.env.METRICS_TOKEN || undefined);
  // GET /openapi.json and /docs, from the schemas of the routes registered after it (all of them).
  await registerOpenApi(app);
  // The overview, the console and (development) the GraphQL IDE in place of Apollo's CDN sandbox.
  await registerWebPages(app, { production });
  // Hardening (issue 8): depth/alias/root-field/cost rules and a token cap, refused before
  // execution over HTTP and graphql-ws alike (see graphql-limits.ts for the settings).
  const edgeLimits = graphqlLimits(graphqlLimitsFromEnv(config.env));
  registerResponseSizeLimit(app, '/graphql', edgeLimits.limits.maxResponseBytes);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Production: no schema hints in any error (validation, variables, subgraphs), as introspection is off.
    formatError: production
      ? (formatted, error) => {
          const out = formatGatewayError(formatted, error);
          return { ...out, message: withoutSuggestions(out.message) };
        }
      : formatGatewayError,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    introspection: !production,
    parseOptions: edgeLimits.parseOptions,
    validationRules: edgeLimits.validationRules,
    allowBatchedHttpRequests: false, // explicit: a JSON array body is a 400
    csrfPrevention: true, // explicit: GET / simple POST need a preflight-forcing header
    plugins: [
      fastifyApolloDrainPlugin(app),
      metrics.apolloPlugin(),
      logInternalErrors(options.log),
      refuseUnexecutable(),
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  const contextFor = async (authorization: string | undefined, requestId: string, clientAddress: string): Promise<GatewayContext> => {
    try {
      return { principal: await authenticator.fromAuthorization(authorization), requestId, clientAddress };
    } catch (error) {
      if (isDomainError(error)) {
        throw new GraphQLError(error.message, {
          extensions: { code: error.code, http: { status: error.code === 'FORBIDDEN' ? 403 : 401 } },
        });
      }
      throw error;
    }
  };

  await app.register(fastifyApollo(apollo), {
    context: async (request) => contextFor(request.headers.authorization, String(request.id), request.ip),
  });

  async function run<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    principal: Principal,
    requestId = newRequestId(),
    clientAddress?: string,
  ) {
    const response = await apollo.executeOperation<TResult>(
      { query: document as DocumentNode, variables: variables as GraphQLRequest['variables'] },
      { contextValue: { principal, requestId, ...(clientAddress ? { clientAddress } : {}) } },
    );
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    return response.body.singleResult;
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = await Promise.allSettled([
      ...[...links.values()].map((link) => link.ready()),
      ...(options.readiness ?? []).map((check) => check()),
    ]);
    const failed = [...links.keys(), ...(options.readiness ?? []).map((_, i) => `dependency-${i}`)].filter(
      (_, i) => checks[i].status === 'rejected',
    );
    if (failed.length > 0) return reply.code(503).send({ status: 'unavailable', failing: failed });
    return { status: 'ready', subgraphs: [...links.keys()] };
  });

  const gatewayApi: GatewayApi = { run, authenticator, rateLimiter, config };
  await registerRestRoutes(app, gatewayApi);
  const dataPlane = startDataPlane(app, {
    config,
    bus: options.bus,
    clock: options.clock ?? systemClock,
    random: options.random,
    links,
    newRequestId,
    log: options.log,
    query: async (document, variables, principal) => {
      const response = await apollo.executeOperation(
        { query: document, variables },
        { contextValue: { principal, requestId: newRequestId() } },
      );
      if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
      return response.body.singleResult;
    },
  });

  const address = await app.listen({ host: config.host, port: config.port });
  const subscriptions = attachSubscriptionServer({
    server: app.server,
    path: '/graphql',
    apiSchema,
    supergraphSdl,
    links,
    limits: { ...subscriptionLimitsFrom(config.env), ...options.subscriptionLimits },
    clientAddress: clientAddressResolver(config.trustProxy),
    parseOptions: edgeLimits.parseOptions,
    validationRules: edgeLimits.validationRules,
    hideSuggestions: production,
    newRequestId,
    log: options.log,
    revocations: (onRevoked) => {
      const sessions = options.bus.subscribe('account.sessions-revoked', (event) => onRevoked(event.accountId));
      const keys = options.bus.subscribe('key.changed', (event) => {
        if (event.kind === 'management-key') onRevoked(event.accountId);
      });
      // A sign-out or a disabled management key missed while the bus was cut: check every connection.
      const gaps = options.bus.onGap(() => onRevoked(null));
      return () => {
        sessions();
        keys();
        gaps();
      };
    },
    authenticate: async (params) => {
      const value = params?.authorization ?? params?.Authorization;
      return authenticator.fromAuthorization(typeof value === 'string' ? value : undefined);
    },
    executeThroughGateway: async (document, variables, context) => {
      const response = await apollo.executeOperation({ query: document, variables }, { contextValue: context });
      if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
      return response.body.singleResult as ExecutionResult;
    },
  });

  metrics.bind({ usagePending: () => dataPlane.usage.pending, subscriptionStats: subscriptions.stats, dataPlaneLoad: dataPlane.load });

  return {
    app,
    url: address,
    routes,
    run,
    authenticator,
    subscriptionStats: subscriptions.stats,
    usagePending: () => dataPlane.usage.pending,
    reputation: dataPlane.reputation,
    close: async () => {
      unfollowSessions();
      await subscriptions.close();
      await app.close();
      await dataPlane.close();
      await apollo.stop();
      await Promise.allSettled([...links.values()].map((link) => link.close()));
      await rateLimiter.close();
    },
  };
}

/**
 * Requests Apollo would otherwise hand the gateway's executor and fail with a 500: an operation
 * that cannot be picked (several and no operationName, or a name that is none), a subscription
 * over HTTP (served over graphql-ws on the same path), NUL characters in strings or variables
 * (the stores refuse them). Each is the client's mistake: 400 before execution.
 */
function refuseUnexecutable(): ApolloServerPlugin<GatewayContext> {
  const refuse = (message: string, code: string) => new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, document }) {
          if (!operation) {
            throw refuse(
              request.operationName
                ? `Unknown operation named "${request.operationName}".`
                : 'Must provide operation name if query contains multiple operations.',
              'OPERATION_RESOLUTION_FAILURE',
            );
          }
          if (operation.operation === OperationTypeNode.SUBSCRIPTION)
            throw refuse('Subscriptions are served over graphql-ws on this path, not over HTTP', 'BAD_REQUEST');
          let nul = containsNul(request.variables ?? null);
          if (!nul) visit(document, { StringValue: (node) => void (nul ||= node.value.includes('\u0000')) });
          if (nul) throw refuse('Strings must not contain NUL characters', 'BAD_USER_INPUT');
        },
      };
    },
  };
}

/** What REST adapters get: run a typed operation, resolve credentials, count requests. */
