// The GraphQL IDE (GraphiQL) for browsers opening /graphql, outside production. Its script and styles
// are bundled at build time (scripts/build-ide.mjs) into dist/ide/ and served from here, so the page
// makes no request to anything but this service.
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import { PACKAGE_ROOT } from './package-root.js';

/** dist/ide/ of this package, wherever this module runs from. */
const ASSETS = new URL('dist/ide/', PACKAGE_ROOT);
const FILES: Record<string, string> = {
  'graphiql.js': 'text/javascript; charset=utf-8',
  'graphiql.css': 'text/css; charset=utf-8',
};
export const IDE_ASSET_PREFIX = '/graphql/ide/';

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>HighLevel conversations GraphQL</title>
    <link rel="stylesheet" href="./graphql/ide/graphiql.css" />
    <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <div id="graphiql">Loading the GraphQL IDE…</div>
    <script type="module" src="./graphql/ide/graphiql.js"></script>
  </body>
</html>
`;

/** A browser navigating to /graphql (HTML accepted, no operation in the URL) gets the IDE page. */
export function wantsIdePage(req: http.IncomingMessage, search: string): boolean {
  if (req.method !== 'GET' || !(req.headers.accept ?? '').includes('text/html')) return false;
  const params = new URLSearchParams(search);
  return !params.has('query') && !params.has('documentId') && !params.has('extensions');
}

export function sendIdePage(res: http.ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(PAGE),
    'cache-control': 'no-store',
    // The page loads only its own script and styles, and talks only to this origin.
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
  });
  res.end(PAGE);
}

/** Serves dist/ide/<file>; false when the path is not an IDE asset. */
export async function sendIdeAsset(res: http.ServerResponse, pathname: string): Promise<boolean> {
  const name = pathname.slice(IDE_ASSET_PREFIX.length);
  const type = FILES[name];
  if (!type) return false;
  let body: Buffer;
  try {
    body = await readFile(new URL(name, ASSETS));
  } catch {
    const message = 'The IDE is not built: run `npm run build`.';
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message) });
    res.end(message);
    return true;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'public, max-age=300' });
  res.end(body);
  return true;
}
