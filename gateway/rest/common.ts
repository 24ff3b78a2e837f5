// Small helpers every REST adapter shares: body shape checks, the rate-limit key of a principal,
// and the decision whether a route's rate limit lets a request through.
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../subgraphs/common/principal';
import type { GatewayApi } from '../gateway-api';
import type { RateDecision } from '../rate-limit';

export function asObject(body: unknown): Record<string, unknown> | null {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** The counter a principal's requests are charged to: the key itself, or the account's session. */
export function rateKey(principal: Principal, surface: string): string {
  switch (principal.kind) {
    case 'management':
    case 'buyer-key':
      return `${surface}:key:${principal.keyId}`;
    case 'user':
      return `${surface}:account:${principal.accountId}`;
    default:
      return `${surface}:${principal.kind}`;
  }
}

/** Management routes: `config.managementRateLimitPerMinute` per credential. Fails open if Redis is down. */
export async function managementRateLimit(gateway: GatewayApi, principal: Principal, surface: string): Promise<RateDecision> {
  try {
    return await gateway.rateLimiter.hit(rateKey(principal, surface), gateway.config.managementRateLimitPerMinute, 60_000);
  } catch {
    return { allowed: true, retryAfterSeconds: 0, remaining: 0 };
  }
}

/** Query-string integers: absent → fallback; present but not an integer → null (a 400). */
export function queryInt(request: FastifyRequest, name: string, fallback: number): number | null {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^-?\d{1,9}$/.test(value)) return null;
  return Number(value);
}
