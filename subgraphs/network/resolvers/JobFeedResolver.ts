import { Arg, Ctx, FieldResolver, Float, ID, Int, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { formatRunningFor, outputPerSecond } from '../services/network';
import { iterateTopic } from '../../common/bus';
import type { JobRecordedEvent } from '../../common/events';
import { JobFeedEntry } from '../entities/JobFeedEntry';
import { Listing } from '../types/references';
import type { NetworkContext } from '../context';

/** Job events buffered per upstream feed subscription before the oldest are dropped. */
const JOB_FEED_BUFFER = 10_000;

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
      iterateTopic(
        context.bus,
        'job.recorded',
        (job) => (!args.pipeline || job.pipeline === args.pipeline) && (!args.model || job.model === args.model),
        // The recorder announces a stored batch (up to 500 jobs, more when writes lag) at once: the
        // buffer holds several such batches, so that a reader that keeps up loses none (the
        // gateway shares one such upstream per filter, so there are few of them).
        JOB_FEED_BUFFER,
      ),
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

  @FieldResolver(() => Listing, {
    nullable: true,
    description: 'The listing that served the job (market).',
    deprecationReason: "Use orchestrator (NaaP's name for the same listing).",
  })
  listing(@Root() job: JobFeedEntry): Listing | null {
    return job.listingId ? { id: job.listingId } : null;
  }

  @FieldResolver(() => Listing, {
    nullable: true,
    description: "The orchestrator that served the job: the seller's admitted listing (market), with its seller.",
  })
  orchestrator(@Root() job: JobFeedEntry): Listing | null {
    return job.listingId ? { id: job.listingId } : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "The orchestrator's public endpoint id (the listing id; never a provider URL).",
  })
  orchestratorUrl(@Root() job: JobFeedEntry): string | null {
    return job.listingId ?? null;
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Input units per second: not measured per job on this network (null).' })
  inputFps(): number | null {
    return null;
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Output tokens (or characters) per second over the job, 1 decimal.' })
  outputFps(@Root() job: JobFeedEntry): number | null {
    return outputPerSecond(job);
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When the job was last seen: its finish.' })
  lastSeen(@Root() job: JobFeedEntry): Date | null {
    return job.finishedAt ?? null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'How long the job ran, as NaaP shows it: "850ms", "42s", "2m 22s", "1h 3m 4s".',
  })
  runningFor(@Root() job: JobFeedEntry): string | null {
    return job.finishedAt ? formatRunningFor(new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime()) : null;
  }
}
