// esbuild bundles CSS imports into dist/ide/graphiql.css; for the type checker they are side effects only.
declare module '*.css';
