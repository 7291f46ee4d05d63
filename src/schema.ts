// The executable schema: the SDL in schema/*.graphql (the files frontend teams read, and codegen's
// input) with the resolvers, built as an Apollo Federation 2 subgraph so a router can compose it.
import { readdirSync, readFileSync } from 'node:fs';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { type GraphQLSchema, parse } from 'graphql';
import { resolvers } from './resolvers/index.js';

export const SCHEMA_DIRECTORY = new URL('../schema/', import.meta.url);

/** Every `.graphql` file under schema/, in name order, so the result is the same on every machine. */
export function loadTypeDefs(directory: URL = SCHEMA_DIRECTORY): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(new URL(name, directory), 'utf8'));
}

/**
 * The subgraph schema. `buildSubgraphSchema` adds `_service` (the SDL a router composes) and
 * `_entities` (how a router resolves references to conversations).
 */
export function createSchema(): GraphQLSchema {
  // buildSubgraphSchema takes a list of { typeDefs, resolvers } modules; a bare object would be read as SDL.
  return buildSubgraphSchema([
    { typeDefs: parse(loadTypeDefs().join('\n')), resolvers: resolvers as GraphQLResolverMap<unknown> },
  ]);
}
