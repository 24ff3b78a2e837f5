import type { FastifyInstance } from 'fastify';
import type { GatewayApi } from '../app';

export async function dgridRoutes(_app: FastifyInstance, _gateway: GatewayApi): Promise<void> {}
