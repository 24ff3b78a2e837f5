// The four subgraphs, by name: how to build each one's schema (for composition) and its runtime.
import type { SubgraphName } from './common/config';
import type { SubgraphDeps } from './common/deps';
import type { BaseContext, SubgraphDefinition } from './common/subgraph';
import type { GraphQLSchema } from 'graphql';
import { buildAccountsSchema } from './accounts/schema';
import { buildMarketSchema } from './market/schema';
import { buildBillingSchema } from './billing/schema';
import { buildNetworkSchema } from './network/schema';
import { createAccountsSubgraph } from './accounts/server';
import { createMarketSubgraph } from './market/server';
import { createBillingSubgraph } from './billing/server';
import { createNetworkSubgraph } from './network/server';

export interface SubgraphModule {
  buildSchema(): GraphQLSchema;
  create(deps: SubgraphDeps): Promise<SubgraphDefinition<BaseContext>>;
}

export const subgraphModules: Record<SubgraphName, SubgraphModule> = {
  accounts: { buildSchema: buildAccountsSchema, create: createAccountsSubgraph },
  market: { buildSchema: buildMarketSchema, create: createMarketSubgraph },
  billing: { buildSchema: buildBillingSchema, create: createBillingSubgraph },
  network: { buildSchema: buildNetworkSchema, create: createNetworkSubgraph },
};
