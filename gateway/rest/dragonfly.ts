import type { FastifyInstance } from 'fastify';
import type { GatewayApi } from '../app';

export async function dragonflyRoutes(_app: FastifyInstance, _gateway: GatewayApi): Promise<void> {}
