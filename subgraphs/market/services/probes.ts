// Probe runs from the seller's side: run an admission probe now, read a listing's runs.
import type { EntityManager } from '@mikro-orm/core';
import type { Principal } from '../../common/principal';
import { ProbeRun } from '../entities/ProbeRun';
import { requireSeller } from './access';
import { ownedListing } from './ownership';
import type { ProbeResult, ProbeRunner } from './probe-runner';
import { validInt } from './validation';

export class ProbeService {
  constructor(
    private readonly em: EntityManager,
    private readonly probes: ProbeRunner,
  ) {}

  /** An ADMISSION probe now (joining one already running for the listing); PENDING → ACTIVE when it passes. */
  async probeListing(principal: Principal, listingId: string): Promise<ProbeResult> {
    const listing = await ownedListing(this.em, requireSeller(principal), listingId, 'id');
    return this.probes.admit(listing.id);
  }

  /** A listing's probe runs, newest first. */
  async runs(principal: Principal, listingId: string, limit: number): Promise<ProbeRun[]> {
    const listing = await ownedListing(this.em, requireSeller(principal), listingId, 'listingId');
    const take = validInt(limit, 'limit', 1, 500)!;
    return this.em.find(ProbeRun, { listingId: listing.id }, { orderBy: { startedAt: 'desc', id: 'desc' }, limit: take });
  }
}
