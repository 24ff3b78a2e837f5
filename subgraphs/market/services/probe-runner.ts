// Runs probes: a real call to the upstream through the listing's pool key, judged, stored as a
// ProbeRun, and recorded as a check on the listing's contract. Shared by the request-scoped
// services (probeListing, reverifyContract), the admission probe after createListing and the
// schedule. Background work is tracked so that stop() waits for it before the database closes.
import { badInput, DomainError, notFound } from '../../common/errors';
import { Contract } from '../entities/Contract';
import { CheckKind } from '../entities/ContractCheck';
import { Capability, Listing } from '../entities/Listing';
import { PoolKey, PoolKeyStatus } from '../entities/PoolKey';
import { ListingVerification, VerificationStatus } from '../entities/ListingVerification';
import { ProbeRun } from '../entities/ProbeRun';
import { recordCheck, type RecordedCheck } from './checks';
import { sealContext, type MarketCoreDeps } from './deps';
import { judgeProbe, type Verdict } from './probe-verdict';
import { probeUpstream, type ProbeObservation, type Upstream } from './upstream';
import { claimsKeyOf, claimsOf, hasClaims, verifyClaims, type VerificationResult } from './verification';

export interface ProbeResult extends RecordedCheck {
  run: ProbeRun;
}

/** Listings whose last evidence probe is remembered (the oldest is forgotten first). */
const MAX_EVIDENCE_LISTINGS = 10_000;

export class ProbeRunner {
  private readonly admissions = new Map<string, Promise<ProbeResult>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** When each listing was last sent to verification on live evidence (oldest first). */
  private readonly evidenceProbes = new Map<string, number>();
  private closed = false;

  constructor(private readonly deps: MarketCoreDeps) {}

  /**
   * An admission probe of the listing now. A probe of the same listing already running in this
   * process (e.g. the one createListing started) is joined rather than doubled.
   */
  admit(listingId: string): Promise<ProbeResult> {
    const running = this.admissions.get(listingId);
    if (running) return running;
    const probe = this.probe(listingId, CheckKind.ADMISSION).finally(() => this.admissions.delete(listingId));
    this.admissions.set(listingId, probe);
    return probe;
  }

  /** The admission probe right after a listing is created (or gets a new pool key): not awaited by the request. */
  admitInBackground(listingId: string): void {
    this.track(() => this.admit(listingId));
  }

  /** Runs `work` in the background unless stopping; failures are reported without detail that could hold a secret. */
  track(work: () => Promise<unknown>): void {
    if (this.closed) return;
    const task = work()
      .catch((error: unknown) => {
        if (this.closed) return;
        this.deps.log.warn({ err: error }, 'background probe failed');
      })
      .finally(() => this.background.delete(task));
    this.background.add(task);
  }

  /**
   * A re-verification because live traffic contradicted the listing's claims, in the background;
   * at most one per listing per `evidenceReverifyIntervalMs` (in this process), so a lying upstream
   * under heavy traffic costs one probe, not one per request.
   */
  reverifyOnEvidence(listingId: string): boolean {
    const now = this.deps.clock.now().getTime();
    const last = this.evidenceProbes.get(listingId);
    if (last !== undefined && now - last < this.deps.settings.evidenceReverifyIntervalMs) return false;
    this.evidenceProbes.set(listingId, now);
    if (this.evidenceProbes.size > MAX_EVIDENCE_LISTINGS) this.evidenceProbes.delete(this.evidenceProbes.keys().next().value!);
    this.track(() => this.probe(listingId, CheckKind.REVERIFY));
    return true;
  }

  /** Runs a probe now; stop() waits for it like for background work. */
  probe(listingId: string, kind: CheckKind): Promise<ProbeResult> {
    if (this.closed) return Promise.reject(new DomainError('SERVICE_UNAVAILABLE', 'The market is shutting down'));
    const task = this.run(listingId, kind);
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return task;
  }

  private async run(listingId: string, kind: CheckKind): Promise<ProbeResult> {
    const em = this.deps.fork();
    const listing = await em.findOne(Listing, { id: listingId, deletedAt: null });
    if (!listing) throw notFound('Listing');
    if (!listing.poolKeyId)
      throw badInput('This listing has no pool key to probe with; give it one with updateListing(poolKeyId)', { field: 'poolKeyId' });
    const [key, contract] = await Promise.all([
      em.findOne(PoolKey, { id: listing.poolKeyId, status: { $ne: PoolKeyStatus.DELETED } }),
      // Read in an EntityManager of its own that is never flushed: live checks recorded while the
      // probe runs move the contract's version, and recordCheck below is what changes it.
      listing.contractId ? this.deps.fork().findOne(Contract, { id: listing.contractId }) : null,
    ]);
    if (!key) throw badInput("This listing's pool key is gone; give it another with updateListing(poolKeyId)", { field: 'poolKeyId' });
    if (!contract) throw notFound('Contract');

    const startedAt = this.deps.clock.now();
    const observed = await this.observe(listing, key);
    const { seen } = observed;
    let { verdict } = observed;
    // Claims are verified after a passing probe: at admission and re-verification always, on the
    // schedule once the last verification is older than reverifyAfterMs.
    let verification: VerificationResult | null = null;
    const claims = claimsOf(listing, this.deps.registry);
    if (verdict.passed && observed.upstream && (await this.verificationDue(em, listing, kind))) {
      verification = await verifyClaims(
        observed.upstream,
        listing.upstreamModel,
        claims,
        this.deps.registry,
        this.deps.settings.probeTimeoutMs,
      );
      const failed = verification.checks.find((check) => !check.passed);
      if (failed)
        verdict = { passed: false, reason: `verification failed: ${failed.name}: ${failed.detail ?? 'failed'}`, tokensPerSecond: null };
    }
    const finishedAt = this.deps.clock.now();
    const run = em.create(ProbeRun, {
      id: this.deps.ids.newId(),
      listingId: listing.id,
      contractId: contract.id,
      sellerId: listing.sellerId,
      kind,
      capability: listing.capability,
      upstreamModel: listing.upstreamModel,
      passed: verdict.passed,
      reason: verdict.reason?.slice(0, 500) ?? null,
      httpStatus: seen?.httpStatus ?? null,
      latencyMs: seen?.latencyMs ?? null,
      ttftMs: seen?.ttftMs ?? null,
      tokensPerSecond: verdict.tokensPerSecond,
      contentChunks: seen && listing.capability === Capability.CHAT ? seen.contentChunks : null,
      streamSpreadMs: seen && listing.capability === Capability.CHAT ? seen.streamSpreadMs : null,
      completionTokens: seen?.completionTokens ?? null,
      usageReported: seen && listing.capability !== Capability.SPEECH ? seen.usageReported : null,
      startedAt,
      finishedAt,
    });
    if (verification) await this.storeVerification(em, listing, run, verification, claimsKeyOf(claims), finishedAt);
    // The key's own health: refused now → INVALID; accepted again → ACTIVE.
    if (seen?.refused) key.status = PoolKeyStatus.INVALID;
    else if (verification?.status === VerificationStatus.FAILED || verdict.passed) {
      key.status = PoolKeyStatus.ACTIVE;
      key.validatedAt = finishedAt;
    }
    await em.flush();
    const recorded = await recordCheck(this.deps, contract.id, {
      kind,
      passed: verdict.passed,
      reason: verdict.reason,
      latencyMs: run.latencyMs,
      ttftMs: run.ttftMs,
      tokensPerSecond: run.tokensPerSecond,
      probeRunId: run.id,
    });
    return { ...recorded, run };
  }

  private async verificationDue(em: ReturnType<MarketCoreDeps['fork']>, listing: Listing, kind: CheckKind): Promise<boolean> {
    const claims = claimsOf(listing, this.deps.registry);
    if (!hasClaims(claims)) return kind !== CheckKind.SCHEDULED;
    if (kind !== CheckKind.SCHEDULED) return true;
    const last = await em.findOne(ListingVerification, { listingId: listing.id });
    if (!last?.checkedAt || last.registryVersion !== this.deps.registry.version) return true;
    // Checks of other claims (the seller changed them since) vouch for nothing now.
    if (last.claimsKey != null && last.claimsKey !== claimsKeyOf(claims)) return true;
    const after = this.deps.settings.reverifyAfterMs;
    return after > 0 && this.deps.clock.now().getTime() - last.checkedAt.getTime() >= after;
  }

  private async storeVerification(
    em: ReturnType<MarketCoreDeps['fork']>,
    listing: Listing,
    run: ProbeRun,
    result: VerificationResult,
    claimsKey: string,
    at: Date,
  ): Promise<void> {
    const row =
      (await em.findOne(ListingVerification, { listingId: listing.id })) ??
      em.create(ListingVerification, { listingId: listing.id, status: result.status, checks: [] });
    row.status = result.status;
    row.checks = result.checks;
    row.checkedAt = at;
    row.canonicalModel = this.deps.registry.get(listing.model)?.id ?? null;
    row.registryVersion = this.deps.registry.version;
    row.probeRunId = run.id;
    row.claimsKey = claimsKey;
  }

  private async observe(listing: Listing, key: PoolKey): Promise<{ seen: ProbeObservation | null; verdict: Verdict; upstream?: Upstream }> {
    const baseUrl = this.deps.catalog.baseUrlOf(key);
    if (!baseUrl)
      return {
        seen: null,
        verdict: { passed: false, reason: `provider ${key.provider} is not available on this platform`, tokensPerSecond: null },
      };
    let apiKey: string;
    try {
      apiKey = this.deps.sealer.open(key.sealedKey, sealContext(key.id));
    } catch {
      return {
        seen: null,
        verdict: { passed: false, reason: 'the pool key cannot be unsealed (was the platform secret changed?)', tokensPerSecond: null },
      };
    }
    const { settings } = this.deps;
    const seen = await probeUpstream({ baseUrl, apiKey }, listing.capability, listing.upstreamModel, {
      timeoutMs: settings.probeTimeoutMs,
      maxTtftMs: settings.probeMaxTtftMs,
      maxTokens: settings.probeMaxTokens,
    });
    const verdict = judgeProbe(seen, {
      maxTtftMs: settings.probeMaxTtftMs,
      minContentChunks: settings.probeMinContentChunks,
      minStreamSpreadMs: settings.probeMinStreamSpreadMs,
    });
    return { seen, verdict, upstream: { baseUrl, apiKey } };
  }

  /** Stops taking background work and waits for what is running. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.background.size > 0 || this.inFlight.size > 0) await Promise.allSettled([...this.background, ...this.inFlight]);
  }
}
