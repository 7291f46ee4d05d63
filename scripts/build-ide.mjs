// Bundles the IDE (ide/graphiql.tsx: GraphiQL, React, CodeMirror, their CSS and fonts) into
// dist/ide/graphiql.js and dist/ide/graphiql.css with esbuild. Everything the page needs ships with the
// service, so the IDE works on a machine without internet.
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

await build({
  absWorkingDir: root,
  entryPoints: { graphiql: 'ide/graphiql.tsx' },
  outdir: 'dist/ide',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  // Fonts and images referenced by the CSS are inlined: no second request, nothing external.
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  logLevel: 'warning',
});
