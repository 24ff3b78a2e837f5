// Identity and sessions, and projects (every account has a default one).
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { raw } from '@mikro-orm/knex';
import { badInput, conflict, DomainError, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { Account, SIGNED_IN } from '../entities/Account';
import { Project } from '../entities/Project';
import { RevokedSession } from '../entities/RevokedSession';
import { hashPassword, verifyPassword } from '../passwords';
import { validNewPassword } from '../password-policy';
import { requireAccount, requireDashboardUser, requireService } from './access';
import type { AccountsDeps } from './deps';
import { validId, validName } from './validation';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const DEFAULT_PROJECT_NAME = 'Default';
/**
 * Signed-out tokens an account may hold at once; past it, signing out one session signs out all of
 * them (a generation bump), so the list every gateway caches stays small.
 */
export const MAX_REVOKED_SESSIONS = 200;

/** The public display name of an account that gave none: from its id, never from its email. */
export function defaultDisplayName(accountId: string): string {
  return `Account ${accountId.replaceAll('-', '').slice(0, 8)}`;
}

/** What the gateway caches per account to check a dashboard token without a database read. */
export interface SessionState {
  accountId: string;
  generation: number;
  revokedSessionIds: string[];
}
/** A hash computed for unknown emails, so that login takes as long whether or not the email exists. */
let dummyHash: Promise<string> | null = null;

export class AccountService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: AccountsDeps,
  ) {}

  async signup(
    input: { email: string; password: string; name?: string | null },
    clientAddress?: string,
  ): Promise<{ token: string; account: Account }> {
    await this.deps.throttle.attempt('signup', clientAddress, undefined);
    const email = normaliseEmail(input.email);
    const given = input.name === undefined || input.name === null ? null : validName(input.name);
    const password = await validNewPassword(input.password, [email, email.split('@')[0], given ?? '']);
    if (await this.em.count(Account, { email })) throw conflict('An account with this email already exists');

    const now = this.deps.clock.now();
    const id = this.deps.ids.newId();
    // The name is public (listings, the job feed): without one, never the email's local part.
    const name = given ?? defaultDisplayName(id);
    const account = this.em.create(Account, {
      id,
      email,
      name,
      passwordHash: await hashPassword(password, this.deps.scryptCost),
      createdAt: now,
      sessionGeneration: 0,
    });
    this.em.create(Project, {
      id: this.deps.ids.newId(),
      accountId: account.id,
      name: DEFAULT_PROJECT_NAME,
      isDefault: true,
      createdAt: now,
    });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict('An account with this email already exists');
      throw error;
    }
    await this.deps.bus.publish('account.created', { accountId: account.id, createdAt: now.toISOString() });
    return this.session(account);
  }

  async login(input: { email: string; password: string }, clientAddress?: string): Promise<{ token: string; account: Account }> {
    await this.deps.throttle.attempt('login', clientAddress, input.email);
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
    return { token: await this.deps.sessions.issue(account.id, account.sessionGeneration ?? 0), account };
  }

  /** Signs out the dashboard token this request came with. */
  async logout(principal: Principal): Promise<boolean> {
    const accountId = requireDashboardUser(principal);
    const sessionId = principal.kind === 'user' ? principal.sessionId : undefined;
    if (!sessionId) throw new DomainError('FORBIDDEN', 'Only a dashboard session can be signed out');
    const now = this.deps.clock.now();
    await this.em.nativeDelete(RevokedSession, { accountId, expiresAt: { $lte: now } });
    if ((await this.em.count(RevokedSession, { accountId })) >= MAX_REVOKED_SESSIONS) return this.logoutEverywhere(principal);
    if (!(await this.em.count(RevokedSession, { sessionId }))) {
      // The token ends by itself at the latest one lifetime from now; the row is not needed after.
      this.em.create(RevokedSession, {
        sessionId,
        accountId,
        expiresAt: new Date(now.getTime() + this.deps.sessions.ttlSeconds * 1000),
        revokedAt: now,
      });
      await this.em.flush();
    }
    await this.deps.bus.publish('account.sessions-revoked', { accountId, change: 'logout' });
    return true;
  }

  /** Signs out every dashboard token of the account, this one included: the generation moves on. */
  async logoutEverywhere(principal: Principal): Promise<boolean> {
    const accountId = requireDashboardUser(principal);
    const account = await this.em.findOne(Account, { id: accountId });
    if (!account) throw unauthenticated('The account of this credential no longer exists');
    await this.em.nativeUpdate(Account, { id: accountId }, { sessionGeneration: raw('session_generation + 1') } as never);
    // Older generations are refused wholesale: single revocations of them are moot.
    await this.em.nativeDelete(RevokedSession, { accountId });
    await this.deps.bus.publish('account.sessions-revoked', { accountId, change: 'logout-all' });
    return true;
  }

  /** For the gateway: what a dashboard token of this account must match; null when the account is gone. */
  async sessionState(principal: Principal, accountId: string): Promise<SessionState | null> {
    requireService(principal);
    const account = await this.em.findOne(Account, { id: validId(accountId, 'accountId') }, { fields: ['id', 'sessionGeneration'] });
    if (!account) return null;
    const revoked = await this.em.find(
      RevokedSession,
      { accountId: account.id, expiresAt: { $gt: this.deps.clock.now() } },
      { fields: ['sessionId'], limit: MAX_REVOKED_SESSIONS },
    );
    return { accountId: account.id, generation: account.sessionGeneration ?? 0, revokedSessionIds: revoked.map((row) => row.sessionId) };
  }

  async me(principal: Principal): Promise<Account> {
    const accountId = requireAccount(principal);
    const account = await this.em.findOne(Account, { id: accountId });
    if (!account) throw unauthenticated('The account of this credential no longer exists');
    return account;
  }

  async listProjects(principal: Principal): Promise<Project[]> {
    const accountId = requireDashboardUser(principal);
    return this.em.find(Project, { accountId }, { orderBy: { isDefault: 'desc', createdAt: 'asc', id: 'asc' } });
  }

  async createProject(principal: Principal, input: { name: string }): Promise<Project> {
    const accountId = requireDashboardUser(principal);
    const name = validName(input.name);
    // NaaP answers a duplicate name with 400, not 409: the name is a bad input for this account.
    if (await this.em.count(Project, { accountId, name })) throw badInput(`A project named "${name}" already exists`, { field: 'name' });
    const max = this.deps.accountLimits.projects;
    if ((await this.em.count(Project, { accountId })) >= max)
      throw new DomainError('QUOTA_EXCEEDED', `An account can have at most ${max} projects; delete one first`);
    const project = this.em.create(Project, {
      id: this.deps.ids.newId(),
      accountId,
      name,
      isDefault: false,
      createdAt: this.deps.clock.now(),
    });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        throw badInput(`A project named "${name}" already exists`, { field: 'name' });
      throw error;
    }
    return project;
  }
}

function normaliseEmail(value: unknown): string {
  const email = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('email must be a valid email address', { field: 'email' });
  return email;
}
