// Sign-in throttling, owned by accounts so that every surface (GraphQL, REST) shares one counter:
// AUTH_RATE_LIMIT_PER_ADDRESS attempts a minute per client address and route (signup, login), and
// LOGIN_RATE_LIMIT_PER_EMAIL login attempts a minute per email. Counted before any password work,
// so a throttled login is refused even with the right password. Fixed one-minute windows, in memory
// in one process, in Redis when BUS_URL is set (every accounts process shares them). Like the other
// limits it fails open if Redis is down: the platform is degraded then, and logins still need the
// password.
import { DomainError } from '../common/errors';
import type { Logger } from '../common/log';
import type { KeyHasher } from '../common/secrets';
import { MemoryRateLimiter, RedisRateLimiter, type RateDecision, type RateLimiter } from '../../gateway/rate-limit';

const WINDOW_MS = 60_000;

export function authRateLimits(env: Readonly<Record<string, string | undefined>>) {
  const int = (value: string | undefined, fallback: number) =>
    value && /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : fallback;
  return { perAddress: int(env.AUTH_RATE_LIMIT_PER_ADDRESS, 30), loginPerEmail: int(env.LOGIN_RATE_LIMIT_PER_EMAIL, 10) };
}

export class SignInThrottle {
  private readonly limits: ReturnType<typeof authRateLimits>;

  constructor(
    private readonly limiter: RateLimiter,
    env: Readonly<Record<string, string | undefined>>,
    /** Emails are counted under a keyed hash: no address book in Redis. */
    private readonly hasher: KeyHasher,
    private readonly log?: Logger,
  ) {
    this.limits = authRateLimits(env);
  }

  static create(options: {
    busUrl?: string;
    busNamespace: string;
    env: Readonly<Record<string, string | undefined>>;
    now: () => number;
    hasher: KeyHasher;
    log?: Logger;
  }): SignInThrottle {
    const limiter = options.busUrl
      ? new RedisRateLimiter(options.busUrl, options.busNamespace, options.now)
      : new MemoryRateLimiter(options.now);
    return new SignInThrottle(limiter, options.env, options.hasher, options.log);
  }

  /** Counts one attempt; throws RATE_LIMITED (with `retryAfterSeconds`) when any counter is over. */
  async attempt(route: 'login' | 'signup', clientAddress: string | undefined, email: unknown): Promise<void> {
    const hits: Promise<RateDecision>[] = [];
    if (clientAddress) hits.push(this.hit(`auth:${route}:addr:${clientAddress}`, this.limits.perAddress));
    if (route === 'login' && typeof email === 'string' && email.length <= 320) {
      hits.push(this.hit(`auth:login:email:${this.hasher.hash(email.trim().toLowerCase())}`, this.limits.loginPerEmail));
    }
    const refused = (await Promise.all(hits)).filter((decision) => !decision.allowed);
    if (refused.length === 0) return;
    const retryAfterSeconds = Math.max(1, ...refused.map((decision) => decision.retryAfterSeconds));
    throw new DomainError('RATE_LIMITED', `Too many ${route} attempts; try again later`, { retryAfterSeconds });
  }

  private async hit(key: string, limit: number): Promise<RateDecision> {
    try {
      return await this.limiter.hit(key, limit, WINDOW_MS);
    } catch (error) {
      this.log?.warn({ err: { message: (error as Error).message } }, 'sign-in throttle unavailable; attempt let through');
      return { allowed: true, retryAfterSeconds: 0, remaining: 0 };
    }
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}
