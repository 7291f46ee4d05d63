// Limits on the shape of a GraphQL document, enforced by Apollo before anything runs: a parser token
// limit (graphql-js's own maxTokens) and GraphQL Armor's validation rules for depth, aliases and
// directives. Each refusal is a 400 with a message that states the limit.
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';

export interface DocumentLimits {
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
}

export function parseOptions({ maxTokens }: DocumentLimits): { maxTokens: number } {
  return { maxTokens };
}

export function documentValidationRules({ maxDepth, maxAliases, maxDirectives }: DocumentLimits): ValidationRule[] {
  // exposeLimits: the message says what the limit is, so a client can fix its operation. The rules
  // throw by default, which Apollo would answer as a 500; reporting makes it an ordinary validation error.
  const common = {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  return [
    maxDepthRule({ n: maxDepth, ignoreIntrospection: true, ...common }),
    maxAliasesRule({ n: maxAliases, ...common }),
    maxDirectivesRule({ n: maxDirectives, ...common }),
  ] as unknown as ValidationRule[];
}
