// GET /.well-known/jwks.json: the public keys of signed request receipts, public. The gateway
// derives them from the platform secret as billing does (subgraphs/common/receipt-keys.ts): every
// version from 1 to RECEIPT_KEY_VERSION, so receipts signed before a rotation still verify.
import type { FastifyInstance } from 'fastify';
import { ReceiptKeyring } from '../../subgraphs/common/receipt-keys';
import type { GatewayApi } from '../gateway-api';
import * as oa from './openapi-schemas';

/** Seconds verifiers may cache the key set: a rotation is seen within this long. */
export const JWKS_MAX_AGE_SECONDS = 300;

export function jwksRoutes(app: FastifyInstance, gateway: GatewayApi): void {
  const body = new ReceiptKeyring(gateway.config.platformSecret, gateway.config.receiptKeyVersion).jwksJson();
  app.get(
    '/.well-known/jwks.json',
    {
      schema: oa.surfaceOperations(
        'Dragonfly',
        'DragonflyError',
        [],
      )({
        operationId: 'receiptKeys',
        summary: 'Public keys of signed request receipts (JWKS)',
        description: `Verify the receipt of GET /api/usage/requests/{id}. Every key version is listed; cache for ${JWKS_MAX_AGE_SECONDS} s.`,
        ok: oa.object(
          { keys: oa.array(oa.object({ kty: oa.str(), crv: oa.str(), x: oa.str(), kid: oa.str(), alg: oa.str(), use: oa.str() })) },
          ['keys'],
        ),
      }),
    },
    (request, reply) => {
      // Public keys: any origin may read them (a simple GET, no preflight).
      if (request.headers.origin) reply.header('access-control-allow-origin', '*');
      return reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).type('application/json; charset=utf-8').send(body);
    },
  );
}
