// Declared hardware on the network overview (CONTRACT-NOTES: "GPU figures come from what sellers
// declare on listings (GPU model and count) and what is busy now"). Market owns the declarations;
// which listings are busy (served a job in the window) is network's, handed over by federation
// (GPUCapacity.busyListingIds, @requires). The rules:
//  - a listing's GPUs are its declared gpuCount; a listing without a declared count has 0 GPUs
//    (a model name alone declares no GPUs; a count without a model is grouped as "unspecified");
//  - capacity counts admitted listings only: routable now (status ACTIVE, not paused, not deleted);
//  - busy GPUs are the declared GPUs of admitted listings that served in the window (a listing that
//    served but is no longer routable counts in neither figure, so busy ≤ total);
//  - each listing's declaration counts on its own (two listings declaring the same machines count
//    them twice: the market cannot tell).
import type { EntityManager } from '@mikro-orm/core';
import { Listing, ListingStatus } from '../entities/Listing';
import { PIPELINE_OF } from './model-catalog';

export const UNSPECIFIED_GPU_MODEL = 'unspecified';

/** What a capacity figure reads of a listing. */
export type DeclaredSupply = Pick<Listing, 'id' | 'model' | 'capability' | 'gpuModel' | 'gpuCount'>;

/** GPUs a listing declares: its gpuCount, or 0 when it declared none. */
export function declaredGpus(listing: Pick<Listing, 'gpuCount'>): number {
  return listing.gpuCount ?? 0;
}

export interface GpuModelCount {
  model: string;
  count: number;
}

export interface PipelineGpus {
  name: string;
  gpus: number;
  models: { model: string; gpus: number }[];
}

export interface DeclaredCapacity {
  totalGPUs: number;
  /** GPUs per declared GPU model, most first. */
  models: GpuModelCount[];
  /** GPUs per pipeline (capability) and public model, most first; pipelines and models with 0 GPUs are left out. */
  pipelineGPUs: PipelineGpus[];
}

export interface BusyCapacity {
  activeGPUs: number;
  /** Percent of declared GPUs not busy, 1 decimal; 0 when none are declared. */
  availableCapacity: number;
}

const byCountThenName = <T extends { name: string; n: number }>(a: T, b: T) =>
  b.n - a.n || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function sumBy(
  rows: readonly DeclaredSupply[],
  key: (row: DeclaredSupply) => string,
): { name: string; n: number; rows: DeclaredSupply[] }[] {
  const groups = new Map<string, { name: string; n: number; rows: DeclaredSupply[] }>();
  for (const row of rows) {
    const name = key(row);
    const group = groups.get(name) ?? { name, n: 0, rows: [] };
    group.n += declaredGpus(row);
    group.rows.push(row);
    groups.set(name, group);
  }
  return [...groups.values()].filter((group) => group.n > 0).sort(byCountThenName);
}

/** Declared GPUs of admitted supply, in total, per GPU model and per pipeline and public model. Pure. */
export function declaredCapacity(supply: readonly DeclaredSupply[]): DeclaredCapacity {
  return {
    totalGPUs: supply.reduce((sum, row) => sum + declaredGpus(row), 0),
    models: sumBy(supply, (row) => row.gpuModel ?? UNSPECIFIED_GPU_MODEL).map(({ name, n }) => ({ model: name, count: n })),
    pipelineGPUs: sumBy(supply, (row) => PIPELINE_OF[row.capability]).map(({ name, n, rows }) => ({
      name,
      gpus: n,
      models: sumBy(rows, (row) => row.model).map((model) => ({ model: model.name, gpus: model.n })),
    })),
  };
}

/** Of the admitted supply, the GPUs of the busy listings and the share not busy. Pure. */
export function busyCapacity(supply: readonly DeclaredSupply[], busyListingIds: readonly string[]): BusyCapacity {
  const busy = new Set(busyListingIds);
  const total = supply.reduce((sum, row) => sum + declaredGpus(row), 0);
  const active = supply.reduce((sum, row) => sum + (busy.has(row.id) ? declaredGpus(row) : 0), 0);
  // Integer arithmetic up to the one division: tenths of a percent, rounded half up.
  return { activeGPUs: active, availableCapacity: total > 0 ? Math.round(((total - active) * 1000) / total) / 10 : 0 };
}

/** Per request: the admitted supply is read once however many capacity fields ask. */
export class CapacityService {
  private admitted: Promise<DeclaredSupply[]> | null = null;

  constructor(private readonly em: EntityManager) {}

  /** Routable listings (status ACTIVE: contract ACTIVE or DEGRADED; not paused, not deleted). Public: declared hardware is shown on the network overview. */
  admittedSupply(): Promise<DeclaredSupply[]> {
    this.admitted ??= this.em.find(
      Listing,
      { status: ListingStatus.ACTIVE, deletedAt: null, paused: false },
      { fields: ['id', 'model', 'capability', 'gpuModel', 'gpuCount'], orderBy: { id: 'asc' }, disableIdentityMap: true },
    ) as Promise<DeclaredSupply[]>;
    return this.admitted;
  }

  async declared(): Promise<DeclaredCapacity> {
    return declaredCapacity(await this.admittedSupply());
  }

  async busy(busyListingIds: readonly string[]): Promise<BusyCapacity> {
    return busyCapacity(await this.admittedSupply(), busyListingIds);
  }
}
