// What the REST adapters get from the gateway: the federated graph to run operations on, the
// credential check, the rate limiter and the config. Its own module so that the adapters and the
// app that assembles them do not import each other.
import type { FormattedExecutionResult } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Config } from '../subgraphs/common/config';
import type { Principal } from '../subgraphs/common/principal';
import type { Authenticator } from './auth';
import type { RateLimiter } from './rate-limit';

/**
 * Runs an operation through the federated graph as `principal`. `clientAddress`: the caller's
 * address, asserted to the subgraphs with the principal (sign-in throttling).
 */
export type RunOperation = <TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  principal: Principal,
  requestId?: string,
  clientAddress?: string,
) => Promise<FormattedExecutionResult<TResult>>;

export interface GatewayApi {
  run: RunOperation;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  config: Config;
}
