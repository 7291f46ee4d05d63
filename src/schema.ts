// The executable schema: the SDL in schema/*.graphql (the files frontend teams read, and codegen's
// input) with the resolvers, built as an Apollo Federation 2 subgraph so a router can compose it.
import { readdirSync, readFileSync } from 'node:fs';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { type GraphQLFieldResolver, type GraphQLSchema, isUnionType, parse } from 'graphql';
import { BadUserInputError } from './errors.js';
import { resolvers } from './resolvers/index.js';
import { PACKAGE_ROOT } from './package-root.js';

const SCHEMA_DIRECTORY = new URL('schema/', PACKAGE_ROOT);

/** Every `.graphql` file under schema/, in name order, so the result is the same on every machine. */
function loadTypeDefs(directory: URL = SCHEMA_DIRECTORY): string[] {
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
  const schema = buildSubgraphSchema([
    { typeDefs: parse(loadTypeDefs().join('\n')), resolvers: resolvers as GraphQLResolverMap<unknown> },
  ]);
  refuseUnknownEntityTypes(schema);
  return schema;
}

/**
 * A representation whose `__typename` is not an entity of this subgraph is the caller's mistake, but
 * @apollo/subgraph throws a plain Error for it (INTERNAL_SERVER_ERROR, logged as a bug). Checked first
 * here, so it is BAD_USER_INPUT; representations of known types go to @apollo/subgraph's resolver as they are.
 */
function refuseUnknownEntityTypes(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const union = schema.getType('_Entity');
  if (!field?.resolve || !isUnionType(union)) return;
  const entityTypes = new Set(union.getTypes().map((type) => type.name));
  const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve;
  field.resolve = (source, args, context, info) => {
    const representations = (args as { representations: Array<{ __typename?: unknown }> }).representations;
    const index = representations.findIndex((representation) => !entityTypes.has(representation.__typename as string));
    if (index !== -1) {
      const typename = JSON.stringify(representations[index]?.__typename);
      throw new BadUserInputError(
        `Representation ${index} has __typename ${typename}, which is not an entity of this subgraph (${[...entityTypes].join(', ')}).`,
      );
    }
    return resolve(source, args, context, info);
  };
}
