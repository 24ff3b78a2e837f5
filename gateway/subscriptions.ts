// Subscriptions through a gateway that cannot execute them (@apollo/gateway refuses). For each
// client subscription the gateway:
//   1. validates it against the API schema;
//   2. forwards a subscription to the owning subgraph that selects only the entity key — shared by
//      every client with the same root field and arguments;
//   3. resolves the client's full selection for each event as a query by key through the gateway,
//      with the client's own credential, so fields owned by other subgraphs are filled in.
// Convention: a subscription field returning entity T has a root query `t(id: ID!)` returning T.
import { WebSocketServer } from 'ws';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { serveGraphQLWs } from './ws-transport';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getNamedType,
  getOperationAST,
  isObjectType,
  isNonNullType,
  parse,
  print,
  validate,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationRule,
  type VariableDefinitionNode,
  specifiedRules,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values.js';
import { BoundedQueue } from '../subgraphs/common/async-queue';
import type { SubgraphName } from '../subgraphs/common/config';
import type { Principal } from '../subgraphs/common/principal';
import type { GatewayContext } from './context';
import type { Logger } from '../subgraphs/common/log';
import type { SubgraphLink } from './subgraph-links';
import { cidrMatcher } from '../subgraphs/common/cidr';
import { withoutSuggestions } from './graphql-limits';

/** TRUST_PROXY as fastify's `trustProxy` function (false: off): a hop count, every hop, or the proxies' addresses/CIDRs. */
export function trustProxyFunction(trust: boolean | number | string[]): false | ((address: string, hop: number) => boolean) {
  if (trust === true) return () => true;
  if (typeof trust === 'number') return trust > 0 ? (_address, hop) => hop < trust : false;
  if (Array.isArray(trust) && trust.length) {
    const match = cidrMatcher(trust);
    return (address) => match(address);
  }
  return false;
}

/**
 * The client address of a request as fastify's `trustProxy` sees it (the same rule, for upgrade
 * requests, which never reach a fastify route): walk `x-forwarded-for` from the nearest hop while
 * the hop is trusted (a hop count, every hop, or addresses/CIDRs of the proxies).
 */
export function clientAddressResolver(trust: boolean | number | string[]): (request: IncomingMessage) => string {
  const trusted = trustProxyFunction(trust);
  return (request) => {
    const peer = request.socket.remoteAddress ?? 'unknown';
    if (!trusted) return peer;
    const header = request.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse();
    const hops = [peer, ...forwarded];
    for (let i = 0; i < hops.length - 1; i++) if (!trusted(hops[i], i)) return hops[i];
    return hops[hops.length - 1];
  };
}

export interface SubscriptionLimits {
  /** Events buffered per subscriber before the oldest are dropped. */
  queueSize: number;
  /** Open subscriptions per account, all its credentials together (anonymous viewers: per address). */
  maxPerAccount: number;
  maxTotal: number;
  /** The share of maxTotal (percent) only anonymous viewers of public feeds may fill. */
  anonymousReservePercent: number;
  /** Open WebSocket connections per client address; the next upgrade is answered 429. */
  maxConnectionsPerAddress: number;
}
export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  queueSize: 64,
  maxPerAccount: 50,
  maxTotal: 10_000,
  anonymousReservePercent: 20,
  maxConnectionsPerAddress: 20,
};

export interface SubscriptionServerOptions {
  server: Server;
  path: string;
  apiSchema: GraphQLSchema;
  supergraphSdl: string;
  links: Map<SubgraphName, SubgraphLink>;
  authenticate(connectionParams: Record<string, unknown> | undefined): Promise<Principal>;
  newRequestId(): string;
  log: Logger;
  executeThroughGateway(document: DocumentNode, variables: Record<string, unknown>, context: GatewayContext): Promise<ExecutionResult>;
  limits?: Partial<SubscriptionLimits>;
  /** The client's address of an upgrade request (TRUST_PROXY applied); default: the socket's peer. */
  clientAddress?(request: IncomingMessage): string;
  /** The gateway's edge limits (graphql-limits.ts), applied as over HTTP. */
  parseOptions?: ParseOptions;
  validationRules?: readonly ValidationRule[];
  /** Strip graphql-js's "Did you mean …?" hints from errors (production: introspection is off). */
  hideSuggestions?: boolean;
  /**
   * Tells when an account's credentials may have been revoked (a sign-out, a management key
   * disabled): its open connections are authenticated again and closed (4403) if refused. `null`:
   * any account's may have been (the bus lost events), so every open connection is checked.
   */
  revocations?(onRevoked: (accountId: string | null) => void): () => void;
}

/** Which subgraph owns each Subscription field, read from the supergraph's join directives. */
export function subscriptionOwners(supergraphSdl: string): Map<string, SubgraphName> {
  const document = parse(supergraphSdl);
  const graphNames = new Map<string, SubgraphName>();
  const owners = new Map<string, SubgraphName>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const directive = value.directives?.find((d) => d.name.value === 'join__graph');
        const name = directive?.arguments?.find((a) => a.name.value === 'name');
        if (name?.value.kind === Kind.STRING) graphNames.set(value.name.value, name.value.value as SubgraphName);
      }
    }
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || definition.name.value !== 'Subscription') continue;
    const typeGraphs = (definition.directives ?? [])
      .filter((d) => d.name.value === 'join__type')
      .map((d) => d.arguments?.find((a) => a.name.value === 'graph')?.value)
      .flatMap((v) => (v?.kind === Kind.ENUM ? [v.value] : []));
    for (const field of definition.fields ?? []) {
      const fieldGraph = field.directives
        ?.find((d) => d.name.value === 'join__field')
        ?.arguments?.find((a) => a.name.value === 'graph')?.value;
      const graph = fieldGraph?.kind === Kind.ENUM ? fieldGraph.value : typeGraphs[0];
      const name = graph ? graphNames.get(graph) : undefined;
      if (name) owners.set(field.name.value, name);
    }
  }
  return owners;
}

/** For each entity type, the root query that fetches one by `id`. */
function keyQueries(apiSchema: GraphQLSchema): Map<string, string> {
  const map = new Map<string, string>();
  for (const field of Object.values(apiSchema.getQueryType()?.getFields() ?? {})) {
    const [arg, ...rest] = field.args;
    if (!arg || rest.length > 0 || arg.name !== 'id' || !isNonNullType(arg.type) || getNamedType(arg.type).name !== 'ID') continue;
    const type = getNamedType(field.type);
    if (isObjectType(type) && !map.has(type.name)) map.set(type.name, field.name);
  }
  return map;
}

interface UpstreamFeed {
  listeners: Set<(key: string) => void>;
  close(): void;
}

interface FanOutMember {
  queue: BoundedQueue<ExecutionResult>;
  holdWrites?: () => void;
}

interface FanOutGroup {
  members: Set<FanOutMember>;
  close(): void;
}

/**
 * Corks a connection's socket until the end of this event-loop turn: the frames of a burst of
 * events (graphql-ws sends each in a later microtask) leave in one write instead of one each.
 * On the job feed at scale, writes were a third of the gateway's CPU.
 */
function writeBatcher(socket: Socket | undefined): () => void {
  let held = false;
  return () => {
    if (held || !socket || socket.destroyed) return;
    held = true;
    socket.cork();
    setImmediate(() => {
      held = false;
      socket.uncork();
    });
  };
}

export function attachSubscriptionServer(options: SubscriptionServerOptions) {
  const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.limits };
  const owners = subscriptionOwners(options.supergraphSdl);
  const byKey = keyQueries(options.apiSchema);
  const upstreams = new Map<string, UpstreamFeed>();
  const openPerHolder = new Map<string, number>();
  let openTotal = 0;
  let openByAccounts = 0;
  // Events dropped (drop-oldest) because a subscriber fell behind, and how many subscribers did.
  let droppedEvents = 0;
  let droppingSubscribers = 0;
  // Accounts (and the platform) together never take the anonymous viewers' reserved share.
  const accountShare = Math.max(0, limits.maxTotal - Math.floor((limits.maxTotal * limits.anonymousReservePercent) / 100));
  const connectionsPerAddress = new Map<string, number>();
  const addressOf = options.clientAddress ?? ((request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown');

  /** One upstream subscription per distinct (subgraph, field, arguments); closed with its last listener. */
  function listen(subgraph: SubgraphName, query: string, field: string, listener: (key: string) => void): () => void {
    const id = `${subgraph}\n${query}`;
    let feed = upstreams.get(id);
    if (!feed) {
      const link = options.links.get(subgraph);
      if (!link) throw new GraphQLError(`subgraph ${subgraph} is not reachable`);
      const iterator = link.subscribe(query, {});
      const listeners = new Set<(key: string) => void>();
      feed = { listeners, close: () => void iterator.return?.() };
      upstreams.set(id, feed);
      void (async () => {
        try {
          for await (const result of { [Symbol.asyncIterator]: () => iterator }) {
            const key = (result.data?.[field] as { id?: unknown } | undefined)?.id;
            if (typeof key === 'string') for (const l of listeners) l(key);
          }
        } catch (error) {
          // The upstream failed; subscribers see their stream end and may resubscribe.
          options.log.warn({ err: error, subgraph }, 'upstream subscription failed');
        } finally {
          if (upstreams.get(id) === feed) upstreams.delete(id);
        }
      })();
    }
    const current = feed;
    current.listeners.add(listener);
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size === 0) {
        upstreams.delete(id);
        current.close();
      }
    };
  }

  /**
   * Subscribers that send the same selection with the same credential (or are all anonymous)
   * form one group: each event is resolved once for the group, and the one result is handed to
   * every member's queue, in event order. The public dashboard's thousands of anonymous viewers
   * cost one query per event, and each of them only a queue push and a send.
   */
  const groups = new Map<string, FanOutGroup>();
  function join(
    groupKey: string,
    subgraph: SubgraphName,
    upstreamQuery: string,
    field: string,
    responseKey: string,
    resolve: (key: string) => Promise<ExecutionResult>,
    member: FanOutMember,
  ): () => void {
    let group = groups.get(groupKey);
    if (!group) {
      const members = new Set<FanOutMember>();
      let delivered: Promise<void> = Promise.resolve();
      const unlisten = listen(subgraph, upstreamQuery, field, (key) => {
        const result = resolve(key).catch(
          () =>
            ({
              errors: [new GraphQLError('This event could not be resolved', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
            }) as ExecutionResult,
        );
        delivered = delivered.then(async () => {
          const value = await result;
          // Not visible to this viewer (or gone): nothing to deliver.
          if (value.data?.[responseKey] == null && !value.errors?.length) return;
          for (const { queue, holdWrites } of members) {
            holdWrites?.();
            queue.push(value);
          }
        });
      });
      group = { members, close: unlisten };
      groups.set(groupKey, group);
    }
    const current = group;
    current.members.add(member);
    return () => {
      current.members.delete(member);
      if (current.members.size === 0) {
        if (groups.get(groupKey) === current) groups.delete(groupKey);
        current.close();
      }
    };
  }

  /**
   * Who a subscription counts against: the account (a JWT and every management or buyer key of it
   * together, so more credentials buy no more subscriptions), or for anonymous viewers their address.
   */
  function holderId(principal: Principal, clientAddress = 'unknown'): string {
    return principal.kind === 'anonymous'
      ? `anonymous:${clientAddress}`
      : principal.kind === 'service'
        ? `service:${principal.name}`
        : `account:${principal.accountId}`;
  }
  /** The viewer a shared result is resolved for: one per credential (what it may see), all anonymous viewers alike. */
  function viewerId(principal: Principal): string {
    return principal.kind === 'anonymous'
      ? 'anonymous'
      : principal.kind === 'service'
        ? `service:${principal.name}`
        : `${principal.kind}:${'keyId' in principal ? principal.keyId : principal.accountId}`;
  }

  /**
   * One client subscription. Not an async generator: a generator suspended on an await (no event
   * yet) cannot be returned, so closing the client would leak the upstream. The queue's
   * `return()` closes it at once.
   */
  function forward(args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
    try {
      return forwardOrThrow(args);
    } catch (error) {
      // A bad variable value, an unknown argument…: this operation's error, never the connection's.
      return once({
        errors: [
          error instanceof GraphQLError
            ? error
            : new GraphQLError('Subscription failed', { extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
        ],
      });
    }
  }

  function forwardOrThrow(args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
    const context = args.contextValue as GatewayContext;
    const operation = getOperationAST(args.document, args.operationName) as OperationDefinitionNode;
    const fields = operation.selectionSet.selections;
    if (fields.length !== 1 || fields[0].kind !== Kind.FIELD)
      return once({ errors: [new GraphQLError('A subscription selects exactly one root field')] });
    const fieldNode = fields[0] as FieldNode;
    const fieldName = fieldNode.name.value;
    const fieldDef = options.apiSchema.getSubscriptionType()?.getFields()[fieldName];
    const subgraph = owners.get(fieldName);
    const queryField = fieldDef ? byKey.get(getNamedType(fieldDef.type).name) : undefined;
    if (!fieldDef || !subgraph || !queryField) return once({ errors: [new GraphQLError(`Subscription.${fieldName} cannot be forwarded`)] });

    // Caps count per account (anonymous viewers per address); shared results are per viewer.
    const holder = holderId(context.principal, context.clientAddress);
    const viewer = viewerId(context.principal);
    const anonymous = context.principal.kind === 'anonymous';
    if (
      openTotal >= limits.maxTotal ||
      (!anonymous && openByAccounts >= accountShare) ||
      (openPerHolder.get(holder) ?? 0) >= limits.maxPerAccount
    ) {
      return once({ errors: [new GraphQLError('Too many open subscriptions', { extensions: { code: 'RATE_LIMITED' } })] });
    }

    const argumentValues = getArgumentValues(fieldDef, fieldNode, (args.variableValues ?? {}) as Record<string, unknown>);
    const upstreamQuery = printUpstreamSubscription(fieldName, fieldDef.args, argumentValues);
    const keyQuery = buildKeyQuery(args.document, operation, fieldNode, queryField);
    const responseKey = fieldNode.alias?.value ?? fieldName;
    const keyQueryText = print(keyQuery);
    const variablesText = JSON.stringify(args.variableValues ?? {});

    openTotal++;
    if (!anonymous) openByAccounts++;
    openPerHolder.set(holder, (openPerHolder.get(holder) ?? 0) + 1);
    let leave = () => {};
    // The subscriber's own bounded, drop-oldest queue is what graphql-ws iterates: closing it
    // (client complete, disconnect) leaves the group, which frees the upstream with its last member.
    const results = new BoundedQueue<ExecutionResult>(
      limits.queueSize,
      () => {
        leave();
        openTotal--;
        if (!anonymous) openByAccounts--;
        const left = (openPerHolder.get(holder) ?? 1) - 1;
        if (left > 0) openPerHolder.set(holder, left);
        else openPerHolder.delete(holder);
      },
      () => {
        if (results.dropped === 1) droppingSubscribers++;
        droppedEvents++;
      },
    );
    const principal = context.principal;
    try {
      leave = join(
        `${subgraph}\n${upstreamQuery}\n${viewer}\n${keyQueryText}\n${variablesText}`,
        subgraph,
        upstreamQuery,
        fieldName,
        responseKey,
        (key) =>
          options.executeThroughGateway(
            keyQuery,
            { ...(args.variableValues ?? {}), __key: key },
            { principal, requestId: options.newRequestId() },
          ),
        { queue: results, holdWrites: context.holdWrites },
      );
    } catch (error) {
      results.close();
      return once({ errors: [error instanceof GraphQLError ? error : new GraphQLError('Subscription failed')] });
    }
    return withDropNotices(results);
  }

  const hide = (errors: readonly GraphQLError[]): GraphQLError[] =>
    options.hideSuggestions
      ? errors.map((e) => new GraphQLError(withoutSuggestions(e.message), { nodes: e.nodes, extensions: e.extensions }))
      : [...errors];

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  /** Open connections by account, with the credential they connected with. */
  const byAccount = new Map<string, Set<{ params: Record<string, unknown> | undefined; close(): void }>>();
  const stopRevocations = options.revocations?.((revoked) => {
    const accounts = revoked === null ? [...byAccount.keys()] : byAccount.has(revoked) ? [revoked] : [];
    if (accounts.length === 0) return;
    // After the caches that the same event drops have dropped (handlers run in turn).
    setImmediate(() => {
      // One look-up per credential however many connections it holds (a gap checks them all at once).
      const verdicts = new Map<string, Promise<Principal>>();
      const verdict = (params: Record<string, unknown> | undefined) => {
        const key = JSON.stringify(params?.authorization ?? params?.Authorization ?? null);
        let pending = verdicts.get(key);
        if (!pending) verdicts.set(key, (pending = options.authenticate(params)));
        return pending;
      };
      for (const accountId of accounts) {
        for (const connection of byAccount.get(accountId) ?? []) {
          verdict(connection.params).then(
            (principal) => {
              if (principal.kind === 'anonymous' || !('accountId' in principal) || principal.accountId !== accountId) connection.close();
            },
            () => connection.close(),
          );
        }
      }
    });
  });
  const server = serveGraphQLWs<{ context?: GatewayContext }>(
    {
      onConnect: async (ctx) => {
        try {
          const principal = await options.authenticate(ctx.connectionParams);
          // The upgrade request's socket is the connection's TCP socket.
          const socket = ctx.extra.request.socket as Socket;
          ctx.extra.context = {
            principal,
            requestId: options.newRequestId(),
            clientAddress: addressOf(ctx.extra.request),
            holdWrites: writeBatcher(socket),
          };
          if ('accountId' in principal && principal.kind !== 'buyer-key') {
            const ws = (
              ctx.extra as { socket?: { close(code: number, reason: string): void; once(event: 'close', listener: () => void): void } }
            ).socket;
            if (ws) {
              const connection = { params: ctx.connectionParams, close: () => ws.close(4403, 'Forbidden') };
              let open = byAccount.get(principal.accountId);
              if (!open) byAccount.set(principal.accountId, (open = new Set()));
              open.add(connection);
              ws.once('close', () => {
                open!.delete(connection);
                if (open!.size === 0 && byAccount.get(principal.accountId) === open) byAccount.delete(principal.accountId);
              });
            }
          }
          return true;
        } catch {
          return false; // closes with 4403 Forbidden
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query, options.parseOptions);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(options.apiSchema, document, [...specifiedRules, ...(options.validationRules ?? [])]);
        if (errors.length > 0) return hide(errors);
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify the operation')];
        // Queries and mutations go over HTTP (limits, CSRF, size bound); here they are that
        // operation's error, and the connection and its other subscriptions carry on.
        if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [
            new GraphQLError('Only subscriptions are served over graphql-ws; send queries and mutations to POST /graphql', {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ];
        }
        // Variables coerced as graphql-js would (a wrong type is this operation's error; upstream
        // arguments are printed from coerced values only).
        const coerced = getVariableValues(options.apiSchema, operation.variableDefinitions ?? [], payload.variables ?? {}, {
          maxErrors: 10,
        });
        if (coerced.errors) return hide(coerced.errors);
        return {
          schema: options.apiSchema,
          document,
          operationName: payload.operationName,
          variableValues: coerced.coerced,
          contextValue: {
            principal: ctx.extra.context!.principal,
            requestId: options.newRequestId(),
            clientAddress: ctx.extra.context!.clientAddress,
            holdWrites: ctx.extra.context!.holdWrites,
          },
        };
      },
      subscribe: (args) => forward(args),
      // Never reached (onSubscribe refuses anything but subscriptions); an error, not a crash, if it were.
      execute: () => ({
        errors: [new GraphQLError('Only subscriptions are served over graphql-ws', { extensions: { code: 'BAD_REQUEST' } })],
      }),
    },
    wss,
  );

  const onUpgrade = (request: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://gateway').pathname !== options.path) return socket.destroy();
    // One address cannot hold every connection the process can keep open.
    const address = addressOf(request);
    const open = connectionsPerAddress.get(address) ?? 0;
    if (open >= limits.maxConnectionsPerAddress) {
      const body = 'Too many WebSocket connections from this address';
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nRetry-After: 60\r\n\r\n${body}`,
      );
      return;
    }
    connectionsPerAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (connectionsPerAddress.get(address) ?? 1) - 1;
      if (left > 0) connectionsPerAddress.set(address, left);
      else connectionsPerAddress.delete(address);
    });
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  options.server.on('upgrade', onUpgrade);

  return {
    stats: () => ({ open: openTotal, upstreams: upstreams.size, groups: groups.size, droppedEvents, droppingSubscribers }),
    /** Open WebSocket connections (all addresses). */
    connections: () => [...connectionsPerAddress.values()].reduce((a, b) => a + b, 0),
    close: async () => {
      stopRevocations?.();
      options.server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Going away');
      await server.dispose();
      wss.close();
      for (const feed of upstreams.values()) feed.close();
      upstreams.clear();
    },
  };
}

function once(result: ExecutionResult): AsyncIterableIterator<ExecutionResult> {
  return (async function* () {
    yield result;
  })();
}

/** `subscription { field(arg: <literal>) { id } }`: the key only. */
function printUpstreamSubscription(field: string, argDefs: readonly { name: string }[], values: Record<string, unknown>): string {
  const args = argDefs
    .filter((a) => values[a.name] !== undefined && values[a.name] !== null)
    .map((a) => `${a.name}: ${JSON.stringify(values[a.name])}`);
  return `subscription { ${field}${args.length ? `(${args.join(', ')})` : ''} { id } }`;
}

/** The client's selection as `query($__key: ID!, …its variables) { <alias>: <byKey>(id: $__key) { … } }`. */
function buildKeyQuery(document: DocumentNode, operation: OperationDefinitionNode, field: FieldNode, queryField: string): DocumentNode {
  const responseKey = field.alias?.value ?? field.name.value;
  const selection: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: queryField },
    arguments: [
      {
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: 'id' },
        value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__key' } },
      },
    ],
    directives: field.directives,
    selectionSet: field.selectionSet,
  };
  const used = new Set<string>();
  visit(selection, { Variable: (node) => void used.add(node.name.value) });
  const keyVariable: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__key' } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  const query: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: OperationTypeNode.QUERY,
    name: operation.name,
    variableDefinitions: [keyVariable, ...(operation.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value))],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [selection] },
  };
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  // Print and parse once so the document is a plain, cacheable query text for the gateway.
  return parse(print({ kind: Kind.DOCUMENT, definitions: [query, ...fragments] }));
}

/**
 * A subscriber that fell behind lost the oldest events of its queue; the next event it gets says
 * how many (`extensions.droppedEvents`), so a client knows its view has a gap and can refetch
 * rather than trust a feed with holes in it.
 */
export function withDropNotices(queue: BoundedQueue<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
  let told = 0;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      const result = await queue.next();
      if (result.done || queue.dropped === told) return result;
      const missed = queue.dropped - told;
      told = queue.dropped;
      return { done: false, value: { ...result.value, extensions: { ...result.value.extensions, droppedEvents: missed } } };
    },
    return: () => queue.return(),
    throw: (error?: unknown) => queue.throw(error),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
