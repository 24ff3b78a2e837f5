// The pages' only way to the API: the supergraph at /graphql, over HTTP for queries and mutations and
// graphql-ws for subscriptions, with the typed documents codegen builds from schema/operations. The
// console is the reference client of those operations; it has no endpoint of its own.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';

const SESSION_KEY = 'dragonfly.session';

export function sessionToken(): string | null {
  return localStorage.getItem(SESSION_KEY);
}

export function setSessionToken(token: string | null): void {
  if (token === null) localStorage.removeItem(SESSION_KEY);
  else localStorage.setItem(SESSION_KEY, token);
}

/** One GraphQL error as the API sent it: its message is what the forms show. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

const printed = new WeakMap<object, string>();
function source(document: TypedDocumentNode<unknown, unknown>): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

export async function request<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] | [TVariables] : [TVariables]
): Promise<TResult> {
  const token = sessionToken();
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: source(document as TypedDocumentNode<unknown, unknown>), variables: variables ?? {} }),
  });
  let body: { data?: TResult | null; errors?: GraphQLErrorBody[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The API answered ${response.status} without a GraphQL body`, undefined, undefined);
  }
  const first = body.errors?.[0];
  if (first) {
    if (first.extensions?.code === 'UNAUTHENTICATED') setSessionToken(null);
    throw new ApiError(first.message, first.extensions?.code, first.extensions?.field as string | undefined);
  }
  if (body.data === undefined || body.data === null)
    throw new ApiError(`The API answered ${response.status} with no data`, undefined, undefined);
  return body.data;
}

let wsClient: Client | undefined;
let wsToken: string | null = null;

function subscriptionClient(): Client {
  const token = sessionToken();
  if (wsClient && wsToken === token) return wsClient;
  void wsClient?.dispose();
  wsToken = token;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  wsClient = createClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
  return wsClient;
}

/** Subscribes; returns the function that ends the subscription. */
export function subscribe<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  onData: (data: TResult) => void,
  onError?: (error: ApiError) => void,
): () => void {
  return subscriptionClient().subscribe<TResult>(
    { query: source(document as TypedDocumentNode<unknown, unknown>), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length)
          onError?.(new ApiError(result.errors[0].message, result.errors[0].extensions?.code as string | undefined, undefined));
        else if (result.data) onData(result.data as TResult);
      },
      error: (error) =>
        onError?.(new ApiError(error instanceof Error ? error.message : 'The live connection closed', undefined, undefined)),
      complete: () => undefined,
    },
  );
}
