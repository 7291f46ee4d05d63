// Apollo Server as this service configures it: the federated schema, the limits that refuse abusive
// documents before anything runs, what is exposed in production, and the plugins it needs.
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import type { Config } from './config.js';
import type { RequestContext } from './context.js';
import { ConversationServiceError } from './errors.js';
import { documentValidationRules, parseOptions } from './limits/document-limits.js';
import { operationCostPlugin } from './limits/operation-cost.js';
import { knownOperationTypesRule } from './limits/operation-types.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { operationPlugin } from './observability/operation-plugin.js';
import { createSchema } from './schema.js';
import type { GraphQLSchema } from 'graphql';

export function createApolloServer(
  config: Config['graphql'],
  limits: Config['limits'],
  logger: Logger,
  metrics?: Metrics,
  schema: GraphQLSchema = createSchema(),
): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    schema,
    csrfPrevention: true,
    logger,
    // Off in production unless GRAPHQL_INTROSPECTION=true. `_service { sdl }` is an ordinary field, so
    // a router can still read the subgraph schema.
    introspection: config.introspection,
    // Without introspection, "Did you mean ...?" suggestions would reveal the schema field by field.
    hideSchemaDetailsFromClientErrors: !config.introspection,
    includeStacktraceInErrorResponses: !config.production,
    // Automatic persisted queries stay on, except in safelist mode, where nothing new may be registered.
    persistedQueries: limits.safelistManifest ? false : {},
    parseOptions: parseOptions(limits),
    validationRules: [knownOperationTypesRule, ...documentValidationRules(limits)],
    // main.ts owns SIGTERM/SIGINT: it flips /readyz, drains and exits 0. Apollo's own handler would
    // stop the server behind our back and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: withoutStackForExpectedErrors,
    plugins: [
      operationPlugin(metrics),
      // Conversations are marked @cacheControl(scope: PRIVATE) in the schema: what the caller's token
      // may see must never sit in a shared cache. With CACHE_MAX_AGE_SECONDS=0 (the default) nothing is
      // cacheable, so the plugin's per-field work is skipped and the HTTP front answers no-store.
      config.cacheMaxAgeSeconds > 0
        ? ApolloServerPluginCacheControl({ defaultMaxAge: config.cacheMaxAgeSeconds })
        : ApolloServerPluginCacheControlDisabled(),
      operationCostPlugin(limits.maxLookups),
      // Browsers get this service's own offline IDE (ide.ts), never Apollo's CDN-loaded landing page.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
}

/**
 * Outside production Apollo attaches a stack trace to every error. For errors raised on purpose (a 404
 * upstream, a bad id, an invalid document, a limit) the stack says nothing a client can use, so it is
 * dropped; only bugs (INTERNAL_SERVER_ERROR) keep it.
 */
function withoutStackForExpectedErrors(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const expected =
    unwrapResolverError(error) instanceof ConversationServiceError ||
    (formatted.extensions?.code !== undefined && formatted.extensions.code !== 'INTERNAL_SERVER_ERROR');
  if (!expected || !formatted.extensions?.stacktrace) {
    return formatted;
  }
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
