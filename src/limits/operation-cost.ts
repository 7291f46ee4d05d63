// The operation cost limit: how many upstream lookups an operation can cause, counted before it runs.
//
// Every conversation costs one call against a per-location budget of 100 per 10 s, so one operation
// with a thousand aliases or a thousand ids would burn a location's budget for minutes and hurt every
// frontend sharing it. Counted: each `conversation` field (aliases included), the length of each
// `conversations(ids:)` list after variable coercion, and each `_entities` representation. Counted
// as written: @skip/@include and duplicate ids are ignored, so the count is an upper bound.
//
// The count must cost time linear in the document whatever its fragments do: a fragment spread 300
// times by a fragment that is itself spread 300 times stands for 90,000 copies, and walking every copy
// let one small document block the event loop for seconds (SECURITY.md, "fragment bombs"). So each
// fragment's own lookups are read once, how many times the operation reaches each fragment is computed
// over the fragment graph in topological order, and the result (the lookup sites with their
// multiplicity, which do not depend on variables) is cached with the parsed operation that Apollo keeps
// in its document store. Only the list lengths, which do, are read per request.
import type { ApolloServerPlugin } from '@apollo/server';
import { BadUserInputError, type RequestErrorCode } from '../errors.js';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  getVariableValues,
  valueFromAST,
} from 'graphql';

const COST_LIMIT_EXCEEDED = 'COST_LIMIT_EXCEEDED' satisfies RequestErrorCode;

/** One list argument longer than the whole limit is bad input, whatever else the operation asks. */
export class LookupListTooLongError extends BadUserInputError {
  constructor(field: string, length: number, limit: number) {
    super(`${field} takes at most ${limit} ids per operation; got ${length}.`, {
      extensions: { limit, http: { status: 400 } },
    });
  }
}

class CostLimitExceededError extends GraphQLError {
  constructor(cost: number, limit: number) {
    // Multiplicities of nested fragments can exceed what a double holds exactly; say "more than" then.
    const exact = Number.isSafeInteger(cost);
    const shown = exact ? cost : Number.MAX_SAFE_INTEGER;
    super(
      `This operation could cause ${exact ? '' : 'more than '}${shown} upstream lookups; the limit is ${limit} per operation. Split it into smaller operations.`,
      // http.status: Apollo answers the whole request with 400 and strips this key from the response.
      { extensions: { code: COST_LIMIT_EXCEEDED, cost: shown, limit, http: { status: 400 } } },
    );
  }
}

/** The root fields whose list argument is a number of lookups. */
const LIST_ARGUMENTS: Readonly<Record<string, string>> = { conversations: 'ids', _entities: 'representations' };

/** A list argument of a root field, and how many times the operation reaches it through its fragments. */
interface ListSite {
  field: string;
  argument: string;
  value: ValueNode;
  type: GraphQLInputType;
  times: number;
}

/** What an operation can look up, independent of its variables. */
interface LookupSites {
  /** `conversation` fields, each counted as often as the operation reaches it. */
  singles: number;
  lists: ListSite[];
}

/** The root-level content of one selection set (the operation's or a fragment's), inline fragments flattened. */
interface Part {
  singles: number;
  lists: Array<Omit<ListSite, 'times'>>;
  /** Fragment names spread, with how often each is spread here. */
  spreads: Map<string, number>;
}

/**
 * Reads the lookup sites of `operation`: linear in the size of the document, whatever its fragments
 * spread. Fragment cycles are a validation error; a fragment on one is reached no times here.
 */
export function lookupSitesOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): LookupSites {
  const queryType = schema.getQueryType();
  if (operation.operation !== 'query' || !queryType) return { singles: 0, lists: [] };
  const fields = queryType.getFields();
  const argumentType = (field: string, argument: string) => fields[field]?.args.find((arg) => arg.name === argument)?.type;

  const read = (selectionSet: SelectionSetNode, part: Part): Part => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        read(selection.selectionSet, part);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        part.spreads.set(name, (part.spreads.get(name) ?? 0) + 1);
      } else if (selection.name.value === 'conversation') {
        part.singles += 1;
      } else {
        const field = selection.name.value;
        const argument = LIST_ARGUMENTS[field];
        const node = argument ? selection.arguments?.find((arg) => arg.name.value === argument) : undefined;
        const type = argument && node ? argumentType(field, argument) : undefined;
        if (argument && node && type) part.lists.push({ field, argument, value: node.value, type });
      }
    }
    return part;
  };
  const newPart = (): Part => ({ singles: 0, lists: [], spreads: new Map() });

  const parts = new Map<string, Part>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION && !parts.has(definition.name.value)) {
      parts.set(definition.name.value, read(definition.selectionSet, newPart()));
    }
  }
  const root = read(operation.selectionSet, newPart());

  // How many times the operation reaches each fragment: Kahn's algorithm over the fragments the
  // operation can reach, so a fragment's count is final before it is passed on to what it spreads.
  const reachable = new Set<string>();
  const pending = [...root.spreads.keys()];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const part = parts.get(name);
    if (!part || reachable.has(name)) continue;
    reachable.add(name);
    pending.push(...part.spreads.keys());
  }
  const inDegree = new Map<string, number>([...reachable].map((name) => [name, 0]));
  for (const name of reachable) {
    for (const spread of (parts.get(name) as Part).spreads.keys()) {
      if (inDegree.has(spread)) inDegree.set(spread, (inDegree.get(spread) as number) + 1);
    }
  }
  const times = new Map<string, number>();
  for (const [name, count] of root.spreads) if (reachable.has(name)) times.set(name, count);
  const ready = [...reachable].filter((name) => inDegree.get(name) === 0);
  const sites: LookupSites = { singles: root.singles, lists: root.lists.map((site) => ({ ...site, times: 1 })) };
  while (ready.length > 0) {
    const name = ready.pop() as string;
    const part = parts.get(name) as Part;
    const reached = times.get(name) ?? 0;
    sites.singles += reached * part.singles;
    for (const site of part.lists) sites.lists.push({ ...site, times: reached });
    for (const [spread, count] of part.spreads) {
      if (!inDegree.has(spread)) continue;
      times.set(spread, (times.get(spread) ?? 0) + reached * count);
      const left = (inDegree.get(spread) as number) - 1;
      inDegree.set(spread, left);
      if (left === 0) ready.push(spread);
    }
  }
  return sites;
}

/**
 * Counts the upstream lookups of the sites for these variables, stopping as soon as the count passes `limit`.
 * @throws LookupListTooLongError when one `ids` or `representations` list alone exceeds `limit`.
 */
export function lookupCount(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  sites: LookupSites,
  variables: Record<string, unknown>,
  limit: number,
): number {
  if (sites.lists.length === 0) return sites.singles;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  // Invalid variables are Apollo's to report (BAD_USER_INPUT); count them as nothing here.
  const values = coerced.coerced ?? {};
  const lengths = sites.lists.map((site) => {
    const value = valueFromAST(site.value, site.type, values);
    const length = Array.isArray(value) ? value.length : value === undefined || value === null ? 0 : 1;
    if (length > limit) throw new LookupListTooLongError(`${site.field}(${site.argument}:)`, length, limit);
    return length;
  });
  let total = sites.singles;
  for (let index = 0; index < lengths.length && total <= limit; index++) {
    total += (sites.lists[index] as ListSite).times * (lengths[index] as number);
  }
  return total;
}

/**
 * Refuses, before execution and without any upstream call, operations over `limit` lookups. The sites
 * are cached per parsed operation: Apollo reuses the same DocumentNode for the same query text.
 */
export function operationCostPlugin(limit: number): ApolloServerPlugin {
  const cache = new WeakMap<OperationDefinitionNode, LookupSites>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          let sites = cache.get(operation);
          if (!sites) {
            sites = lookupSitesOf(schema, document, operation);
            cache.set(operation, sites);
          }
          const cost = lookupCount(schema, operation, sites, request.variables ?? {}, limit);
          if (cost > limit) throw new CostLimitExceededError(cost, limit);
        },
      };
    },
  };
}
