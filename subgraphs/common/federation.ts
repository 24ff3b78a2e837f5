// type-graphql has no federation support of its own: build its schema, print it with its
// directives behind the Federation 2 @link, and hand that SDL plus the resolvers to
// @apollo/subgraph (STACK.md). Reference resolvers are passed beside, one per entity.
import 'reflect-metadata';
import { buildSchemaSync, createResolversMap, type ResolverData } from 'type-graphql';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])';

const topicsUnused = {
  publish: () => {
    throw new Error('type-graphql topics are not used: subscribe through the EventBus');
  },
  subscribe: () => {
    throw new Error('type-graphql topics are not used: subscribe through the EventBus');
  },
};

export type ReferenceResolvers = Record<string, { __resolveReference: (reference: any, context: any) => unknown }>;

export function buildFederatedSchema(
  options: { resolvers: Function[]; orphanedTypes?: Function[] },
  references: ReferenceResolvers = {},
): GraphQLSchema {
  const schema = buildSchemaSync({
    resolvers: options.resolvers as [Function, ...Function[]],
    orphanedTypes: options.orphanedTypes,
    skipCheck: true,
    validate: false,
    // Every @Subscription here names its own `subscribe` over the EventBus; type-graphql topics are unused.
    pubSub: topicsUnused,
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [typeName, reference] of Object.entries(references)) {
    resolvers[typeName] = { ...(resolvers[typeName] ?? {}), ...reference };
  }
  return buildSubgraphSchema([{ typeDefs, resolvers: resolvers as never }]);
}

export type { ResolverData };
