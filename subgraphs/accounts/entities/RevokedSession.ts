import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** One dashboard token signed out before its expiry. Kept until the token would have expired anyway. */
@Entity({ tableName: 'revoked_sessions' })
@Index({ properties: ['accountId', 'expiresAt'] })
export class RevokedSession {
  /** The token's `jti`. */
  @PrimaryKey({ type: 'string', length: 64 })
  sessionId!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  /** When the token expires at the latest; the row is useless (and pruned) after that. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime' })
  revokedAt!: Date;
}
