// The projection of market's routing profiles that accounts checks a key's routingProfileId against.
//
// The race: a client creates a profile (market) and binds a key to it (accounts) at once. In
// embedded mode the in-memory bus runs its handlers on a microtask queued by publish, and market
// awaits publish before it answers, so the event has reached `record` (which queues its write
// synchronously) before the client can send the bind; `settled()` then waits for that write. With
// Redis (scaled mode) delivery to the accounts process is asynchronous: for a few milliseconds
// after market answers, accounts may not have heard of a new profile and refuses the bind with
// NOT_FOUND; a retry succeeds. Refusing is the safe side of that window.
import type { EntityManager } from '@mikro-orm/core';
import type { EventBus } from '../common/bus';
import type { RoutingProfileChangedEvent } from '../common/events';
import type { Logger } from '../common/log';
import type { Clock } from '../common/runtime';
import { notFound } from '../common/errors';
import { RoutingProfileOwner } from './entities/RoutingProfileOwner';

// Keyed by bus so the key service (which only holds the bus) finds the projection of its process.
const projections = new WeakMap<EventBus, RoutingProfileOwners>();

export class RoutingProfileOwners {
  /** Writes run one at a time, in arrival order (created → updated → deleted stay in order). */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly fork: () => EntityManager,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): () => void {
    projections.set(this.bus, this);
    const off = this.bus.subscribe('routing-profile.changed', (event) => this.record(event));
    return () => {
      off();
      if (projections.get(this.bus) === this) projections.delete(this.bus);
    };
  }

  /** Resolves once every event received so far is written. */
  settled(): Promise<void> {
    return this.writes;
  }

  private record(event: RoutingProfileChangedEvent): void {
    this.writes = this.writes
      .then(() => this.write(event))
      .catch((error: unknown) =>
        this.log.error({ subgraph: 'accounts', profileId: event.profileId, err: error }, 'routing profile projection write failed'),
      );
  }

  private async write(event: RoutingProfileChangedEvent): Promise<void> {
    const em = this.fork();
    const now = this.clock.now();
    const row = await em.findOne(RoutingProfileOwner, { profileId: event.profileId });
    if (!row) {
      em.create(RoutingProfileOwner, {
        profileId: event.profileId,
        accountId: event.accountId,
        deleted: event.change === 'deleted',
        updatedAt: now,
      });
    } else if (!row.deleted) {
      row.accountId = event.accountId;
      row.deleted = event.change === 'deleted';
      row.updatedAt = now;
    }
    try {
      await em.flush();
    } catch (error) {
      // Another accounts replica wrote the same event's row first: it recorded the same facts.
      if ((error as { name?: string }).name !== 'UniqueConstraintViolationException') throw error;
    }
  }
}

/**
 * The profile id, when `accountId` owns it and has not deleted it; NOT_FOUND otherwise (another
 * account's profile, a deleted one, and one accounts never heard of answer alike).
 */
export async function ownRoutingProfileId(em: EntityManager, bus: EventBus, accountId: string, profileId: string): Promise<string> {
  await projections.get(bus)?.settled();
  const owner = await em.findOne(RoutingProfileOwner, { profileId });
  if (!owner || owner.deleted || owner.accountId !== accountId) throw notFound('Routing profile');
  return owner.profileId;
}
