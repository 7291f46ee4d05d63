/// <reference lib="dom" />
// System tier: the bundled GraphiQL page in Debian's Chromium (playwright-core), against a running service.
/// <reference lib="dom.iterable" />
// The IDE in a real browser: Debian's headless Chromium, driven by playwright-core, opens /graphql on
// the service (running against the sandbox), runs a conversation query by clicking, and the test reads
// the answer from the page. The browser must make no request outside loopback.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, chromium } from 'playwright-core';
import { SANDBOX_IDS } from '../sandbox/data.js';
import { LOCATION_A, type Stack, startStack } from './support/stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT = new URL('../artifacts/ide.png', import.meta.url).pathname;

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack({ live: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium tries to reach Google's hosts at start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const isLoopback = (url: string) => /^(data:|blob:|about:)/.test(url) || ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);

describe('the GraphQL IDE', () => {
  it('runs a conversation query by clicking, with the schema docs loaded, and nothing fetched from outside', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(stack.service.graphqlUrl, { waitUntil: 'networkidle' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');

    // The headers editor is open and prefilled for Authorization; put a real sandbox token in.
    const headers = await page.evaluate(() => {
      const editors = [...document.querySelectorAll('.CodeMirror')] as Array<Element & { CodeMirror: { getValue(): string } }>;
      return editors.map((editor) => editor.CodeMirror.getValue()).find((value) => value.includes('Authorization')) ?? '';
    });
    expect(headers).toContain('"Authorization": "Bearer');
    // The default query asks for one conversation by $id: fill in the variables and a sandbox token.
    const query = await page.evaluate(
      () => (document.querySelector('.graphiql-query-editor .CodeMirror') as Element & { CodeMirror: { getValue(): string } }).CodeMirror.getValue(),
    );
    expect(query).toContain('query Conversation($id: ID!)');
    await page.evaluate(
      ({ token, id }) => {
        type Editor = Element & { CodeMirror: { getValue(): string; setValue(value: string): void } };
        const editors = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')] as Editor[];
        const [variables, headers] = [...editors].sort((a) => (a.CodeMirror.getValue().includes('Authorization') ? 1 : -1));
        headers?.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }));
        variables?.CodeMirror.setValue(JSON.stringify({ id }));
      },
      { token: LOCATION_A.token, id: SANDBOX_IDS.phone },
    );

    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => {
      const result = document.querySelector('.result-window .CodeMirror') as (Element & { CodeMirror: { getValue(): string } }) | null;
      return result?.CodeMirror.getValue().includes('unreadCount');
    });
    const result = await page.evaluate(
      () => (document.querySelector('.result-window .CodeMirror') as Element & { CodeMirror: { getValue(): string } }).CodeMirror.getValue(),
    );
    expect(JSON.parse(result)).toEqual({
      data: { conversation: { id: SANDBOX_IDS.phone, type: 'PHONE', unreadCount: 2, starred: true, assignedTo: 'W2B09YT8D04WvDSDs6T2' } },
    });

    // The schema's docs are there: open the documentation explorer and find the Query type's fields.
    await page.click('[aria-label="Show Documentation Explorer"]');
    await page.waitForSelector('.graphiql-doc-explorer');
    await page.getByText('Query', { exact: true }).first().click();
    await page.waitForSelector('text=conversations');

    mkdirSync(new URL('../artifacts/', import.meta.url), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    expect(requested.length).toBeGreaterThan(2);
    expect(requested.filter((url) => !isLoopback(url))).toEqual([]);
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(1);
    await page.close();
  }, 60_000);

  it('runs a subscription over WebSocket with the Headers tab\'s token, and shows the change a sandbox webhook brings', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(stack.service.graphqlUrl, { waitUntil: 'networkidle' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    await page.evaluate(
      ({ token, id }) => {
        type Editor = Element & { CodeMirror: { getValue(): string; setValue(value: string): void } };
        (document.querySelector('.graphiql-query-editor .CodeMirror') as Editor).CodeMirror.setValue(`subscription Live { conversationUpdated(ids: ["${id}"]) { id unreadCount } }`);
        const editors = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')] as Editor[];
        const headers = editors.find((editor) => editor.CodeMirror.getValue().includes('Authorization'));
        headers?.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }));
      },
      { token: LOCATION_A.token, id: SANDBOX_IDS.email },
    );
    const before = stack.sandbox.callsFor(SANDBOX_IDS.email);
    // GraphiQL takes an edit into its state after a short debounce: clicking at once would run the old query.
    await page.waitForTimeout(500);
    await page.click('.graphiql-execute-button');
    // Subscribed once the id was read with the token; then a change at the sandbox sends the webhook.
    for (let i = 0; i < 500 && stack.sandbox.callsFor(SANDBOX_IDS.email) === before; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stack.sandbox.callsFor(SANDBOX_IDS.email)).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fetch(`${stack.sandbox.url}/sandbox/conversations/${SANDBOX_IDS.email}`, { method: 'POST', body: JSON.stringify({ unreadCount: 11 }) });
    await page.waitForFunction(() => {
      const result = document.querySelector('.result-window .CodeMirror') as (Element & { CodeMirror: { getValue(): string } }) | null;
      return result?.CodeMirror.getValue().includes('11');
    });
    const result = await page.evaluate(
      () => (document.querySelector('.result-window .CodeMirror') as Element & { CodeMirror: { getValue(): string } }).CodeMirror.getValue(),
    );
    expect(JSON.parse(result)).toEqual({ data: { conversationUpdated: { id: SANDBOX_IDS.email, unreadCount: 11 } } });
    await page.close();
  }, 60_000);

  it('is not served in production', async () => {
    const production = await startStack({ config: { graphql: { production: true, introspection: false } } });
    try {
      const page = await fetch(production.service.graphqlUrl, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
      const asset = await fetch(`${production.service.url}/graphql/ide/graphiql.js`);
      expect(asset.status).toBe(404);
    } finally {
      await production.stop();
    }
  });
});
