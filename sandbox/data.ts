// Seed data for the sandbox upstream (sandbox/upstream.ts), and the faults it can play.
//
// Everything here is fixed and hand-written so that tests, the demo command and people reading logs all
// see the same ids from run to run. The records cover every shape the GraphQL layer has to cope with:
// each channel type 1..6, assigned and unassigned, `starred` true/false/absent, a deleted record, one
// outside the inbox, and the edge cases HighLevel is known or suspected to produce (an unknown numeric
// channel, a string channel, a `{ success, conversation }` wrapper, extra keys).

/** What the sandbox does instead of answering normally, for one id (seeded below) or set by a test. */
export type Fault =
  /** Wait, then answer normally. */
  | { kind: 'delay'; ms: number }
  /** Never answer: the socket stays open until the client gives up or the sandbox closes. */
  | { kind: 'hang' }
  /**
   * Answer with this status. The default body is HighLevel's documented body for the status; an object
   * body is sent as JSON, a string body raw (as text/plain unless `headers` set a content-type).
   */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Destroy the socket with a TCP RST, without answering (the client sees ECONNRESET). */
  | { kind: 'reset' }
  /** 200 with an HTML body, like an error page from a CDN in front of the API. */
  | { kind: 'not-json' }
  /** 200 with JSON that is not a conversation. */
  | { kind: 'invalid-shape' }
  /** 200 with a conversation padded to `bytes` bytes (an oversized answer). */
  | { kind: 'oversized'; bytes: number }
  /** 200 headers and the first half of the body, then nothing more (a body that never finishes). */
  | { kind: 'stall-body' }
  /**
   * An error body (default 401) that echoes the request's credential back, as a careless upstream might:
   * the Authorization value as sent, the credential in upper and lower case, and in `traceId`.
   */
  | { kind: 'echo-token'; status?: number };

/** A HighLevel sub-account ("location") and the Private Integration Token that reads it. */
export interface SandboxLocation {
  readonly id: string;
  readonly name: string;
  /** Bearer token accepted by the sandbox; it only grants access to this location's conversations. */
  readonly token: string;
}

/** The documented fields of a conversation body. */
interface SandboxConversationFields {
  readonly id: string;
  readonly contactId: string;
  readonly locationId: string;
  readonly deleted: boolean;
  readonly inbox: boolean;
  /** Normally 1..6, but the edge records carry 99 and "TYPE_EMAIL". */
  readonly type: number | string;
  readonly unreadCount: number;
  readonly assignedTo?: string;
  readonly starred?: boolean;
}

/** A conversation body exactly as HighLevel returns it (the flat form), extra keys included. */
export interface SandboxConversationBody extends SandboxConversationFields {
  readonly [extra: string]: unknown;
}

/** One seeded record: who owns it, how it is served, and the body itself. */
export interface SandboxConversation {
  /** Owning location; any other location's token gets a 403. */
  readonly location: SandboxLocation;
  /** When true the sandbox serves `{ success: true, conversation: body, traceId }` instead of `body`. */
  readonly wrapped: boolean;
  readonly body: SandboxConversationBody;
}

/** `Version` header values the sandbox accepts (the docs page, the OpenAPI file and the SDK disagree). */
export const SANDBOX_API_VERSIONS = ['2021-04-15', '2021-07-28', '2023-02-21'] as const;

export const SANDBOX_LOCATION_A: SandboxLocation = Object.freeze({
  id: 'HnmebVUANpmBeWIoHB6L',
  name: 'Brightside Dental - Austin',
  token: 'pit-db15a3b2-bfdf-4079-9d1e-4e39f5398779',
});

export const SANDBOX_LOCATION_B: SandboxLocation = Object.freeze({
  id: 'baNwpD17AkNN7wS0n7QA',
  name: 'Harbor & Pine Realty',
  token: 'pit-3e924b24-9d07-4a85-875a-497b2d608a14',
});

export const SANDBOX_LOCATIONS: readonly [SandboxLocation, SandboxLocation] = Object.freeze([
  SANDBOX_LOCATION_A,
  SANDBOX_LOCATION_B,
] as const);

/**
 * A second token of location A (another Private Integration Token of the same sub-account). HighLevel
 * counts its limits per app and location, so it shares location A's budget with A's first token.
 */
export const SANDBOX_SECOND_TOKEN_A = 'pit-5c0e7d41-2b8a-4f3e-9d6c-1a7f8e2b3c4d';

/** Every token the sandbox accepts, and the location each reads. */
export const SANDBOX_TOKENS: ReadonlyMap<string, SandboxLocation> = new Map([
  [SANDBOX_LOCATION_A.token, SANDBOX_LOCATION_A],
  [SANDBOX_SECOND_TOKEN_A, SANDBOX_LOCATION_A],
  [SANDBOX_LOCATION_B.token, SANDBOX_LOCATION_B],
]);

/** Team members (HighLevel user ids) that conversations are assigned to. */
const SANDBOX_USER_IDS = Object.freeze({
  frontDeskA: 'W2B09YT8D04WvDSDs6T2',
  hygienistA: 'VaEkIJcoHfsHVVQB9gR7',
  agentB: 'KCYqsD7MpMadWOzH1Gyk',
  brokerB: 'rwN7Gqdm5fsDXT3mYTER',
} as const);

/** Well-known conversation ids, named after what makes each record interesting. */
export const SANDBOX_IDS = Object.freeze({
  /** type 1, location A, assigned, starred. Also the id used as the example on HighLevel's docs page. */
  phone: 'tDtDnQdgm2LXpyiqYvZ6',
  /** type 2, location A, unassigned, starred false, nothing unread. */
  email: 'tigocyn52wiCOwGeQXmZ',
  /** type 3, location A, assigned, starred absent. */
  facebook: 'ckpwHGoL8IxXMeKlHSsZ',
  /** type 4, location B, unassigned. */
  review: 'o8Focsr1o0VECmbPsiZK',
  /** type 5, location A. */
  groupSms: 'Ivnx3auM2hKKsHQWfRQz',
  /** type 6, location B. */
  internalChat: '1VAjtazL1AcpMwkx1pY8',
  /** deleted: true, inbox: false (moved to trash). */
  deleted: 'H3wsaY9H4luoY0OH8yYk',
  /** inbox: false but not deleted (archived), location B. */
  archived: '6DXXZCUkIAOzrCY1cOun',
  /** type 99: a channel added after this code was written. */
  futureChannel: 'oghCYcgqQx4ncHTXadl5',
  /** type "TYPE_EMAIL": the string form search results use. */
  stringType: 'a2vnMBtfWyar0ULVhTam',
  /** Served as `{ success: true, conversation, traceId }`. */
  wrapped: 'xxSzDLfU0TF0JowqnqV3',
  /** Carries lastMessageBody, lastMessageDate, lastMessageType, dateAdded and tags. */
  extraKeys: 'HctuptOWuGL1vjc07oZC',
  /** A plain phone conversation of location B: reading it with location A's token gives 403. */
  otherLocation: 'EJLsqhWRKLjZUoyP6PNJ',
  /** Location B, 42 unread messages. */
  manyUnread: 'K5YUk6bLY22A90p3hIoZ',
  /** Location A, phone, unassigned but starred. */
  unassignedPhone: 'y2lEWxlT9LIoy8vApqPo',
  /** Location B, email, assigned. */
  assignedEmail: 'mGOBAZrTaVi4dJw01W22',
  /** Well-formed but not seeded: always 404. */
  missing: 'zDZOtTSg6kSGPqiVglSp',
} as const);

type SeedBody = Omit<SandboxConversationFields, 'locationId'> & Readonly<Record<string, unknown>>;

function seed(location: SandboxLocation, body: SeedBody, wrapped = false): SandboxConversation {
  // Frozen so a test that mutates what it imported cannot change what the server sends to the next test.
  // locationId goes third, where HighLevel's docs list it.
  const { id, contactId, ...rest } = body;
  const full: SandboxConversationBody = Object.freeze({ id, contactId, locationId: location.id, ...rest });
  return Object.freeze({ location, wrapped, body: full });
}

const A = SANDBOX_LOCATION_A;
const B = SANDBOX_LOCATION_B;
const U = SANDBOX_USER_IDS;

export const SANDBOX_CONVERSATIONS: readonly SandboxConversation[] = Object.freeze([
  seed(A, { id: SANDBOX_IDS.phone, contactId: 'XpyVK8blHQByPriW03Xa', deleted: false, inbox: true, type: 1, unreadCount: 2, assignedTo: U.frontDeskA, starred: true }),
  seed(A, { id: SANDBOX_IDS.email, contactId: 'KfFXCMLpWr86w2A6i6Lf', deleted: false, inbox: true, type: 2, unreadCount: 0, starred: false }),
  seed(A, { id: SANDBOX_IDS.facebook, contactId: 'iSSqH6fVEpboXQTX4Aen', deleted: false, inbox: true, type: 3, unreadCount: 5, assignedTo: U.hygienistA }),
  seed(B, { id: SANDBOX_IDS.review, contactId: 's4CjVOTM6FrwHBA66Qhs', deleted: false, inbox: true, type: 4, unreadCount: 1 }),
  seed(A, { id: SANDBOX_IDS.groupSms, contactId: 'mhjt8KCGG9m5kXhZ1B3f', deleted: false, inbox: true, type: 5, unreadCount: 0, assignedTo: U.frontDeskA, starred: true }),
  seed(B, { id: SANDBOX_IDS.internalChat, contactId: 'oZhOrVoc5r20Oqy7Sm4k', deleted: false, inbox: true, type: 6, unreadCount: 3, assignedTo: U.agentB, starred: false }),
  seed(A, { id: SANDBOX_IDS.deleted, contactId: '5TJh5jnbmY6nf07r1OvD', deleted: true, inbox: false, type: 1, unreadCount: 0 }),
  seed(B, { id: SANDBOX_IDS.archived, contactId: 'QPsjCPIqPyvnx0Hslq4a', deleted: false, inbox: false, type: 2, unreadCount: 0, assignedTo: U.brokerB, starred: false }),
  seed(A, { id: SANDBOX_IDS.futureChannel, contactId: 'pd4c0nP5GwLjXYoTvDlB', deleted: false, inbox: true, type: 99, unreadCount: 1 }),
  seed(A, { id: SANDBOX_IDS.stringType, contactId: 'Hiv9zB0PK0sUpjFPJXoy', deleted: false, inbox: true, type: 'TYPE_EMAIL', unreadCount: 4, assignedTo: U.hygienistA }),
  seed(A, { id: SANDBOX_IDS.wrapped, contactId: 'vsvZsfiKW7BtxtHCGuZZ', deleted: false, inbox: true, type: 1, unreadCount: 1, assignedTo: U.frontDeskA, starred: false }, true),
  seed(A, {
    id: SANDBOX_IDS.extraKeys,
    contactId: 'OWkYI80ut8zdHKbH6vZq',
    deleted: false,
    inbox: true,
    type: 1,
    unreadCount: 1,
    assignedTo: U.hygienistA,
    lastMessageBody: 'Hi! Can we move my cleaning to Thursday afternoon?',
    lastMessageDate: 1762354800000, // 2025-11-05T15:00:00Z
    lastMessageType: 'TYPE_SMS',
    dateAdded: 1759305600000, // 2025-10-01T08:00:00Z
    tags: Object.freeze(['recall-due', 'insurance-delta']),
  }),
  seed(B, { id: SANDBOX_IDS.otherLocation, contactId: 'pTbaUjo5npNQ7qf3hwws', deleted: false, inbox: true, type: 1, unreadCount: 2, assignedTo: U.agentB, starred: true }),
  seed(B, { id: SANDBOX_IDS.manyUnread, contactId: 'xY6gLl19PfYaIngbQT8C', deleted: false, inbox: true, type: 3, unreadCount: 42 }),
  seed(A, { id: SANDBOX_IDS.unassignedPhone, contactId: 'jyGul8K3BZ8I3fTilP6F', deleted: false, inbox: true, type: 1, unreadCount: 7, starred: true }),
  seed(B, { id: SANDBOX_IDS.assignedEmail, contactId: 'bxyYahU8TtLzpsqpL5Fh', deleted: false, inbox: true, type: 2, unreadCount: 1, assignedTo: U.brokerB }),
]);

/**
 * Ids that always misbehave, for demos and tests that need no setup. They survive `reset()`; a fault set
 * with `setFault` on the same id (or on '*') takes precedence while it lasts.
 */
export const SANDBOX_FAULT_IDS = Object.freeze({
  internalError: 'fault-500',
  unavailable: 'fault-503',
  burstLimited: 'fault-429',
  dailyLimited: 'fault-429-daily',
  badRequest: 'fault-400',
  hang: 'fault-hang',
  slow: 'fault-slow',
  reset: 'fault-reset',
  notJson: 'fault-not-json',
  invalidShape: 'fault-invalid-shape',
  echoToken: 'fault-echo-token',
} as const);

/** How long `fault-slow` waits before answering. */
const SANDBOX_SLOW_DELAY_MS = 2000;

/** Retry-After (seconds) sent by `fault-429`. */
export const SANDBOX_FAULT_RETRY_AFTER_SECONDS = 7;

/** What each seeded fault id does. */
export const SANDBOX_SEEDED_FAULTS: ReadonlyMap<string, Fault> = new Map<string, Fault>([
  [SANDBOX_FAULT_IDS.internalError, { kind: 'status', status: 500 }],
  [SANDBOX_FAULT_IDS.unavailable, { kind: 'status', status: 503 }],
  [
    SANDBOX_FAULT_IDS.burstLimited,
    {
      kind: 'status',
      status: 429,
      headers: { 'Retry-After': String(SANDBOX_FAULT_RETRY_AFTER_SECONDS), 'X-RateLimit-Remaining': '0' },
    },
  ],
  [SANDBOX_FAULT_IDS.dailyLimited, { kind: 'status', status: 429, headers: { 'X-RateLimit-Daily-Remaining': '0' } }],
  [SANDBOX_FAULT_IDS.badRequest, { kind: 'status', status: 400 }],
  [SANDBOX_FAULT_IDS.hang, { kind: 'hang' }],
  [SANDBOX_FAULT_IDS.slow, { kind: 'delay', ms: SANDBOX_SLOW_DELAY_MS }],
  [SANDBOX_FAULT_IDS.reset, { kind: 'reset' }],
  [SANDBOX_FAULT_IDS.notJson, { kind: 'not-json' }],
  [SANDBOX_FAULT_IDS.invalidShape, { kind: 'invalid-shape' }],
  [SANDBOX_FAULT_IDS.echoToken, { kind: 'echo-token' }],
]);

/**
 * Records that exist only so a seeded fault can end in a normal answer: `fault-slow` delays, then is looked
 * up like any conversation. Kept apart from SANDBOX_CONVERSATIONS, whose ids are all real-looking.
 */
export const SANDBOX_FAULT_CONVERSATIONS: readonly SandboxConversation[] = Object.freeze([
  seed(A, { id: SANDBOX_FAULT_IDS.slow, contactId: '1MA40qa613ZvCaOHcAIk', deleted: false, inbox: true, type: 1, unreadCount: 0 }),
]);

const GENERATED_PREFIX = 'gen';

/** Id of the i-th generated conversation (see the sandbox's `generatedConversations` option): 20 characters. */
export function generatedConversationId(index: number): string {
  return `${GENERATED_PREFIX}${String(index).padStart(17, '0')}`;
}

/** The generated conversation with this id, when the sandbox has at least that many; else undefined. */
export function generatedConversation(id: string, count: number): SandboxConversation | undefined {
  if (!id.startsWith(GENERATED_PREFIX)) return undefined;
  const index = Number(id.slice(GENERATED_PREFIX.length));
  if (!Number.isInteger(index) || index < 0 || index >= count || generatedConversationId(index) !== id) return undefined;
  const channel = (index % 6) + 1;
  return seed(A, { id, contactId: `gc${String(index).padStart(18, '0')}`, deleted: false, inbox: true, type: channel, unreadCount: index % 5 });
}
