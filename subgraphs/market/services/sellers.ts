// Seller handles and the namespace rule. A listing's public model id is a canonical registry id
// (then it must pass that model's verification) or `<own handle>/<name>`. A handle is chosen once
// (claimSellerHandle) or taken from the first own-namespace listing; vendor handles of the registry
// are reserved, and nobody lists under another seller's handle.
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { badInput, conflict, forbidden } from '../../common/errors';
import type { Principal } from '../../common/principal';
import type { Capability } from '../entities/Listing';
import { Seller } from '../entities/Seller';
import { requireSeller } from './access';
import type { MarketCoreDeps } from './deps';
import { isValidHandle, namespaceOf } from './registry';

export class SellerService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: MarketCoreDeps,
  ) {}

  /** The caller's seller record (handle null until chosen). */
  async mine(principal: Principal): Promise<Seller> {
    const sellerId = requireSeller(principal);
    return (
      (await this.em.findOne(Seller, { id: sellerId })) ?? ({ id: sellerId, handle: null, createdAt: this.deps.clock.now() } as Seller)
    );
  }

  /** Any account's public seller record (the handle is public: it is in every model id the seller lists). */
  async of(accountId: string): Promise<Seller | null> {
    return this.em.findOne(Seller, { id: accountId });
  }

  async claim(principal: Principal, handle: string): Promise<Seller> {
    const sellerId = requireSeller(principal);
    const wanted = validHandle(handle, this.deps);
    const existing = await this.em.findOne(Seller, { id: sellerId });
    if (existing?.handle === wanted) return existing;
    if (existing?.handle) throw conflict(`Your handle is already ${existing.handle}; a handle is chosen once`);
    return this.take(sellerId, wanted, existing);
  }

  /**
   * Whether the seller may list `model` with `capability`: a canonical id of that capability, or an
   * id under its own handle. Returns the handle to take with the listing (its namespace, when the
   * seller has none yet): taken by stage() in the listing's own flush, so a refused listing takes nothing.
   */
  async authorizeModel(sellerId: string, model: string, capability: Capability): Promise<string | null> {
    const canonical = this.deps.registry.get(model);
    if (canonical) {
      if (canonical.capability !== capability)
        throw badInput(`${model} is a ${canonical.capability.toUpperCase()} model in the registry`, { field: 'capability' });
      return null;
    }
    const namespace = namespaceOf(model);
    if (!namespace) throw badInput('model must look like `handle/name`', { field: 'model' });
    if (this.deps.registry.isReserved(namespace)) {
      throw badInput(
        `${model} is not a canonical model, and ${namespace} is a reserved vendor handle: list a registry id (it will be verified) or a model under your own handle`,
        { field: 'model' },
      );
    }
    const existing = await this.em.findOne(Seller, { id: sellerId });
    if (existing?.handle === namespace) return null;
    if (await this.em.count(Seller, { handle: namespace, id: { $ne: sellerId } })) {
      throw forbidden(
        `The handle ${namespace} belongs to another seller; list under your own handle${existing?.handle ? ` ${existing.handle}` : ' (claimSellerHandle)'}`,
      );
    }
    if (existing?.handle) throw badInput(`List your own models under your handle: ${existing.handle}/<name>`, { field: 'model' });
    if (!isValidHandle(namespace))
      throw badInput(`${namespace} cannot be a handle (2 to 39 lowercase letters, digits and inner \`-\`)`, { field: 'model' });
    return namespace;
  }

  /** Takes `handle` for the seller in the request's unit of work (flushed with the listing). */
  async stage(sellerId: string, handle: string): Promise<void> {
    const existing = await this.em.findOne(Seller, { id: sellerId });
    if (existing) existing.handle = handle;
    else this.em.create(Seller, { id: sellerId, handle, createdAt: this.deps.clock.now() });
  }

  private async take(sellerId: string, handle: string, existing: Seller | null): Promise<Seller> {
    if (await this.em.count(Seller, { handle, id: { $ne: sellerId } })) throw conflict(`The handle ${handle} is taken`);
    // A fork of its own: a lost race on the unique handle must not poison the request's unit of work.
    const em = this.em.fork();
    const seller = existing
      ? await em.findOneOrFail(Seller, { id: sellerId })
      : em.create(Seller, { id: sellerId, handle, createdAt: this.deps.clock.now() });
    seller.handle = handle;
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict(`The handle ${handle} is taken`);
      throw error;
    }
    return seller;
  }
}

function validHandle(value: unknown, deps: MarketCoreDeps): string {
  const handle = typeof value === 'string' ? value.trim() : '';
  if (!isValidHandle(handle)) throw badInput('handle must be 2 to 39 lowercase letters, digits and inner `-`', { field: 'handle' });
  if (deps.registry.isReserved(handle)) throw badInput(`${handle} is a reserved vendor handle`, { field: 'handle' });
  return handle;
}
