// Offline composition: prints each subgraph's SDL, composes the supergraph, and prints the API
// schema that clients and codegen see. `npm run compose` writes them; a test fails when stale.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, printSchema } from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { SUBGRAPH_NAMES } from '../subgraphs/common/config';
import { subgraphModules } from '../subgraphs';

import { SCHEMA_DIR } from './paths';
export { SCHEMA_DIR };

export interface ComposedSchemas {
  subgraphs: Record<string, string>;
  supergraph: string;
  api: string;
}

export function composeSchemas(): ComposedSchemas {
  const subgraphs: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) subgraphs[name] = printSubgraphSchema(subgraphModules[name].buildSchema());
  const result = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, url: `local://${name}`, typeDefs: parse(subgraphs[name]) })));
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  const supergraph = result.supergraphSdl;
  const api = printSchema(Supergraph.build(supergraph).apiSchema().toGraphQLJSSchema());
  return { subgraphs, supergraph, api };
}

export function writeSchemas(schemas: ComposedSchemas): void {
  mkdirSync(path.join(SCHEMA_DIR, 'subgraphs'), { recursive: true });
  for (const [name, sdl] of Object.entries(schemas.subgraphs))
    writeFileSync(path.join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), sdl + '\n');
  writeFileSync(path.join(SCHEMA_DIR, 'supergraph.graphql'), schemas.supergraph + '\n');
  writeFileSync(path.join(SCHEMA_DIR, 'api.graphql'), schemas.api + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeSchemas(composeSchemas());
  console.log('wrote schema/supergraph.graphql, schema/api.graphql and schema/subgraphs/*.graphql');
}
