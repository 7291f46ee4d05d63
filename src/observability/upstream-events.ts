// What the upstream client reports (calls, retries, rate-limit state, breaker changes) turned into log
// lines and metrics. The client knows nothing of either; it only emits events.
import type { UpstreamEvent, UpstreamObserver } from '../upstream/events.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export function upstreamEventHandler(logger: Logger, metrics: Metrics): UpstreamObserver {
  return (event) => {
    logUpstreamEvent(logger, event);
    recordUpstreamEvent(metrics, event);
  };
}

function recordUpstreamEvent(metrics: Metrics, event: UpstreamEvent): void {
  switch (event.kind) {
    case 'attempt':
      metrics.observeUpstream(event.outcome, event.durationMs === undefined ? undefined : event.durationMs / 1000);
      if (event.rateLimit) metrics.observeRateLimit(event.rateLimit.budget, event.rateLimit.state);
      return;
    case 'retry':
      metrics.observeRetry(event.reason);
      return;
    case 'breaker':
      if (event.scope === 'upstream') metrics.setBreakerState(event.state);
      metrics.setOpenTenants(event.openTenants);
      return;
    case 'coalesced':
      metrics.observeCoalesced();
      return;
    case 'cache':
      metrics.observeCache(event.outcome);
      return;
    case 'cache-invalidated':
      metrics.observeCacheInvalidation();
      return;
    default:
      return;
  }
}

function logUpstreamEvent(logger: Logger, event: UpstreamEvent): void {
  switch (event.kind) {
    case 'failure':
      logger.warn(
        {
          requestId: event.requestId,
          conversationId: event.conversationId,
          status: event.status,
          code: event.error.extensions.code,
          durationMs: Math.round(event.durationMs),
        },
        `upstream request failed: ${event.error.message}`,
      );
      return;
    case 'retry':
      logger.info(
        { requestId: event.requestId, conversationId: event.conversationId, attempt: event.attempt, reason: event.reason },
        'retrying upstream request',
      );
      return;
    case 'breaker':
      if (event.scope === 'upstream') logger.warn({ state: event.state }, `circuit breaker ${event.state}: HighLevel as a whole`);
      else logger.warn({ state: event.state, budget: event.tenant }, `circuit breaker ${event.state} for one budget`);
      return;
    default:
      return;
  }
}
