// Scheduled re-checks: every interval, each ACTIVE or DEGRADED contract not checked for half an
// interval gets a SCHEDULED probe (a bounded number at once). A tick that finds the previous one
// still running is skipped. With several market replicas each runs its own schedule; the
// "not checked recently" rule keeps their probes from piling up on one contract.
import { ContractState, Contract } from '../entities/Contract';
import { CheckKind } from '../entities/ContractCheck';
import { Listing } from '../entities/Listing';
import type { MarketCoreDeps } from './deps';
import type { ProbeRunner } from './probe-runner';

const BATCH = 500;

export class ContractScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: MarketCoreDeps,
    private readonly probes: ProbeRunner,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One round of checks (also callable directly). */
  async tick(): Promise<void> {
    const em = this.deps.fork();
    const dueBefore = new Date(this.deps.clock.now().getTime() - this.intervalMs / 2);
    const contracts = await em.find(
      Contract,
      {
        state: { $in: [ContractState.ACTIVE, ContractState.DEGRADED] },
        $or: [{ lastCheckAt: null }, { lastCheckAt: { $lte: dueBefore } }],
      },
      { orderBy: { lastCheckAt: 'asc', id: 'asc' }, limit: BATCH },
    );
    if (contracts.length === 0) return;
    const listings = await em.find(Listing, {
      id: { $in: contracts.map((c) => c.listingId) },
      deletedAt: null,
      paused: false,
      poolKeyId: { $ne: null },
    });
    const queue = listings.map((listing) => listing.id);
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        await this.probes.probe(id, CheckKind.SCHEDULED).catch((error: unknown) => {
          // A listing deleted meanwhile, or a store hiccup: the next round tries again.
          this.deps.log.debug({ err: error, listingId: id }, 'scheduled check skipped');
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.settings.checkConcurrency, queue.length) }, worker));
  }
}
