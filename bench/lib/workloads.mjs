// The bench's workloads: GraphQL request bodies, precomputed, rotated through by every connection.
//
// Ids are the sandbox's generated conversations `generatedConversationId(0..FAN_OUT_POOL-1)` (location A,
// read with location A's token). Every operation asks for the nine scalar fields of Conversation.
//
// Every connection takes the next body of one shared rotation, so the operations in flight at any moment
// are consecutive bodies, and the rotation continues from phase to phase (so the operations a warm-up
// leaves running at the service are followed, not met again): with 1,000 rotating ids (one id) and 320
// windows of 50 ids (fan-out), no two operations in flight share an id, and in-flight coalescing across
// operations cannot change the number of upstream calls. `hot-ids` is the opposite: every operation reads
// one of 8 conversations, so that in-flight coalescing has something to share; it runs against a second
// service process with coalescing off as well, and a third with the private cache on (5 s, in Redis).
// `one-id` also runs against a service with REDIS_URL set (shared budgets).
const FIELDS = 'id contactId locationId deleted inbox type unreadCount assignedTo starred';
const ID_POOL = 1000;
export const FAN_OUT_POOL = 16_000;
const HOT_IDS = 8;
/** Ids of this many generated conversations answer 404 in the `one-id-404` workload (index >= MISSING_BASE). */
const MISSING_BASE = 1_000_000;

const ONE_QUERY = `query One($id: ID!) { conversation(id: $id) { ${FIELDS} } }`;

function aliasesQuery(count) {
  const variables = Array.from({ length: count }, (_, i) => `$i${i}: ID!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `c${i}: conversation(id: $i${i}) { ${FIELDS} }`).join(' ');
  return `query Aliases(${variables}) { ${fields} }`;
}

const ENTITIES_QUERY = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Conversation { ${FIELDS} } } }`;

/**
 * @param {(index: number) => string} generatedConversationId from dist-dev/sandbox/data.js
 * @returns the workload definitions, without durations (run.mjs adds them).
 */
export function buildWorkloads(generatedConversationId) {
  const ids = Array.from({ length: FAN_OUT_POOL }, (_, i) => generatedConversationId(i));
  const body = (query, variables) => JSON.stringify({ query, variables });

  // One id, 1,000 rotating ids.
  const oneIds = ids.slice(0, ID_POOL);
  const oneBodies = oneIds.map((id) => body(ONE_QUERY, { id }));
  // One id, 1,000 rotating ids of which every tenth (10%) does not exist: the sandbox answers 404.
  const oneMissingBodies = oneIds.map((id, i) => body(ONE_QUERY, { id: i % 10 === 9 ? generatedConversationId(MISSING_BASE + i) : id }));
  // Many clients reading the same few hot conversations (for in-flight coalescing).
  const hotBodies = ids.slice(0, HOT_IDS).map((id) => body(ONE_QUERY, { id }));
  // 50 aliases over 50 distinct ids; windows of 50 consecutive ids rotate over the pool (320 bodies).
  const fiftyQuery = aliasesQuery(50);
  const fiftyBodies = Array.from({ length: FAN_OUT_POOL / 50 }, (_, w) => {
    const variables = {};
    for (let i = 0; i < 50; i += 1) variables[`i${i}`] = ids[w * 50 + i];
    return body(fiftyQuery, variables);
  });
  // _entities with 100 representations over 50 distinct ids: the window of 50 ids, twice (as a router
  // batching the same conversations for two parents would send them).
  const entitiesBodies = Array.from({ length: FAN_OUT_POOL / 50 }, (_, w) => {
    const window = ids.slice(w * 50, w * 50 + 50);
    const representations = [...window, ...window].map((id) => ({ __typename: 'Conversation', id }));
    return body(ENTITIES_QUERY, { representations });
  });

  const loaded = { connections: 32, unloaded: false };
  const unloaded = { connections: 1, unloaded: true };
  return [
    { name: 'one-id', label: 'one id, all fields', bodies: oneBodies, distinctIdsPerOp: 1, group: 'main', compareRedis: true, ...loaded },
    { name: 'fifty-ids', label: '50 aliased distinct ids', bodies: fiftyBodies, distinctIdsPerOp: 50, group: 'main', ...loaded },
    { name: 'entities', label: '_entities, 100 reps over 50 ids', bodies: entitiesBodies, distinctIdsPerOp: 50, group: 'main', ...loaded },
    { name: 'one-id-404', label: 'one id, 10% answering 404', bodies: oneMissingBodies, distinctIdsPerOp: 1, group: 'errors', ...loaded },
    { name: 'hot-ids', label: 'one id of 8 hot ones', bodies: hotBodies, distinctIdsPerOp: 1, group: 'coalescing', compareCoalescing: true, ...loaded },
    { name: 'one-id-c1', label: 'one id, 1 connection', bodies: oneBodies, distinctIdsPerOp: 1, group: 'unloaded', unloadedOf: 'one-id', ...unloaded },
    { name: 'fifty-ids-c1', label: '50 ids, 1 connection', bodies: fiftyBodies, distinctIdsPerOp: 50, group: 'unloaded', unloadedOf: 'fifty-ids', ...unloaded },
    { name: 'entities-c1', label: '_entities x100, 1 connection', bodies: entitiesBodies, distinctIdsPerOp: 50, group: 'unloaded', unloadedOf: 'entities', ...unloaded },
  ];
}
