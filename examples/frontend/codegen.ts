// graphql-codegen for the frontend example: `npx graphql-codegen --config examples/frontend/codegen.ts`
// (from the repository root). The output in src/gql/ is committed; test/frontend-example.test.ts
// regenerates it into a temporary directory (FRONTEND_CODEGEN_OUT) and fails when it differs.
import { join } from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

// Paths relative to this file, so that the command works from any directory.
const here = import.meta.dirname;
const out = process.env.FRONTEND_CODEGEN_OUT ?? join(here, 'src/gql');

const config: CodegenConfig = {
  // The SDL the service itself reads at start-up.
  schema: join(here, '../../schema/*.graphql'),
  documents: join(here, 'operations/*.graphql'),
  ignoreNoDocuments: false,
  generates: {
    [`${out}/`]: {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // Emits persisted-documents.json ({ "<sha256>": "<document>" }), the manifest the service's
        // PERSISTED_OPERATIONS_SAFELIST reads, and embeds each hash in its document (`__meta__.hash`).
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      config: {
        // The example is ESM under NodeNext with verbatimModuleSyntax: `.js` suffixes and `import type`.
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
      },
    },
    // The client preset only emits types that operations use; ErrorCode is used by none (it documents
    // extensions.code), so it gets its own file, as a union of string literals.
    [`${out}/error-codes.ts`]: {
      plugins: [{ add: { content: '/* eslint-disable */' } }, 'typescript'],
      config: { onlyEnums: true, enumsAsTypes: true },
    },
  },
};

export default config;
