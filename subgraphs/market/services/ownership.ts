// Finding a seller's own objects. Another account's id and a missing id answer the same: NOT_FOUND.
import type { EntityManager } from '@mikro-orm/core';
import { notFound } from '../../common/errors';
import { Contract } from '../entities/Contract';
import { Listing } from '../entities/Listing';
import { PoolKey, PoolKeyStatus } from '../entities/PoolKey';
import { RoutingProfile } from '../entities/RoutingProfile';
import { validId } from './validation';

export async function ownedListing(em: EntityManager, sellerId: string, id: string, field = 'id'): Promise<Listing> {
  const listing = await em.findOne(Listing, { id: validId(id, field), sellerId, deletedAt: null });
  if (!listing) throw notFound('Listing');
  return listing;
}

export async function ownedPoolKey(em: EntityManager, sellerId: string, id: string, field = 'id'): Promise<PoolKey> {
  const key = await em.findOne(PoolKey, { id: validId(id, field), sellerId, status: { $ne: PoolKeyStatus.DELETED } });
  if (!key) throw notFound('Pool key');
  return key;
}

export async function ownedContract(em: EntityManager, sellerId: string, id: string, field = 'id'): Promise<Contract> {
  const contract = await em.findOne(Contract, { id: validId(id, field), sellerId });
  if (!contract) throw notFound('Contract');
  return contract;
}

export async function ownedRoutingProfile(em: EntityManager, accountId: string, id: string, field = 'id'): Promise<RoutingProfile> {
  const profile = await em.findOne(RoutingProfile, { id: validId(id, field), accountId });
  if (!profile) throw notFound('Routing profile');
  return profile;
}
