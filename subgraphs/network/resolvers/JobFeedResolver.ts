import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { iterateTopic } from '../../common/bus';
import type { JobRecordedEvent } from '../../common/events';
import { JobFeedEntry } from '../entities/JobFeedEntry';
import { Listing } from '../types/references';
import type { NetworkContext } from '../context';

@Resolver(() => JobFeedEntry)
export class JobFeedResolver {
  @Query(() => [JobFeedEntry], { description: 'The newest jobs on the network.' })
  jobFeed(@Arg('limit', () => Int, { defaultValue: 50 }) limit: number, @Ctx() ctx: NetworkContext): Promise<JobFeedEntry[]> {
    return ctx.network.recentJobs(limit);
  }

  @Query(() => JobFeedEntry, { nullable: true, description: 'One job by its request id.' })
  jobFeedEntry(@Arg('id', () => ID) id: string, @Ctx() ctx: NetworkContext): Promise<JobFeedEntry | null> {
    return ctx.loaders.jobById.load(id);
  }

  @Subscription(() => JobFeedEntry, {
    name: 'jobFeed',
    description: 'Each job as it finishes, optionally only one pipeline or model.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { pipeline?: string | null; model?: string | null }, NetworkContext>) =>
      iterateTopic(context.bus, 'job.recorded', (job) => (!args.pipeline || job.pipeline === args.pipeline) && (!args.model || job.model === args.model)),
  })
  jobFeedSubscription(
    @Root() job: JobRecordedEvent,
    @Arg('pipeline', () => String, { nullable: true }) _pipeline: string | null,
    @Arg('model', () => String, { nullable: true }) _model: string | null,
  ): Pick<JobFeedEntry, 'id' | 'pipeline' | 'model'> {
    return job;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Whole seconds from start to finish.' })
  durationSeconds(@Root() job: JobFeedEntry): number | null {
    return job.finishedAt ? Math.round((new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime()) / 1000) : null;
  }

  @FieldResolver(() => Listing, { nullable: true, description: 'The listing that served the job (market).' })
  listing(@Root() job: JobFeedEntry): Listing | null {
    return job.listingId ? { id: job.listingId } : null;
  }
}
