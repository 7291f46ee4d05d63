// System tier: the typed client example (examples/frontend/): its generated code is current, it compiles with the
// generated types, and its client gets data and handled error codes from the real service and sandbox,
// by document text and, against a service in safelist mode, by persisted id.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as ExampleClient from '../examples/frontend/src/client.js';
import { SANDBOX_CONVERSATIONS, SANDBOX_FAULT_IDS, SANDBOX_IDS } from '../sandbox/data.js';
import { LOCATION_A, type Stack, startStack } from './support/stack.js';

const ROOT = new URL('..', import.meta.url).pathname;
const EXAMPLE = join(ROOT, 'examples/frontend');
const GENERATED = join(EXAMPLE, 'src/gql');
const MANIFEST = join(GENERATED, 'persisted-documents.json');

// Asynchronous on purpose: the service under test runs in this process, so a blocking child would stall it.
const execFileAsync = promisify(execFile);
async function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const PHONE = SANDBOX_CONVERSATIONS.find((seeded) => seeded.body.id === SANDBOX_IDS.phone)!.body;
const PHONE_HEADER = { id: PHONE.id, type: 'PHONE', unreadCount: PHONE.unreadCount, starred: true, assignedTo: PHONE.assignedTo };

let build: { code: number; stdout: string; stderr: string };
let client: typeof ExampleClient;
beforeAll(async () => {
  build = await node([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(EXAMPLE, 'tsconfig.json')]);
  // The compiled output, as the example's own main.js runs it.
  if (build.code === 0) client = (await import(join(EXAMPLE, 'dist/client.js'))) as typeof ExampleClient;
}, 30_000);

describe('the example\'s build', () => {
  it('compiles with the generated types (tsc -p examples/frontend/tsconfig.json)', () => {
    // On failure, the diff shows tsc's diagnostics.
    expect(build).toMatchObject({ code: 0, stdout: '' });
  });

  it('has generated code equal to a fresh graphql-codegen run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'frontend-codegen-'));
    try {
      const codegen = join(ROOT, 'node_modules/@graphql-codegen/cli/esm/bin.js');
      const run = await node([codegen, '--config', join(EXAMPLE, 'codegen.ts'), '--silent'], { FRONTEND_CODEGEN_OUT: out });
      expect(run).toMatchObject({ code: 0 });
      const files = readdirSync(GENERATED).sort();
      expect(readdirSync(out).sort()).toEqual(files);
      for (const file of files) {
        // A failure names the stale file: regenerate with the README's command.
        expect({ file, content: readFileSync(join(out, file), 'utf8') }).toEqual({ file, content: readFileSync(join(GENERATED, file), 'utf8') });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 30_000);

  it('emits a manifest keyed by the sha256 of each document, the ids the documents carry', () => {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    for (const [id, document] of Object.entries(manifest)) {
      expect(id).toBe(`sha256:${createHash('sha256').update(document).digest('hex')}`);
    }
    expect(Object.values(manifest).map((document) => document.split(/[ ($]/)[1])).toEqual(['ConversationHeader', 'Inbox', 'InboxUpdates']);
  });
});

describe('the example client against the service and the sandbox', () => {
  let stack: Stack;
  let options: ExampleClient.ClientOptions;
  beforeAll(async () => {
    stack = await startStack({ live: true });
    options = { url: stack.service.graphqlUrl, token: LOCATION_A.token };
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('keeps an inbox live: a change at the sandbox reaches watchInbox typed, an unreadable id reaches onError', async () => {
    const changes: unknown[] = [];
    const stop = client.watchInbox(options, [SANDBOX_IDS.facebook], { onChange: (conversation) => changes.push(conversation), onError: () => undefined });
    for (let i = 0; i < 200 && stack.sandbox.callsFor(SANDBOX_IDS.facebook) === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fetch(`${stack.sandbox.url}/sandbox/conversations/${SANDBOX_IDS.facebook}`, { method: 'POST', body: JSON.stringify({ unreadCount: 8 }) });
    for (let i = 0; i < 200 && changes.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(changes).toEqual([{ id: SANDBOX_IDS.facebook, unreadCount: 8, inbox: expect.any(Boolean), starred: expect.any(Boolean) }]);
    stop();
    const errors = await new Promise<ExampleClient.HandledError[]>((resolve) => {
      const end = client.watchInbox({ ...options, token: 'pit-3e924b24-9d07-4a85-875a-497b2d608a14' }, [SANDBOX_IDS.facebook], { onChange: () => undefined, onError: (handled) => (end(), resolve(handled)) });
    });
    expect(errors).toMatchObject([{ code: 'FORBIDDEN', action: { kind: 'no-access' } }]);
  });

  it('reads a seeded conversation', async () => {
    const result = await client.getConversation(options, SANDBOX_IDS.phone);
    expect(result).toEqual({ status: 200, data: { conversation: PHONE_HEADER }, errors: [] });
  });

  it('maps NOT_FOUND and FORBIDDEN to their actions', async () => {
    const missing = await client.getConversation(options, SANDBOX_IDS.missing);
    expect(missing.data).toEqual({ conversation: null });
    expect(missing.errors).toMatchObject([{ code: 'NOT_FOUND', path: ['conversation'], action: { kind: 'not-found' } }]);

    const other = await client.getConversation(options, SANDBOX_IDS.otherLocation);
    expect(other.errors).toMatchObject([{ code: 'FORBIDDEN', path: ['conversation'], action: { kind: 'no-access' } }]);
  });

  it('reads an inbox list, unreadable ids null at their index with their errors', async () => {
    const result = await client.getInbox(options, [SANDBOX_IDS.phone, SANDBOX_IDS.missing, SANDBOX_IDS.otherLocation]);
    expect(result.status).toBe(200);
    expect(result.data?.conversations).toEqual([{ id: PHONE.id, type: 'PHONE', unreadCount: PHONE.unreadCount, inbox: PHONE.inbox }, null, null]);
    const byIndex = Object.fromEntries(result.errors.map((error) => [error.path?.[1], error.code]));
    expect(byIndex).toEqual({ 1: 'NOT_FOUND', 2: 'FORBIDDEN' });
  });

  it('turns RATE_LIMITED into retry-later with retryAfter', async () => {
    // A daily-quota 429 is never retried, and holds back its token: use one no other test uses.
    const result = await client.getConversation({ ...options, token: 'pit-frontend-example-429' }, SANDBOX_FAULT_IDS.dailyLimited);
    expect(result.errors).toMatchObject([{ code: 'RATE_LIMITED', action: { kind: 'retry-later' } }]);
    const action = result.errors[0]?.action;
    expect(action?.kind === 'retry-later' && typeof action.retryAfterSeconds === 'number' && action.retryAfterSeconds > 0).toBe(true);
  });
});

describe('persisted operations: the generated manifest as the service\'s safelist', () => {
  let stack: Stack;
  let options: ExampleClient.ClientOptions;
  beforeAll(async () => {
    stack = await startStack({ config: { limits: { safelistManifest: MANIFEST } } });
    options = { url: stack.service.graphqlUrl, token: LOCATION_A.token };
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('answers the client sending documentId', async () => {
    const one = await client.getConversation({ ...options, persisted: true }, SANDBOX_IDS.phone);
    expect(one).toEqual({ status: 200, data: { conversation: PHONE_HEADER }, errors: [] });
    const inbox = await client.getInbox({ ...options, persisted: true }, [SANDBOX_IDS.phone, SANDBOX_IDS.missing]);
    expect(inbox.data?.conversations).toEqual([expect.objectContaining({ id: PHONE.id }), null]);
    expect(inbox.errors.map((error) => error.code)).toEqual(['NOT_FOUND']);
  });

  it('keeps an inbox live by persisted id over WebSocket too, and refuses the subscription by text', async () => {
    const byText = await new Promise<ExampleClient.HandledError[]>((resolve) => {
      const end = client.watchInbox(options, [SANDBOX_IDS.phone], { onChange: () => undefined, onError: (handled) => (end(), resolve(handled)) });
    });
    expect(byText).toMatchObject([{ code: 'PERSISTED_OPERATION_REQUIRED' }]);
    const read = stack.sandbox.callsFor(SANDBOX_IDS.email);
    const stop = client.watchInbox({ ...options, persisted: true }, [SANDBOX_IDS.email], { onChange: () => undefined, onError: () => undefined });
    for (let i = 0; i < 200 && stack.sandbox.callsFor(SANDBOX_IDS.email) === read; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stack.sandbox.callsFor(SANDBOX_IDS.email)).toBe(read + 1);
    stop();
  });

  it('refuses document text with PERSISTED_OPERATION_REQUIRED', async () => {
    const result = await client.getConversation(options, SANDBOX_IDS.phone);
    expect(result.status).toBe(400);
    expect(result.data).toBeNull();
    expect(result.errors).toMatchObject([{ code: 'PERSISTED_OPERATION_REQUIRED', action: { kind: 'update-app' } }]);
  });

  it('runs the README round trip: main.js in persisted mode', async () => {
    const env = { GRAPHQL_URL: stack.service.graphqlUrl, GRAPHQL_TOKEN: LOCATION_A.token, PERSISTED: 'true' };
    const run = await node([join(EXAMPLE, 'dist/main.js'), SANDBOX_IDS.phone, SANDBOX_IDS.missing], env);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Record<string, ExampleClient.Result<unknown>>;
    expect(printed.conversation?.data).toEqual({ conversation: PHONE_HEADER });
    expect(printed.inbox?.errors).toMatchObject([{ code: 'NOT_FOUND', path: ['conversations', 1] }]);

    const byText = await node([join(EXAMPLE, 'dist/main.js'), SANDBOX_IDS.phone], { ...env, PERSISTED: 'false' });
    expect(byText.code).toBe(1);
    expect(byText.stdout).toContain('PERSISTED_OPERATION_REQUIRED');
  });
});
