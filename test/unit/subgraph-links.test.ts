// The two links to a subgraph answer alike: what a subgraph refuses (a variable that does not coerce,
// an unsigned principal, a domain error) comes back as the same GraphQL errors whether the gateway
// calls it in process (embedded) or over HTTP (scaled), whatever HTTP status the subgraph gave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, type GraphQLSchema } from 'graphql';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { InProcessLink, RemoteLink, graphqlAnswerOf, type SubgraphLink } from '../../gateway/subgraph-links';
import { createLogger } from '../../subgraphs/common/log';
import { DomainError } from '../../subgraphs/common/errors';
import { PrincipalSigner, type Principal } from '../../subgraphs/common/principal';
import { SubgraphRuntime, type BaseContext } from '../../subgraphs/common/subgraph';
import { serveSubgraph } from '../../subgraphs/common/subgraph-server';
import type { Database } from '../../subgraphs/common/db';

const SECRET = 'a'.repeat(40);
const alice: Principal = { kind: 'user', accountId: 'alice' };

function tinySchema(): GraphQLSchema {
  const schema = buildSchema('type Query { double(n: Int!): Int! refused: Int }');
  const query = schema.getQueryType()!.getFields();
  query.double.resolve = (_root, args: { n: number }) => args.n * 2;
  query.refused.resolve = () => {
    throw new DomainError('NOT_FOUND', 'Thing not found');
  };
  return schema;
}

const noDatabase = { ping: async () => {}, close: async () => {} } as unknown as Database;

const ask = (source: GraphQLDataSource, query: string, variables: Record<string, unknown> = {}) =>
  source.process({
    kind: 'incoming operation',
    request: { query, variables },
    incomingRequestContext: {},
    context: { principal: alice, requestId: 'r1' },
  } as unknown as GraphQLDataSourceProcessOptions);

/** What a caller can tell apart: the data and each error's message and code. */
const seen = (result: { data?: unknown; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) => ({
  data: result.data ?? null,
  errors: (result.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code })),
});

describe('subgraph links: in process and over HTTP answer alike', () => {
  const logger = createLogger({ LOG_LEVEL: 'silent' }, 'unit');
  let runtime: SubgraphRuntime<BaseContext>;
  let server: Awaited<ReturnType<typeof serveSubgraph>>;
  const links: Record<'inProcess' | 'remote' | 'inProcessUnsigned' | 'remoteUnsigned', SubgraphLink> = {} as never;

  beforeAll(async () => {
    const signer = new PrincipalSigner(SECRET);
    runtime = new SubgraphRuntime(
      { name: 'accounts', schema: tinySchema(), db: noDatabase, createContext: (principal, requestId) => ({ principal, requestId }) },
      signer,
      logger.log,
    );
    await runtime.start();
    server = await serveSubgraph(runtime, { host: '127.0.0.1', port: 0 });
    // A gateway with another secret: its principal header does not verify.
    const stranger = new PrincipalSigner('b'.repeat(40));
    links.inProcess = new InProcessLink(runtime, signer);
    links.remote = new RemoteLink('accounts', server.url, signer);
    links.inProcessUnsigned = new InProcessLink(runtime, stranger);
    links.remoteUnsigned = new RemoteLink('accounts', server.url, stranger);
  });
  afterAll(async () => {
    await Promise.allSettled(Object.values(links).map((link) => link.close()));
    await server?.close();
    await runtime?.stop();
    await logger.close();
  });

  it('a variable that does not coerce (the subgraph answers HTTP 400) is the same BAD_USER_INPUT, not a gateway error', async () => {
    const raw = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-df-principal': new PrincipalSigner(SECRET).sign(alice) },
      body: JSON.stringify({ query: 'query ($n: Int!) { double(n: $n) }', variables: { n: 'two' } }),
    });
    expect(raw.status).toBe(400); // what this test is about: a non-2xx answer with GraphQL errors
    const [inProcess, remote] = await Promise.all(
      [links.inProcess, links.remote].map((link) => ask(link.dataSource, 'query ($n: Int!) { double(n: $n) }', { n: 'two' })),
    );
    expect(seen(inProcess).errors[0]?.code).toBe('BAD_USER_INPUT');
    expect(seen(remote)).toEqual(seen(inProcess));
  });

  it('an unsigned principal (the subgraph answers HTTP 401) is the same UNAUTHENTICATED on both', async () => {
    const [inProcess, remote] = await Promise.all(
      [links.inProcessUnsigned, links.remoteUnsigned].map((link) => ask(link.dataSource, '{ double(n: 1) }')),
    );
    expect(seen(inProcess).errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    expect(seen(remote)).toEqual(seen(inProcess));
  });

  it('a domain error (HTTP 200) and a success are the same on both, through the data source and execute()', async () => {
    for (const query of ['{ refused }', '{ double(n: 21) }']) {
      const [inProcess, remote] = await Promise.all([links.inProcess, links.remote].map((link) => ask(link.dataSource, query)));
      expect(seen(remote), query).toEqual(seen(inProcess));
      const [direct, remoteDirect] = await Promise.all([links.inProcess, links.remote].map((link) => link.execute(query, {}, alice, 'r2')));
      expect(seen(remoteDirect), query).toEqual(seen(direct));
    }
    const [direct, remoteDirect] = await Promise.all(
      [links.inProcess, links.remote].map((link) => link.execute('query ($n: Int!) { double(n: $n) }', { n: 'two' }, alice, 'r3')),
    );
    expect(seen(remoteDirect)).toEqual(seen(direct));
    expect(seen(direct).errors[0]?.code).toBe('BAD_USER_INPUT');
  });

  it("an answer that is not GraphQL (a proxy's 502 page) stays a failure", async () => {
    const proxy = http.createServer((_request, response) =>
      response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'),
    );
    const jsonProxy = http.createServer((_request, response) =>
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}'),
    );
    await Promise.all([proxy, jsonProxy].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()))));
    try {
      for (const s of [proxy, jsonProxy]) {
        const link = new RemoteLink(
          'accounts',
          `http://127.0.0.1:${(s.address() as AddressInfo).port}/graphql`,
          new PrincipalSigner(SECRET),
        );
        await expect(ask(link.dataSource, '{ double(n: 1) }')).rejects.toThrow(/50[23]/);
        await expect(link.execute('{ double(n: 1) }', {}, alice, 'r4')).rejects.toThrow(/HTTP 50[23]/);
        await link.close();
      }
    } finally {
      await Promise.all([proxy, jsonProxy].map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  it('graphqlAnswerOf: a GraphQL body is one with data or a non-empty errors list', () => {
    expect(graphqlAnswerOf('{"errors":[{"message":"x"}]}')).toEqual({ errors: [{ message: 'x' }] });
    expect(graphqlAnswerOf('{"data":null,"errors":[{"message":"x"}]}')).not.toBeNull();
    expect(graphqlAnswerOf('{"data":{"a":1}}')).toEqual({ data: { a: 1 } });
    for (const text of [
      '',
      'nope',
      '[]',
      'null',
      '{"errors":[]}',
      '{"errors":"x"}',
      '{"status":"unavailable"}',
      '{"statusCode":413,"error":"Payload Too Large"}',
    ])
      expect(graphqlAnswerOf(text), text).toBeNull();
  });
});
