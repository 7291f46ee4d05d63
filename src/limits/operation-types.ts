// Operations this HTTP endpoint does not run: subscriptions (served over WebSocket, src/live/) and those
// the schema has no root type for. graphql-js 16 validates a `mutation` or `subscription`
// against a schema without that root type without complaint and only fails when executing it, which
// Apollo answers as INTERNAL_SERVER_ERROR, the code that means a bug here. This rule (graphql-js 17 has
// the same one as KnownOperationTypesRule) makes it the client mistake it is: a validation error, 400.
import { GraphQLError, OperationTypeNode, type ValidationContext, type ASTVisitor } from 'graphql';

export function knownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (node.operation === OperationTypeNode.SUBSCRIPTION && schema.getSubscriptionType()) {
        context.reportError(new GraphQLError('Subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) at /graphql, not over HTTP.', { nodes: node }));
        return;
      }
      if (schema.getRootType(node.operation)) return;
      context.reportError(
        new GraphQLError(
          `This service has no ${node.operation} operations: it reads conversations, so send a query instead.`,
          { nodes: node },
        ),
      );
    },
  };
}
