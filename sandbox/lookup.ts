// Step 6 of a request: what HighLevel answers for an id, once the headers and rate limits let it through.
import { SANDBOX_CONVERSATIONS, SANDBOX_FAULT_CONVERSATIONS, type SandboxConversation, type SandboxLocation, generatedConversation } from './data.js';
import { type Reply, conversationReply, errorReply } from './replies.js';

const VALID_ID = /^[A-Za-z0-9_-]{1,64}$/;

const CONVERSATIONS_BY_ID: ReadonlyMap<string, SandboxConversation> = new Map(
  [...SANDBOX_CONVERSATIONS, ...SANDBOX_FAULT_CONVERSATIONS].map((conversation) => [conversation.body.id, conversation]),
);

/** A seeded, fault or generated conversation with this id, as seeded. */
export function findConversation(id: string, generated: number): SandboxConversation | undefined {
  return CONVERSATIONS_BY_ID.get(id) ?? generatedConversation(id, generated);
}

/**
 * Step 6, for a request that passed the header checks and the rate limits. `current` gives the
 * conversation as changed since (POST /sandbox/conversations/{id}, see changes.ts).
 */
export function lookup(id: string, location: SandboxLocation, generated: number, current: (conversation: SandboxConversation) => SandboxConversation = (c) => c): Reply {
  if (!VALID_ID.test(id)) {
    return errorReply(422, ['conversationId must be a valid id'], 'Unprocessable Entity');
  }
  const seeded = findConversation(id, generated);
  const conversation = seeded && current(seeded);
  if (conversation === undefined) return errorReply(404, 'Conversation not found', 'Not Found');
  if (conversation.location.id !== location.id) {
    return errorReply(403, 'The token does not have access to this location.');
  }
  return conversationReply(conversation);
}
