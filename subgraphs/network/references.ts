import type { ReferenceResolvers } from '../common/federation';
import type { NetworkContext } from './context';

export const networkReferences: ReferenceResolvers = {
  JobFeedEntry: { __resolveReference: (reference: { id: string }, ctx: NetworkContext) => ctx.loaders.jobById.load(reference.id) },
  Listing: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  GPUCapacity: {
    __resolveReference: (reference: { timeframeHours: number }, ctx: NetworkContext) =>
      ctx.dashboard.gpuCapacity({ timeframe: reference.timeframeHours }),
  },
};
