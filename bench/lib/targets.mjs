// The processes the bench loads, and how the ratio lines name them.

export const TARGETS = ['http-proxy', 'undici-proxy', 'got-proxy', 'rest-datasource', 'service'];
/** Every target but the service: the service's ratios are computed against each. */
export const REFERENCES = TARGETS.filter((target) => target !== 'service');
/** How each reference is named in the ratio lines. */
export const SHORT = { 'http-proxy': 'node:http', 'undici-proxy': 'undici', 'got-proxy': 'got', 'rest-datasource': 'RESTDataSource peer' };
/** A second service process with HIGHLEVEL_COALESCE_INFLIGHT=false, for the workloads that compare coalescing. */
export const UNCOALESCED = 'service-uncoalesced';
/** The service with REDIS_URL set (budgets shared through a redis-server on loopback), cache off. */
export const WITH_REDIS = 'service-redis';
/** The service with REDIS_URL set and CONVERSATION_CACHE_TTL_SECONDS=5. */
export const CACHED = 'service-cached';
export const targetsOf = (workload) => [
  ...TARGETS,
  ...(workload.compareCoalescing ? [UNCOALESCED, CACHED] : []),
  ...(workload.compareRedis ? [WITH_REDIS] : []),
];
