// Network overview entities (network owns them: subgraphs/network/types/dashboard.ts); market adds
// the facts it owns, the GPUs sellers declare on listings. Type and field names are NaaP's.
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'GPUs of one declared GPU model.' })
export class GPUModelCapacity {
  @Field(() => String, {
    description: 'The GPU model as sellers declare it (e.g. `H100 80GB`); `unspecified` for a count declared without a model.',
  })
  model!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: 'GPUs declared for one public model.' })
export class GPUCapacityPipelineModel {
  @Field(() => String, { description: 'The public model id.' })
  model!: string;

  @Field(() => Int)
  gpus!: number;
}

@ObjectType({ description: 'GPUs declared for one pipeline (capability).' })
export class GPUCapacityPipeline {
  @Field(() => String, { description: '`llm`, `embeddings` or `text-to-speech`.' })
  name!: string;

  @Field(() => Int)
  gpus!: number;

  @Field(() => [GPUCapacityPipelineModel], { nullable: true })
  models?: GPUCapacityPipelineModel[] | null;
}

@ObjectType()
@Directive('@key(fields: "timeframeHours")')
export class GPUCapacity {
  @Field(() => Int)
  timeframeHours!: number;

  /** Network's: the listings that served in the window (needed for the busy figures only). */
  @Field(() => [ID])
  @Directive('@external')
  busyListingIds?: string[] | null;
}

@ObjectType()
@Directive('@key(fields: "address")')
export class OrchestratorRow {
  @Field(() => String)
  address!: string;
}
