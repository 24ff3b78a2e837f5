// What every subgraph is at run time, whichever process hosts it: a federated schema on its own
// Apollo Server, its own database, and a context built only from the gateway's signed principal.
// The gateway calls `execute` in process (embedded) or the same thing over HTTP (scaled).
import { ApolloServer, type GraphQLRequest } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, parse, subscribe, validate, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import type { SubgraphName } from './config';
import type { Database } from './db';
import { formatGraphQLError, logInternalErrors } from './errors';
import type { Logger } from './log';
import { PRINCIPAL_HEADER, REQUEST_ID_HEADER, type Principal, type PrincipalSigner } from './principal';

export interface BaseContext {
  principal: Principal;
  requestId: string;
}

/** What the gateway asserted along with the principal (signed with it). */
export interface RequestFacts {
  /** The caller's address as the gateway saw it; absent for the gateway's own calls. */
  clientAddress?: string;
}

export interface SubgraphDefinition<C extends BaseContext> {
  name: SubgraphName;
  schema: GraphQLSchema;
  db: Database;
  createContext(principal: Principal, requestId: string, facts?: RequestFacts): C;
  /** Background work owned by the subgraph (bus consumers, schedules). */
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export type Headers = Record<string, string | string[] | undefined>;

export class SubgraphRuntime<C extends BaseContext = BaseContext> {
  readonly name: SubgraphName;
  readonly apollo: ApolloServer<C>;
  /** This subgraph's logger; each request's lines add its request id. */
  readonly log: Logger;

  constructor(
    readonly definition: SubgraphDefinition<C>,
    private readonly signer: PrincipalSigner,
    log: Logger,
  ) {
    this.name = definition.name;
    this.log = log.child({ subgraph: definition.name });
    this.apollo = new ApolloServer<C>({
      schema: definition.schema,
      formatError: formatGraphQLError,
      includeStacktraceInErrorResponses: false,
      // Subgraphs are only reached through the gateway; the gateway owns the public API's edge rules.
      introspection: false,
      // No Apollo usage reporting here, so no per-field trace to build.
      plugins: [ApolloServerPluginInlineTraceDisabled(), logInternalErrors(this.log)],
    });
  }

  get db(): Database {
    return this.definition.db;
  }

  async start(): Promise<void> {
    await this.apollo.start();
    await this.definition.start?.();
  }

  async stop(): Promise<void> {
    await this.definition.stop?.();
    await this.apollo.stop();
    await this.definition.db.close();
  }

  /** The only way a context is made: from the gateway's signed principal header. */
  contextFromHeaders(headers: Headers): C {
    const assertion = this.signer.verifyAssertion(headers[PRINCIPAL_HEADER]);
    if (!assertion) {
      throw new GraphQLError('This service answers the gateway only', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    const requestId = typeof headers[REQUEST_ID_HEADER] === 'string' ? (headers[REQUEST_ID_HEADER] as string) : 'internal';
    return this.definition.createContext(assertion.principal, requestId, { clientAddress: assertion.clientAddress });
  }

  async execute(request: GraphQLRequest, headers: Headers): Promise<FormattedExecutionResult> {
    let contextValue: C;
    try {
      contextValue = this.contextFromHeaders(headers);
    } catch (error) {
      return { errors: [formatGraphQLError((error as GraphQLError).toJSON(), error)] };
    }
    const response = await this.apollo.executeOperation(request, { contextValue });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not used between gateway and subgraphs');
    return response.body.singleResult;
  }

  /** An upstream subscription for the gateway (embedded mode), built from the same signed header. */
  async subscribe(
    query: string,
    variables: Record<string, unknown>,
    headers: Headers,
  ): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
    const contextValue = this.contextFromHeaders(headers);
    const document = parse(query);
    const errors = validate(this.definition.schema, document);
    if (errors.length > 0) return { errors };
    return subscribe({ schema: this.definition.schema, document, variableValues: variables, contextValue });
  }

  async ready(): Promise<void> {
    await this.definition.db.ping();
  }
}
