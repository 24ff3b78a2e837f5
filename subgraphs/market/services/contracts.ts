// Contracts from the seller's side (history, checks, reverify, unsuspend) and the data plane's
// live-traffic reports. State changes happen in checks.ts (the state machine in contract-state.ts).
import type { EntityManager } from '@mikro-orm/core';
import { conflict, notFound } from '../../common/errors';
import type { Principal } from '../../common/principal';
import { Contract, ContractState } from '../entities/Contract';
import { CheckKind, ContractCheck } from '../entities/ContractCheck';
import { Listing } from '../entities/Listing';
import type { MarketLoaders } from '../loaders';
import { requireSeller, requireService } from './access';
import { listingStatusFor, recordCheck, serialized, type RecordedCheck } from './checks';
import { unsuspendBlocker } from './contract-state';
import type { MarketCoreDeps } from './deps';
import { ownedContract, ownedListing } from './ownership';
import type { ProbeRunner } from './probe-runner';
import { validId, validInt } from './validation';

const MAX_REASON = 500;

export class ContractService {
  constructor(
    private readonly em: EntityManager,
    private readonly loaders: MarketLoaders,
    private readonly deps: MarketCoreDeps,
    private readonly probes: ProbeRunner,
  ) {}

  /** A listing's contracts, newest first (one today; a list so that history can grow). */
  async forListing(principal: Principal, listingId: string): Promise<Contract[]> {
    const listing = await ownedListing(this.em, requireSeller(principal), listingId, 'listingId');
    return this.loaders.contractsByListing.load(listing.id);
  }

  async get(principal: Principal, id: string): Promise<Contract> {
    return ownedContract(this.em, requireSeller(principal), id);
  }

  /** A contract's checks, newest first. */
  async checks(principal: Principal, contractId: string, limit: number): Promise<ContractCheck[]> {
    const contract = await ownedContract(this.em, requireSeller(principal), contractId, 'contractId');
    const take = validInt(limit, 'limit', 1, 500)!;
    return this.em.find(ContractCheck, { contractId: contract.id }, { orderBy: { checkedAt: 'desc', id: 'desc' }, limit: take });
  }

  /** Runs a REVERIFY probe now and records it (a suspended contract stays suspended: see unsuspend). */
  async reverify(principal: Principal, id: string): Promise<RecordedCheck & { check: ContractCheck }> {
    const contract = await ownedContract(this.em, requireSeller(principal), id);
    const result = await this.probes.probe(contract.listingId, CheckKind.REVERIFY);
    return result as RecordedCheck & { check: ContractCheck };
  }

  /** SUSPENDED → ACTIVE, allowed only when the latest check since the suspension passed. */
  async unsuspend(principal: Principal, id: string): Promise<Contract> {
    const sellerId = requireSeller(principal);
    const contractId = (await ownedContract(this.em, sellerId, id)).id;
    const contract = await serialized(`contract:${contractId}`, async () => {
      const em = this.deps.fork();
      const current = await em.findOneOrFail(Contract, { id: contractId });
      const blocker = unsuspendBlocker(current);
      if (blocker) throw conflict(`Cannot unsuspend: ${blocker}`);
      const now = this.deps.clock.now();
      current.state = ContractState.ACTIVE;
      current.consecutiveFailures = 0;
      current.liveFailureStreak = 0;
      current.updatedAt = now;
      const listing = await em.findOne(Listing, { id: current.listingId });
      if (listing) listing.status = listingStatusFor(listing, ContractState.ACTIVE);
      await em.flush();
      return current;
    });
    await this.deps.bus.publish('contract.changed', {
      contractId: contract.id,
      listingId: contract.listingId,
      model: contract.model,
      state: contract.state,
    });
    return contract;
  }

  /** The data plane's report on a real request (platform only): a LIVE check (see contract-state.ts for how bursts count). */
  async reportOutcome(
    principal: Principal,
    listingId: string,
    ok: boolean,
    reason: string | null | undefined,
    contradictsClaims = false,
  ): Promise<Contract> {
    requireService(principal);
    const listing = await this.em.findOne(Listing, { id: validId(listingId, 'listingId'), deletedAt: null });
    if (!listing || !listing.contractId) throw notFound('Listing');
    const text = typeof reason === 'string' && reason.trim() ? reason.trim().slice(0, MAX_REASON) : 'a live request failed';
    const { contract } = await recordCheck(this.deps, listing.contractId, { kind: CheckKind.LIVE, passed: ok, reason: ok ? null : text });
    // Live traffic samples the claims too: an answer that contradicts them sends the listing back to verification.
    if (!ok && contradictsClaims) this.probes.reverifyOnEvidence(listing.id);
    return contract;
  }
}
