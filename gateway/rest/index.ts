// One adapter per documented REST surface, each in its own fastify scope so that its error
// envelope applies to its own routes only. The routes' schemas are documentation (GET /openapi.json):
// each scope keeps its own checks and answers, see openapi-schemas.ts.
import type { FastifyInstance } from 'fastify';
import type { GatewayApi } from '../gateway-api';
import { dragonflyAuthRoutes } from './dragonfly-auth';
import { dragonflyRoutes } from './dragonfly';
import { dragonflyMoneyRoutes } from './dragonfly-money';
import { dragonflySpendLogRoutes } from './dragonfly-spend-log';
import { dgridRoutes } from './dgrid';
import { naapRoutes } from './naap';
import { dragonflyMarketRoutes } from './dragonfly-market';
import { naapModelRoutes } from './naap-models';
import { naapOAuthRoutes } from './naap-oauth';
import { naapDashboardRoutes } from './naap-dashboard';
import { jwksRoutes } from './jwks';
import { SURFACE_PREFIXES, restNotFound } from './envelopes';
import { documentationOnly } from './openapi-schemas';

/** An adapter's scope: schemas that document only, then its routes. */
const adapter = (routes: (scope: FastifyInstance) => Promise<void> | void) => async (scope: FastifyInstance) => {
  documentationOnly(scope);
  await routes(scope);
};

export async function registerRestRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  await app.register(adapter(async (scope) => dragonflyAuthRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => dragonflyRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => dragonflyMoneyRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => dragonflySpendLogRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => (await import('./dragonfly-disputes')).dragonflyDisputeRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => dgridRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => naapRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => dragonflyMarketRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => naapModelRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => naapOAuthRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => naapDashboardRoutes(scope, gateway)));
  await app.register(adapter(async (scope) => jwksRoutes(scope, gateway)));
  // A method or path no route serves, under a surface's prefix (`PUT /api/keys`,
  // `/api/v1/developer/nope`): a 404 in that surface's envelope, not fastify's own body.
  // fastify parses the body before it finds no route; a body it refuses there (415, bad JSON) is
  // still a request for no route.
  for (const [prefix] of SURFACE_PREFIXES) {
    await app.register(
      async (scope) => {
        scope.setErrorHandler((_error, request, reply) => restNotFound(request, reply));
        scope.setNotFoundHandler(restNotFound);
      },
      { prefix },
    );
  }
}
