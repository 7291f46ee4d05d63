// Unit tier: the operation cost counter against documents whose fragments spread each other many times.
// It must count exactly what walking every copy of every fragment counts, without walking them.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type DocumentNode, type FragmentDefinitionNode, Kind, type OperationDefinitionNode, type SelectionSetNode, parse } from 'graphql';
import { LookupListTooLongError, lookupCount, lookupSitesOf } from '../src/limits/operation-cost.js';
import { createSchema } from '../src/schema.js';

const schema = createSchema();

function operationOf(document: DocumentNode): OperationDefinitionNode {
  return document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
}

function count(query: string, variables: Record<string, unknown> = {}, limit = Number.MAX_SAFE_INTEGER): number {
  const document = parse(query);
  const operation = operationOf(document);
  return lookupCount(schema, operation, lookupSitesOf(schema, document, operation), variables, limit);
}

/** The reference: visit every copy of every fragment, as written (exponential; small documents only). */
function walkEveryCopy(query: string, ids: unknown[]): number {
  const document = parse(query);
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const walk = (selectionSet: SelectionSetNode): number =>
    selectionSet.selections.reduce((total, selection) => {
      if (selection.kind === Kind.INLINE_FRAGMENT) return total + walk(selection.selectionSet);
      if (selection.kind === Kind.FRAGMENT_SPREAD) return total + walk((fragments.get(selection.name.value) as FragmentDefinitionNode).selectionSet);
      if (selection.name.value === 'conversation') return total + 1;
      if (selection.name.value !== 'conversations') return total;
      const value = selection.arguments?.[0]?.value;
      return total + (value?.kind === Kind.LIST ? value.values.length : ids.length);
    }, 0);
  return walk(operationOf(document).selectionSet);
}

/** Operation and fragments F0..Fn-1 on Query, each spreading only higher-numbered fragments (no cycles). */
const documents = fc.integer({ min: 1, max: 5 }).chain((fragmentCount) => {
  const leaf = fc.constantFrom('__typename', 'conversation(id: "x") { id }', 'conversations(ids: $ids) { id }', 'conversations(ids: ["a", "b"]) { id }', '_service { sdl }');
  const body = (from: number) =>
    fc
      .array(fc.oneof(leaf, ...(from < fragmentCount ? [fc.integer({ min: from, max: fragmentCount - 1 }).map((target) => `...F${target}`)] : [])), { maxLength: 6 })
      .map((items) => (items.length > 0 ? items : ['__typename']))
      .chain((items) => fc.boolean().map((inline) => (inline ? `... on Query { ${items.join(' ')} }` : items.join(' '))));
  return fc.tuple(body(0), ...Array.from({ length: fragmentCount }, (_, index) => body(index + 1))).map(([operation, ...bodies]) => {
    // Unused fragments are a validation error but harmless here: the counter skips what the operation does not reach.
    const fragments = bodies.map((fragmentBody, index) => `fragment F${index} on Query { ${fragmentBody} }`);
    return [`query Q($ids: [ID!]) { ${operation} }`, ...fragments].join('\n');
  });
});

describe('the operation cost counter', () => {
  it('counts exactly what walking every copy of every fragment counts (property)', () => {
    fc.assert(
      fc.property(documents, fc.array(fc.constant('id'), { maxLength: 4 }), (query, ids) => {
        expect(count(query, { ids })).toBe(walkEveryCopy(query, ids));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses exactly the documents whose full count passes the limit, whatever stops it early (property)', () => {
    fc.assert(
      fc.property(documents, fc.array(fc.constant('id'), { maxLength: 4 }), fc.integer({ min: 5, max: 40 }), (query, ids, limit) => {
        expect(count(query, { ids }, limit) > limit).toBe(walkEveryCopy(query, ids) > limit);
      }),
      { numRuns: 500 },
    );
  });

  it('counts a fragment bomb of 1,600 spreads per level without visiting its four billion copies', () => {
    const spreads = (name: string) => Array.from({ length: 1600 }, () => `...${name}`).join(' ');
    const bomb = [
      `query Bomb($ids: [ID!]!) { ${spreads('F1')} }`,
      `fragment F1 on Query { ${spreads('F2')} }`,
      `fragment F2 on Query { ${spreads('F3')} }`,
      'fragment F3 on Query { conversation(id: "x") { id } conversations(ids: $ids) { id } }',
    ].join('\n');
    expect(count(bomb, { ids: ['a', 'b'] })).toBe(3 * 1600 ** 3);
    // The answer with the limit in force passes the limit, which is all that is needed to refuse it.
    expect(count(bomb, { ids: ['a', 'b'] }, 100)).toBeGreaterThan(100);
  });

  it('still answers one list over the limit as bad input, wherever it stands', () => {
    const query = 'query Q($ids: [ID!]!) { ...F } fragment F on Query { a: conversation(id: "1") { id } conversations(ids: $ids) { id } }';
    expect(() => count(query, { ids: Array(101).fill('x') }, 100)).toThrow(LookupListTooLongError);
  });

  it('gives no cost to operations the schema cannot run and to a fragment cycle', () => {
    expect(count('mutation { conversation(id: "x") { id } }')).toBe(0);
    expect(count('query { ...A } fragment A on Query { ...B conversation(id: "x") { id } } fragment B on Query { ...A }')).toBe(0);
  });
});
