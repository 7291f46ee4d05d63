/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** The communication channel a conversation runs on (HighLevel's numeric `type`). */
export type ChannelType =
  /** Email (HighLevel type 2). */
  | 'EMAIL'
  /** Facebook Messenger (HighLevel type 3). */
  | 'FACEBOOK_MESSENGER'
  /** Group SMS (HighLevel type 5). */
  | 'GROUP_SMS'
  /** Internal chat between team members (HighLevel type 6). */
  | 'INTERNAL_CHAT'
  /** Phone calls and SMS (HighLevel type 1). */
  | 'PHONE'
  /** Reviews, such as Google reviews (HighLevel type 4). */
  | 'REVIEW'
  /**
   * A channel this service does not know yet (any other value HighLevel sends). The conversation's other
   * fields are still valid; update the client when a new channel appears.
   */
  | 'UNKNOWN';

export type ConversationHeaderQueryVariables = Exact<{
  id: string | number;
}>;


export type ConversationHeaderQuery = { conversation: { id: string, type: ChannelType, unreadCount: number, starred: boolean, assignedTo: string | null } | null };

export type InboxQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type InboxQuery = { conversations: Array<{ id: string, type: ChannelType, unreadCount: number, inbox: boolean } | null> };

export type InboxUpdatesSubscriptionVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type InboxUpdatesSubscription = { conversationUpdated: { id: string, unreadCount: number, inbox: boolean, starred: boolean } };


export const ConversationHeaderDocument = {"__meta__":{"hash":"sha256:c2b04140aa31c14e6610041902bb0f71c34349aba0a448d7a500009d4f864f18"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConversationHeader"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conversation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"unreadCount"}},{"kind":"Field","name":{"kind":"Name","value":"starred"}},{"kind":"Field","name":{"kind":"Name","value":"assignedTo"}}]}}]}}]} as unknown as DocumentNode<ConversationHeaderQuery, ConversationHeaderQueryVariables>;
export const InboxDocument = {"__meta__":{"hash":"sha256:ca4a302d11833ff6e852fa91e3f958e8f1d05e804b13719dc65a556089f3f775"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Inbox"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conversations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"unreadCount"}},{"kind":"Field","name":{"kind":"Name","value":"inbox"}}]}}]}}]} as unknown as DocumentNode<InboxQuery, InboxQueryVariables>;
export const InboxUpdatesDocument = {"__meta__":{"hash":"sha256:1618d78514c75d33d2b66fa94bd85596b17c240231ee8a74414fc1e28aff4c33"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"InboxUpdates"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conversationUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"unreadCount"}},{"kind":"Field","name":{"kind":"Name","value":"inbox"}},{"kind":"Field","name":{"kind":"Name","value":"starred"}}]}}]}}]} as unknown as DocumentNode<InboxUpdatesSubscription, InboxUpdatesSubscriptionVariables>;