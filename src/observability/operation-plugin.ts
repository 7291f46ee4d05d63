// Per GraphQL operation: one log line (what was asked, how long it took, how many upstream calls it
// cost, which error codes it produced), the operation metrics, and the name of its trace span. Errors
// that are not ours (bugs) are logged with their stack.
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { RequestContext } from '../context.js';
import { ConversationServiceError } from '../errors.js';
import type { Metrics, OperationOutcome } from './metrics.js';

export function operationPlugin(metrics?: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = error.originalError;
            if (original && !(original instanceof ConversationServiceError) && !(original as GraphQLError).extensions) {
              contextValue.logger.error({ err: original, path: error.path }, 'resolver failed unexpectedly');
            }
          }
        },
        async willSendResponse({ response, operationName }) {
          const seconds = (performance.now() - started) / 1000;
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          // Formatted errors: every one carries its final extensions.code.
          const errorCodes = [...new Set((result.errors ?? []).map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
          const outcome: OperationOutcome =
            errorCodes.length === 0 ? 'success' : result.data && Object.values(result.data).some((value) => value !== null) ? 'partial' : 'error';
          const { upstreamCalls, cacheHits } = contextValue.conversations;
          contextValue.logger.info(
            { operationName: operationName ?? null, durationMs: Math.round(seconds * 100_000) / 100, upstreamCalls, cacheHits, outcome, errorCodes },
            'graphql operation',
          );
          metrics?.observeOperation(operationName, outcome, seconds, errorCodes);
          const span = contextValue.span;
          if (span) {
            if (operationName) span.updateName(`graphql.operation ${operationName}`);
            span.setAttributes({
              'graphql.operation.name': operationName ?? '',
              'graphql.outcome': outcome,
              'highlevel.upstream_calls': upstreamCalls,
              'highlevel.cache_hits': cacheHits,
            });
            if (errorCodes.length > 0) span.setAttribute('graphql.error.codes', errorCodes);
          }
        },
      };
    },
  };
}
