// Validation of conversation ids before they go anywhere near a URL.
//
// The id becomes one path segment of `/conversations/{id}`. encodeURIComponent escapes `/`, `?` and `#`,
// but not `.`: the ids `.` and `..` would survive encoding and be resolved by URL normalisation into
// another path (`/conversations/..` is `/`). Control characters and absurd lengths are refused too, so
// that a hostile id costs no upstream call at all.
import { BadUserInputError } from '../errors.js';

const MAX_CONVERSATION_ID_LENGTH = 128;

// C0 and C1 control characters, DEL included.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** @throws BadUserInputError saying which rule the id broke (without echoing an overlong id). */
export function assertValidConversationId(id: string): void {
  if (id.length === 0) {
    throw new BadUserInputError('Conversation id must not be empty.');
  }
  if (id.length > MAX_CONVERSATION_ID_LENGTH) {
    throw new BadUserInputError(
      `Conversation id must be at most ${MAX_CONVERSATION_ID_LENGTH} characters; got ${id.length}.`,
    );
  }
  if (id === '.' || id === '..') {
    throw new BadUserInputError(`Conversation id must not be "${id}".`);
  }
  if (!id.isWellFormed()) {
    // A lone surrogate cannot be percent-encoded (encodeURIComponent throws) nor sent as UTF-8.
    throw new BadUserInputError('Conversation id must be well-formed Unicode (it contains a lone surrogate).');
  }
  if (CONTROL_CHARACTERS.test(id)) {
    throw new BadUserInputError('Conversation id must not contain control characters.');
  }
}

/** The request path for one conversation: always exactly one segment below `conversations/`. */
export function conversationPath(id: string): string {
  return `/conversations/${encodeURIComponent(id)}`;
}
