// The sandbox's live side: `POST /sandbox/conversations/{id}` with the fields to change (unreadCount,
// inbox, starred, deleted) changes the conversation as later reads see it, then signs and sends the
// matching ConversationUnreadUpdate webhook to the service, the way HighLevel would: Ed25519 over the raw
// body in x-ghl-signature and RSA-SHA256 in x-wh-signature. Its key pairs are made at start-up, for
// testing only; the service is configured with their public halves (`npm run sandbox` does it).
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxConversation, SandboxConversationBody } from './data.js';
import { deliver, jsonReply } from './replies.js';

const CHANGEABLE = { unreadCount: 'number', inbox: 'boolean', starred: 'boolean', deleted: 'boolean' } as const;
type Change = Partial<Pick<SandboxConversationBody, keyof typeof CHANGEABLE>>;

export const CHANGE_PATH = /^\/sandbox\/conversations\/([A-Za-z0-9_-]{1,64})$/;

export class SandboxChanges {
  readonly #ed25519 = generateKeyPairSync('ed25519');
  readonly #rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly #changes = new Map<string, Change>();
  #webhookUrl: string | undefined;

  /** The public keys to configure the service with (WEBHOOK_SIGNATURE_PUBLIC_KEY, WEBHOOK_PUBLIC_KEY). */
  get publicKeys(): { ed25519: string; rsa: string } {
    return {
      ed25519: this.#ed25519.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      rsa: this.#rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }

  /** A body's signatures, as HighLevel sends them (base64): x-ghl-signature and x-wh-signature, or one of them. */
  sign(body: string, scheme: 'both' | 'ed25519' | 'rsa' = 'both'): { ed25519?: string; rsa?: string } {
    return {
      ...(scheme !== 'rsa' ? { ed25519: sign(null, Buffer.from(body), this.#ed25519.privateKey).toString('base64') } : {}),
      ...(scheme !== 'ed25519' ? { rsa: sign('sha256', Buffer.from(body), this.#rsa.privateKey).toString('base64') } : {}),
    };
  }

  /** Where webhooks go (the service's /webhooks/highlevel); none are sent before it is set. */
  sendWebhooksTo(url: string | undefined): void {
    this.#webhookUrl = url;
  }

  /** The conversation as changed so far. */
  current(conversation: SandboxConversation): SandboxConversation {
    const change = this.#changes.get(conversation.body.id);
    return change ? { ...conversation, body: { ...conversation.body, ...change } } : conversation;
  }

  clear(): void {
    this.#changes.clear();
  }

  /** Handles the change request for a conversation found by `find`. */
  async handle(req: IncomingMessage, res: ServerResponse, id: string, find: (id: string) => SandboxConversation | undefined): Promise<void> {
    const found = find(id);
    if (!found) return answer(req, res, 404, { error: `No conversation ${id} in the sandbox` });
    const change = parseChange(await readBody(req));
    if (typeof change === 'string') return answer(req, res, 400, { error: change });
    this.#changes.set(id, { ...this.#changes.get(id), ...change });
    const body = this.current(found).body;
    const webhook = await this.#send({
      type: 'ConversationUnreadUpdate',
      locationId: found.location.id,
      id,
      contactId: body.contactId,
      unreadCount: body.unreadCount,
      inbox: body.inbox,
      starred: body.starred ?? false,
      deleted: body.deleted,
      timestamp: new Date().toISOString(),
      webhookId: randomUUID(),
    });
    answer(req, res, 200, { conversation: body, webhook });
  }

  /** Signs the event with both schemes and posts it; what the service answered, or why it could not. */
  async #send(event: Record<string, unknown>): Promise<{ status: number; body: unknown } | { error: string }> {
    if (!this.#webhookUrl) return { error: 'no webhook URL configured (sendWebhooksTo)' };
    const raw = JSON.stringify(event);
    const signatures = this.sign(raw);
    const headers = { 'content-type': 'application/json', 'x-ghl-signature': signatures.ed25519 as string, 'x-wh-signature': signatures.rsa as string };
    try {
      const response = await fetch(this.#webhookUrl, { method: 'POST', headers, body: raw });
      return { status: response.status, body: await response.json().catch(() => null) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
}

function parseChange(text: string): Change | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'The body must be JSON, such as {"unreadCount": 3}';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'The body must be a JSON object';
  const change: Record<string, unknown> = {};
  for (const [name, given] of Object.entries(value)) {
    const type = CHANGEABLE[name as keyof typeof CHANGEABLE];
    if (type === undefined) return `"${name}" cannot be changed: only ${Object.keys(CHANGEABLE).join(', ')}`;
    if (typeof given !== type || (name === 'unreadCount' && !(Number.isInteger(given) && (given as number) >= 0))) return `"${name}" must be a ${type === 'number' ? 'whole number >= 0' : type}`;
    change[name] = given;
  }
  return change as Change;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text = (text + chunk).slice(0, 10_000)));
    req.once('end', () => resolve(text));
    req.once('error', reject);
  });
}

function answer(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  deliver(req, res, { kind: 'reply', reply: jsonReply(status, body) });
}
