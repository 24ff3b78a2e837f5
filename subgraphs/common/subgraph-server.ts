// A subgraph as its own process (scaled mode): Apollo Server on fastify for queries, graphql-ws on
// the same path for subscriptions, /healthz and /readyz. Every request needs the gateway's signed
// principal: HTTP in the header, WebSocket in connectionParams.
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyApollo from '@as-integrations/fastify';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ExecutionArgs } from 'graphql';
import { randomUUID } from 'node:crypto';
import { PRINCIPAL_HEADER, REQUEST_ID_HEADER } from './principal';
import { fastifyLogging, logRequests, REQUEST_ID_SHAPE } from './log';
import type { BaseContext, SubgraphRuntime } from './subgraph';

export async function serveSubgraph<C extends BaseContext>(
  runtime: SubgraphRuntime<C>,
  options: { host: string; port: number },
): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  const app = Fastify({
    ...fastifyLogging(runtime.log),
    // The gateway's request id (x-request-id) is this request's id here too: one id across processes.
    genReqId: (request) => {
      const id = request.headers[REQUEST_ID_HEADER];
      return typeof id === 'string' && REQUEST_ID_SHAPE.test(id) ? id : `sub_${randomUUID().replaceAll('-', '')}`;
    },
    bodyLimit: 4 * 1024 * 1024,
  });
  logRequests(app);
  await app.register(fastifyApollo(runtime.apollo), {
    context: async (request) => runtime.contextFromHeaders(request.headers),
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await runtime.ready();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  const wss = new WebSocketServer({ noServer: true });
  const wsCleanup = useServer<{ principal?: string; requestId?: string }, { context?: C }>(
    {
      schema: runtime.definition.schema,
      onConnect: (ctx) => {
        try {
          ctx.extra.context = runtime.contextFromHeaders({
            [PRINCIPAL_HEADER]: ctx.connectionParams?.principal,
            [REQUEST_ID_HEADER]: ctx.connectionParams?.requestId,
          });
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      context: (ctx) => ctx.extra.context as unknown as ExecutionArgs['contextValue'],
    },
    wss,
  );
  app.server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/graphql') return socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  const address = await app.listen({ host: options.host, port: options.port });
  return {
    app,
    url: `${address}/graphql`,
    close: async () => {
      await wsCleanup.dispose();
      wss.close();
      await app.close();
    },
  };
}
