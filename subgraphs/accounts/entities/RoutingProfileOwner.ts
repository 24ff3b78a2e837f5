import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Accounts' copy of who owns each routing profile, learned from market's routing-profile.changed
 * events (accounts never reads market's tables). A buyer key may only name a profile its own
 * account owns and has not deleted.
 */
@Entity({ tableName: 'routing_profile_owners' })
export class RoutingProfileOwner {
  @PrimaryKey({ type: 'string', length: 64 })
  profileId!: string;

  @Property({ type: 'string', length: 36 })
  accountId!: string;

  /** Deleted for good: profile ids are never reused, so a late "updated" cannot bring it back. */
  @Property({ type: 'boolean', default: false })
  deleted: boolean = false;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
