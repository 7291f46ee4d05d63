// One log line per GraphQL operation: what was asked, how long it took, how many upstream calls it
// cost and which error codes it produced. Errors that are not ours (bugs) are logged with their stack.
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { RequestContext } from './context.js';
import { ConversationServiceError } from './errors.js';

export function operationLogPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      let errors: readonly GraphQLError[] = [];
      return {
        async didEncounterErrors(requestContext) {
          errors = requestContext.errors;
          for (const error of errors) {
            const original = error.originalError;
            if (original && !(original instanceof ConversationServiceError) && !(original as GraphQLError).extensions) {
              contextValue.logger.error({ err: original, path: error.path }, 'resolver failed unexpectedly');
            }
          }
        },
        async willSendResponse(requestContext) {
          contextValue.logger.info(
            {
              operationName: requestContext.operationName ?? null,
              durationMs: Math.round((performance.now() - started) * 100) / 100,
              upstreamCalls: contextValue.conversations.upstreamCalls,
              errorCodes: [...new Set(errors.map((error) => String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR')))],
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
