// The processes the bench loads, and how the ratio lines name them.

export const TARGETS = ['http-proxy', 'undici-proxy', 'got-proxy', 'rest-datasource', 'service'];
/** Every target but the service: the service's ratios are computed against each. */
export const REFERENCES = TARGETS.filter((target) => target !== 'service');
/** How each reference is named in the ratio lines. */
export const SHORT = { 'http-proxy': 'node:http', 'undici-proxy': 'undici', 'got-proxy': 'got', 'rest-datasource': 'RESTDataSource peer' };
/** A second service process with HIGHLEVEL_COALESCE_INFLIGHT=false, for the workloads that compare coalescing. */
export const UNCOALESCED = 'service-uncoalesced';
export const targetsOf = (workload) => (workload.compareCoalescing ? [...TARGETS, UNCOALESCED] : TARGETS);
