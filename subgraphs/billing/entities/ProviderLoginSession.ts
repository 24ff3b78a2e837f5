import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type ProviderLoginStatus = 'pending' | 'processing' | 'complete' | 'failed' | 'expired' | 'redeemed';

/**
 * One brokered OAuth 2 login with a billing provider (authorization code + PKCE). The session id
 * is the client's handle; `state` ties the provider's callback to it. Secrets are sealed.
 */
@Entity({ tableName: 'provider_login_sessions' })
export class ProviderLoginSession {
  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  providerSlug!: string;

  @Property({ type: 'string', length: 36, nullable: true })
  accountId?: string | null;

  @Property({ type: 'string', length: 64, unique: true })
  state!: string;

  @Property({ type: 'text', hidden: true })
  codeVerifierSealed!: string;

  @Property({ type: 'string', length: 500 })
  redirectUri!: string;

  @Property({ type: 'string', length: 16 })
  status: ProviderLoginStatus = 'pending';

  @Property({ type: 'text', nullable: true, hidden: true })
  accessTokenSealed?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  providerUserId?: string | null;

  @Property({ type: 'integer', nullable: true })
  tokenExpiresIn?: number | null;

  @Property({ type: 'string', length: 200, nullable: true })
  failure?: string | null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
