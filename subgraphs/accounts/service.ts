// The accounts domain rules: identity, sessions and buyer keys. Resolvers and REST adapters call
// these; nothing else decides who may see or change an account's credentials.
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { EventBus } from '../common/bus';
import type { Clock, IdGenerator } from '../common/runtime';
import type { SessionTokens } from '../common/jwt';
import { accountOf, type Principal } from '../common/principal';
import { badInput, conflict, notFound, unauthenticated, DomainError } from '../common/errors';
import { Account, SIGNED_IN } from './entities/Account';
import { ApiKey, ApiKeyStatus } from './entities/ApiKey';
import { hashPassword, verifyPassword } from './passwords';
import { generateBuyerKey, keyPrefix, maskKey, BUYER_KEY_PREFIX, type KeyHasher } from './keys';

export interface AccountsDeps {
  clock: Clock;
  ids: IdGenerator;
  bus: EventBus;
  sessions: SessionTokens;
  keyHasher: KeyHasher;
  scryptCost: number;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;
const MAX_NAME = 100;
/** A hash computed for unknown emails, so that login takes as long whether or not the email exists. */
let dummyHash: Promise<string> | null = null;

export class AccountService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: AccountsDeps,
  ) {}

  async signup(input: { email: string; password: string; name?: string | null }): Promise<{ token: string; account: Account }> {
    const email = normaliseEmail(input.email);
    if (typeof input.password !== 'string' || input.password.length < MIN_PASSWORD || input.password.length > MAX_PASSWORD) {
      throw badInput(`password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`, { field: 'password' });
    }
    const name = (input.name ?? email.split('@')[0]).trim();
    if (name.length === 0 || name.length > MAX_NAME) throw badInput(`name must be 1 to ${MAX_NAME} characters`, { field: 'name' });
    if (await this.em.count(Account, { email })) throw conflict('An account with this email already exists');

    const account = this.em.create(Account, {
      id: this.deps.ids.newId(),
      email,
      name,
      passwordHash: await hashPassword(input.password, this.deps.scryptCost),
      createdAt: this.deps.clock.now(),
    });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict('An account with this email already exists');
      throw error;
    }
    return this.session(account);
  }

  async login(input: { email: string; password: string }): Promise<{ token: string; account: Account }> {
    const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
    const account = email ? await this.em.findOne(Account, { email }, { populate: ['passwordHash'] }) : null;
    if (!account) {
      dummyHash ??= hashPassword('not-a-real-password', this.deps.scryptCost);
      await verifyPassword(String(input.password ?? ''), await dummyHash);
      throw unauthenticated('Invalid email or password');
    }
    if (!(await verifyPassword(String(input.password ?? ''), account.passwordHash))) throw unauthenticated('Invalid email or password');
    return this.session(account);
  }

  private async session(account: Account): Promise<{ token: string; account: Account }> {
    account[SIGNED_IN] = true;
    return { token: await this.deps.sessions.issue(account.id), account };
  }

  async me(principal: Principal): Promise<Account> {
    const accountId = requireAccount(principal);
    const account = await this.em.findOne(Account, { id: accountId });
    if (!account) throw unauthenticated('The account of this session no longer exists');
    return account;
  }

  async createApiKey(principal: Principal, input: { name?: string | null }): Promise<{ apiKey: ApiKey; rawKey: string }> {
    const accountId = requireAccount(principal);
    const name = (input.name ?? 'default').trim();
    if (name.length === 0 || name.length > MAX_NAME) throw badInput(`name must be 1 to ${MAX_NAME} characters`, { field: 'name' });
    const rawKey = generateBuyerKey();
    const apiKey = this.em.create(ApiKey, {
      id: this.deps.ids.newId(),
      accountId,
      name,
      keyHash: this.deps.keyHasher.hash(rawKey),
      prefix: keyPrefix(rawKey),
      preview: maskKey(rawKey, BUYER_KEY_PREFIX.length),
      status: ApiKeyStatus.ACTIVE,
      createdAt: this.deps.clock.now(),
    });
    await this.em.flush();
    await this.deps.bus.publish('key.changed', { keyId: apiKey.id, accountId, change: 'created' });
    return { apiKey, rawKey };
  }

  async listApiKeys(principal: Principal): Promise<ApiKey[]> {
    const accountId = requireAccount(principal);
    return this.em.find(ApiKey, { accountId, status: { $ne: ApiKeyStatus.REVOKED } }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  async getApiKey(principal: Principal, id: string): Promise<ApiKey> {
    const accountId = requireAccount(principal);
    const key = await this.em.findOne(ApiKey, { id, accountId });
    if (!key) throw notFound('API key');
    return key;
  }
}

export function requireAccount(principal: Principal): string {
  const accountId = accountOf(principal);
  if (!accountId) throw unauthenticated();
  if (principal.kind === 'buyer-key') throw new DomainError('FORBIDDEN', 'A buyer key can only call inference routes');
  return accountId;
}

function normaliseEmail(value: unknown): string {
  const email = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('email must be a valid email address', { field: 'email' });
  return email;
}
