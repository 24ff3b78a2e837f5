// Identity and sessions, and projects (every account has a default one).
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { badInput, conflict, unauthenticated } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { Account, SIGNED_IN } from '../entities/Account';
import { Project } from '../entities/Project';
import { hashPassword, verifyPassword } from '../passwords';
import { requireAccount, requireDashboardUser } from './access';
import type { AccountsDeps } from './deps';
import { validName } from './validation';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;
export const DEFAULT_PROJECT_NAME = 'Default';
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
    const name = validName(input.name ?? email.split('@')[0]);
    if (await this.em.count(Account, { email })) throw conflict('An account with this email already exists');

    const now = this.deps.clock.now();
    const account = this.em.create(Account, { id: this.deps.ids.newId(), email, name, passwordHash: await hashPassword(input.password, this.deps.scryptCost), createdAt: now });
    this.em.create(Project, { id: this.deps.ids.newId(), accountId: account.id, name: DEFAULT_PROJECT_NAME, isDefault: true, createdAt: now });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict('An account with this email already exists');
      throw error;
    }
    await this.deps.bus.publish('account.created', { accountId: account.id, createdAt: now.toISOString() });
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
    const project = this.em.create(Project, { id: this.deps.ids.newId(), accountId, name, isDefault: false, createdAt: this.deps.clock.now() });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw badInput(`A project named "${name}" already exists`, { field: 'name' });
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
