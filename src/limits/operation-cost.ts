// The operation cost limit: how many upstream lookups an operation can cause, counted before it runs.
//
// Every conversation costs one call against a per-location budget of 100 per 10 s, so one operation
// with a thousand aliases or a thousand ids would burn a location's budget for minutes and hurt every
// frontend sharing it. Counted: each `conversation` field (aliases included), the length of each
// `conversations(ids:)` list after variable coercion, and each `_entities` representation. Counted
// as written: @skip/@include and duplicate ids are ignored, so the count is an upper bound.
import type { ApolloServerPlugin } from '@apollo/server';
import { BadUserInputError, type RequestErrorCode } from '../errors.js';
import {
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getVariableValues,
  valueFromAST,
  type GraphQLField,
} from 'graphql';

export const COST_LIMIT_EXCEEDED = 'COST_LIMIT_EXCEEDED' satisfies RequestErrorCode;

/** One list argument longer than the whole limit is bad input, whatever else the operation asks. */
export class LookupListTooLongError extends BadUserInputError {
  constructor(field: string, length: number, limit: number) {
    super(`${field} takes at most ${limit} ids per operation; got ${length}.`, {
      extensions: { limit, http: { status: 400 } },
    });
  }
}

export class CostLimitExceededError extends GraphQLError {
  constructor(cost: number, limit: number) {
    super(
      `This operation could cause ${cost} upstream lookups; the limit is ${limit} per operation. Split it into smaller operations.`,
      // http.status: Apollo answers the whole request with 400 and strips this key from the response.
      { extensions: { code: COST_LIMIT_EXCEEDED, cost, limit, http: { status: 400 } } },
    );
  }
}

/**
 * Counts the upstream lookups of the operation that will run.
 * @throws LookupListTooLongError when one `ids` or `representations` list alone exceeds `limit`.
 */
export function countLookups(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limit: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  // Invalid variables are Apollo's to report (BAD_USER_INPUT); count them as nothing here.
  const values = coerced.coerced ?? {};
  const queryType = schema.getQueryType();
  if (operation.operation !== 'query' || !queryType) return 0;
  const fields = queryType.getFields();

  const visiting = new Set<string>();
  const count = (selectionSet: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total += lookupsOf(selection.name.value, fields[selection.name.value], selection.arguments ?? [], values, limit);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += count(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment spread inside itself is a validation error; never loop on it.
        if (!fragment || visiting.has(name)) continue;
        visiting.add(name);
        total += count(fragment.selectionSet);
        visiting.delete(name);
      }
    }
    return total;
  };
  return count(operation.selectionSet);
}

function lookupsOf(
  name: string,
  field: GraphQLField<unknown, unknown> | undefined,
  argumentNodes: readonly ArgumentNode[],
  variables: Record<string, unknown>,
  limit: number,
): number {
  const listArgument = name === 'conversations' ? 'ids' : name === '_entities' ? 'representations' : undefined;
  if (name === 'conversation') return 1;
  if (!listArgument || !field) return 0;
  const node = argumentNodes.find((argument) => argument.name.value === listArgument);
  const type = field.args.find((argument) => argument.name === listArgument)?.type;
  if (!node || !type) return 0;
  const value = valueFromAST(node.value, type, variables);
  const length = Array.isArray(value) ? value.length : value === undefined || value === null ? 0 : 1;
  if (length > limit) throw new LookupListTooLongError(`${name}(${listArgument}:)`, length, limit);
  return length;
}

/** Refuses, before execution and without any upstream call, operations over `limit` lookups. */
export function operationCostPlugin(limit: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = countLookups(schema, document, operation, request.variables ?? {}, limit);
          if (cost > limit) throw new CostLimitExceededError(cost, limit);
        },
      };
    },
  };
}
