// Prometheus metrics of the gateway process at GET /metrics (text exposition format), in its own
// prom-client Registry. Labels are route templates (`/api/keys/:id`), methods, status codes,
// subgraph names and error codes only — never a raw URL, header or body, so no credential can
// reach the output. `METRICS_TOKEN` (via config.env), when set, is required as a Bearer token.
//
//   http_requests_total{method,route,status}            http_request_duration_seconds{…} (histogram)
//   graphql_operations_total{type}                      graphql_refused_total{code} (parse/validation/limits)
//   graphql_subgraph_fetches_total{subgraph,outcome}    graphql_subgraph_fetch_duration_seconds{subgraph}
//   inference_budget_refusals_total{reason}             usage_events_pending
//   graphql_subscriptions_open                          graphql_subscription_upstreams
//   graphql_subscription_events_dropped_total           graphql_subscription_subscribers_dropped_total
//   plus prom-client's default process/Node.js metrics.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  usagePending(): number;
  subscriptionStats(): { open: number; upstreams: number; groups: number; droppedEvents: number; droppingSubscribers: number };
  /** Inference requests in flight now, and those shed with a 503 so far. */
  dataPlaneLoad?(): { inFlight: number; shed: number };
}

/** OpenAI's envelope names the code `code`; Anthropic's (POST /v1/messages) `details.error_code`. */
const BUDGET_CODES = /"(?:error_)?code":"(key_limit_exceeded|group_budget_exceeded)"/;

export class GatewayMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources | null = null;
  private readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations resolved by the gateway (HTTP and internal), by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly refused = new Counter({
    name: 'graphql_refused_total',
    help: 'GraphQL requests refused before execution, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly fetches = new Counter({
    name: 'graphql_subgraph_fetches_total',
    help: 'Fetches from the gateway to a subgraph, by outcome',
    labelNames: ['subgraph', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly fetchDuration = new Histogram({
    name: 'graphql_subgraph_fetch_duration_seconds',
    help: 'Latency of subgraph fetches',
    labelNames: ['subgraph'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly budgetRefusals = new Counter({
    name: 'inference_budget_refusals_total',
    help: 'Inference calls refused by a key limit or a group budget',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    new Gauge({
      name: 'usage_events_pending',
      help: 'Usage events not yet applied by billing',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.usagePending() ?? 0);
      },
    });
    new Gauge({
      name: 'graphql_subscriptions_open',
      help: 'Open graphql-ws subscriptions',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.subscriptionStats().open ?? 0);
      },
    });
    new Gauge({
      name: 'graphql_subscription_upstreams',
      help: 'Upstream subscriptions shared by subscribers',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.subscriptionStats().upstreams ?? 0);
      },
    });
    new Gauge({
      name: 'inference_requests_in_flight',
      help: 'Inference requests being served by this process',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.dataPlaneLoad?.().inFlight ?? 0);
      },
    });
    // A gauge of a monotonic count (the shedder owns it): reads as a counter.
    new Gauge({
      name: 'inference_requests_shed_total',
      help: 'Inference requests answered 503 at once because this process was overloaded',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.dataPlaneLoad?.().shed ?? 0);
      },
    });
    // Gauges of monotonic counts the subscription server owns: they read as counters.
    new Gauge({
      name: 'graphql_subscription_events_dropped_total',
      help: 'Events dropped (oldest first) from the queues of subscribers that fell behind; each such subscriber is told the count on its next event',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.subscriptionStats().droppedEvents ?? 0);
      },
    });
    new Gauge({
      name: 'graphql_subscription_subscribers_dropped_total',
      help: 'Subscriptions that fell behind and lost at least one event',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.subscriptionStats().droppingSubscribers ?? 0);
      },
    });
    new Gauge({
      name: 'graphql_subscription_groups',
      help: 'Subscriber groups sharing one resolution per event (same selection and viewer)',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.subscriptionStats().groups ?? 0);
      },
    });
  }

  /** The gauges' sources exist once the gateway is listening. */
  bind(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** HTTP counters (every route, 404s as `unmatched`), budget refusals, and GET /metrics. */
  register(app: FastifyInstance, token?: string): void {
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode === 402 && request.url.startsWith('/v1/') && typeof payload === 'string') {
        const match = BUDGET_CODES.exec(payload);
        if (match) this.budgetRefusals.inc({ reason: match[1] });
      }
      return payload;
    });
    app.addHook('onResponse', async (request, reply) => {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, reply.elapsedTime / 1000);
    });
    app.get('/metrics', async (request, reply) => {
      if (token && !bearerMatches(request.headers.authorization, token)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: { code: 'UNAUTHENTICATED', message: 'Bearer <METRICS_TOKEN> is required' } });
      }
      return reply.type(this.registry.contentType).send(await this.registry.metrics());
    });
  }

  /** Counts operations by type and refusals (parse, validation, limits) by code. */
  apolloPlugin(): ApolloServerPlugin {
    const metrics = this;
    return {
      async requestDidStart() {
        return {
          async didResolveOperation(context) {
            metrics.operations.inc({ type: context.operation?.operation ?? 'unknown' });
          },
          async didEncounterErrors(context) {
            if (context.operation) return; // refused before resolution only
            for (const error of context.errors) {
              const code = error.extensions?.code;
              if (code === 'GRAPHQL_PARSE_FAILED' || code === 'GRAPHQL_VALIDATION_FAILED') {
                metrics.refused.inc({ code });
                break;
              }
            }
          },
        };
      },
    };
  }

  /** Wraps a subgraph data source to count and time its fetches. */
  instrument(subgraph: string, dataSource: GraphQLDataSource): GraphQLDataSource {
    return {
      process: async (options: GraphQLDataSourceProcessOptions) => {
        const stop = this.fetchDuration.startTimer({ subgraph });
        try {
          const response = await dataSource.process(options);
          this.fetches.inc({ subgraph, outcome: response.errors?.length ? 'error' : 'ok' });
          return response;
        } catch (error) {
          this.fetches.inc({ subgraph, outcome: 'failure' });
          throw error;
        } finally {
          stop();
        }
      },
    };
  }
}

/**
 * Production refuses to start without METRICS_TOKEN: /metrics names routes, subgraphs and error
 * rates, which are nobody's business on a public port. The message says what to set.
 */
export function metricsTokenProblem(config: { nodeEnv: string; env: Readonly<Record<string, string | undefined>> }): string | null {
  if (config.nodeEnv !== 'production' || config.env.METRICS_TOKEN) return null;
  return 'METRICS_TOKEN is required when NODE_ENV=production: GET /metrics answers only with "authorization: Bearer <METRICS_TOKEN>". Set METRICS_TOKEN to a long random value.';
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
