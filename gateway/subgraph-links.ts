// How the gateway reaches each subgraph. Embedded: the subgraph's runtime in this process (no
// HTTP hop, still federated: query plans and _entities). Scaled: HTTP with keep-alive (undici's
// pooled global fetch) and graphql-ws for subscriptions. Both carry the same signed principal.
import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { SubgraphName } from '../subgraphs/common/config';
import { PRINCIPAL_HEADER, REQUEST_ID_HEADER, type Principal, type PrincipalSigner } from '../subgraphs/common/principal';
import type { SubgraphRuntime } from '../subgraphs/common/subgraph';
import type { GatewayContext } from './context';

/** Upstream subscriptions are shared by many subscribers, so they run as the platform itself. */
export const SUBSCRIPTION_PRINCIPAL: Principal = { kind: 'service', name: 'gateway-subscriptions' };

export interface SubgraphLink {
  readonly name: SubgraphName;
  readonly dataSource: GraphQLDataSource;
  subscribe(query: string, variables: Record<string, unknown>): AsyncIterableIterator<ExecutionResult>;
  /** A direct call to this subgraph, bypassing the query planner: the gateway's own look-ups. */
  execute(query: string, variables: Record<string, unknown>, principal: Principal, requestId: string): Promise<FormattedExecutionResult>;
  ready(): Promise<void>;
  close(): Promise<void>;
}

function principalOf(context: Partial<GatewayContext> | undefined): Principal {
  return context?.principal ?? { kind: 'service', name: 'gateway' };
}

export class InProcessLink implements SubgraphLink {
  readonly name: SubgraphName;
  readonly dataSource: GraphQLDataSource;

  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly signer: PrincipalSigner,
  ) {
    this.name = runtime.name;
    this.dataSource = {
      process: async ({ request, context }: GraphQLDataSourceProcessOptions<Partial<GatewayContext>>): Promise<GatewayGraphQLResponse> => {
        const headers = {
          [PRINCIPAL_HEADER]: signer.sign(principalOf(context), context?.clientAddress),
          [REQUEST_ID_HEADER]: context?.requestId ?? 'internal',
        };
        const result = await runtime.execute(
          { query: request.query, variables: request.variables, operationName: request.operationName },
          headers,
        );
        return result as GatewayGraphQLResponse;
      },
    };
  }

  subscribe(query: string, variables: Record<string, unknown>): AsyncIterableIterator<ExecutionResult> {
    const headers = { [PRINCIPAL_HEADER]: this.signer.sign(SUBSCRIPTION_PRINCIPAL) };
    const pending = this.runtime.subscribe(query, variables, headers);
    let iterator: AsyncIterator<ExecutionResult> | null = null;
    let done = false;
    return {
      async next() {
        if (done) return { value: undefined, done: true };
        if (!iterator) {
          const source = await pending;
          if (!(Symbol.asyncIterator in source)) {
            done = true;
            return { value: source as ExecutionResult, done: false };
          }
          iterator = (source as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
        }
        return iterator.next();
      },
      async return() {
        done = true;
        const source =
          iterator ??
          (await pending
            .then((s) => (Symbol.asyncIterator in s ? (s as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]() : null))
            .catch(() => null));
        await source?.return?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  execute(query: string, variables: Record<string, unknown>, principal: Principal, requestId: string): Promise<FormattedExecutionResult> {
    return this.runtime.execute({ query, variables }, { [PRINCIPAL_HEADER]: this.signer.sign(principal), [REQUEST_ID_HEADER]: requestId });
  }

  ready(): Promise<void> {
    return this.runtime.ready();
  }

  async close(): Promise<void> {}
}

/**
 * The GraphQL answer in a subgraph's HTTP response, whatever its status, or null when the body is
 * not one (not JSON, or neither `data` nor `errors`). GraphQL over HTTP gives a request refused
 * before execution (a variable that does not coerce, an invalid document) a 400, and a context that
 * cannot be built (an unsigned principal) its error's status; in process the same errors come back
 * as a plain result. Whichever the status, they are the same errors.
 */
export function graphqlAnswerOf(text: string): FormattedExecutionResult | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (errors !== undefined && !(Array.isArray(errors) && errors.length > 0)) return null;
  if (errors === undefined && (data === undefined || typeof data !== 'object')) return null;
  return body as FormattedExecutionResult;
}

/**
 * The gateway's data source turns any non-2xx answer into an internal error of its own (REST: a
 * 500). A non-2xx answer that carries GraphQL errors is handed on as the GraphQL answer it is, so
 * scaled mode answers what embedded mode answers; anything else is left as the failure it was.
 */
async function fetchKeepingGraphQLErrors(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (response.ok || !/json/.test(response.headers.get('content-type') ?? '')) return response;
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(text, { status: graphqlAnswerOf(text)?.errors ? 200 : response.status, statusText: response.statusText, headers });
}

class SignedRemoteDataSource extends RemoteGraphQLDataSource<Partial<GatewayContext>> {
  constructor(
    url: string,
    private readonly signer: PrincipalSigner,
  ) {
    super({ url, fetcher: fetchKeepingGraphQLErrors as never });
  }
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Partial<GatewayContext>>): void {
    request.http?.headers.set(PRINCIPAL_HEADER, this.signer.sign(principalOf(context), context?.clientAddress));
    request.http?.headers.set(REQUEST_ID_HEADER, context?.requestId ?? 'internal');
  }
}

export class RemoteLink implements SubgraphLink {
  readonly dataSource: GraphQLDataSource;
  private readonly ws: Client;

  constructor(
    readonly name: SubgraphName,
    private readonly url: string,
    private readonly signer: PrincipalSigner,
  ) {
    this.dataSource = new SignedRemoteDataSource(url, signer);
    this.ws = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      connectionParams: () => ({ principal: signer.sign(SUBSCRIPTION_PRINCIPAL) }),
    });
  }

  subscribe(query: string, variables: Record<string, unknown>): AsyncIterableIterator<ExecutionResult> {
    return this.ws.iterate({ query, variables }) as AsyncIterableIterator<ExecutionResult>;
  }

  async execute(
    query: string,
    variables: Record<string, unknown>,
    principal: Principal,
    requestId: string,
  ): Promise<FormattedExecutionResult> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: this.signer.sign(principal), [REQUEST_ID_HEADER]: requestId },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(10_000),
    });
    // The same rule as the data source: GraphQL errors are an answer at any status, anything else a failure.
    const answer = graphqlAnswerOf(await response.text());
    if (!answer) throw new Error(`${this.name} answered HTTP ${response.status} without a GraphQL body`);
    return answer;
  }

  async ready(): Promise<void> {
    const response = await fetch(new URL('/readyz', this.url), { signal: AbortSignal.timeout(2000) });
    if (!response.ok) throw new Error(`${this.name} is not ready`);
  }

  async close(): Promise<void> {
    await this.ws.dispose();
  }
}

/**
 * Identical queries to a subgraph that are in flight at the same time, for the same principal,
 * are sent once and the answer shared (what Apollo Router and Hive Gateway do by default): a
 * burst of dashboard viewers costs the subgraph one execution. Mutations are never shared. A
 * caller never gets an object another caller holds (the gateway merges into what it gets), so
 * when an answer is shared each caller gets its own copy.
 */
export function shareInFlightQueries(source: GraphQLDataSource): GraphQLDataSource {
  const inFlight = new Map<string, { answer: Promise<GatewayGraphQLResponse>; joiners: number }>();
  const copy = (response: GatewayGraphQLResponse): GatewayGraphQLResponse => ({
    ...response,
    ...structuredClone({ data: response.data, errors: response.errors, extensions: response.extensions }),
  });
  return {
    process(options) {
      const query = options.request.query ?? '';
      if (!/^\s*(query\b|\{)/.test(query)) return source.process(options);
      const key = JSON.stringify([principalOf(options.context as Partial<GatewayContext>), query, options.request.variables ?? null]);
      const shared = inFlight.get(key);
      if (shared) {
        shared.joiners++;
        return shared.answer.then(copy);
      }
      const entry = { joiners: 0, answer: null as unknown as Promise<GatewayGraphQLResponse> };
      // Leaves the map the moment it settles, before any caller sees it: later callers send anew.
      entry.answer = source.process(options).finally(() => inFlight.delete(key));
      inFlight.set(key, entry);
      return entry.answer.then((response) => (entry.joiners > 0 ? copy(response) : response));
    },
  };
}

/**
 * An `_entities` fetch carries one representation per occurrence in the parent result (a job
 * feed of 50 jobs from 10 listings sends 50); the subgraph resolves each distinct one once here
 * and the answer is spread back to every position (each its own copy: the gateway merges into
 * what it gets). Errors on a distinct entity are repeated at each of its positions.
 */
export function dedupeRepresentations(source: GraphQLDataSource): GraphQLDataSource {
  return {
    async process(options) {
      const representations = options.request.variables?.representations;
      if (!Array.isArray(representations) || representations.length < 2) return source.process(options);
      const slotOf = new Map<string, number>();
      const distinct: unknown[] = [];
      const slots = representations.map((representation) => {
        const key = JSON.stringify(representation);
        let slot = slotOf.get(key);
        if (slot === undefined) {
          slot = distinct.push(representation) - 1;
          slotOf.set(key, slot);
        }
        return slot;
      });
      if (distinct.length === representations.length) return source.process(options);
      const response = await source.process({
        ...options,
        request: { ...options.request, variables: { ...options.request.variables, representations: distinct } },
      } as typeof options);
      const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
      const seen = new Set<number>();
      const spread = Array.isArray(entities)
        ? slots.map((slot) => {
            const first = !seen.has(slot);
            seen.add(slot);
            return first ? entities[slot] : structuredClone(entities[slot]);
          })
        : entities;
      const positionsOf = (slot: number) => slots.flatMap((s, index) => (s === slot ? [index] : []));
      const errors = response.errors?.flatMap((error) => {
        const [root, slot, ...rest] = error.path ?? [];
        if (root !== '_entities' || typeof slot !== 'number') return [error];
        return positionsOf(slot).map((index) => ({ ...error, path: ['_entities', index, ...rest] }));
      });
      return { ...response, ...(response.data ? { data: { ...response.data, _entities: spread } } : {}), ...(errors ? { errors } : {}) };
    },
  };
}
