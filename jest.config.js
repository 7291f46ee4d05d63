// Jest runs in its native ESM mode (node --experimental-vm-modules, see package.json's "test"), because
// got and @apollo/server ship only ES modules. ts-jest compiles each TypeScript file to ESM on the fly;
// the mapper lets sources keep the ".js" suffixes that Node's ESM resolution needs after `tsc`.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Entry points run as child processes (test/process.test.ts, test/federation.test.ts) are not instrumented.
  collectCoverageFrom: ['src/**/*.ts', '!src/__generated__/**', '!src/main.ts', '!src/print-schema.ts'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: { global: { lines: 90 } },
  testTimeout: 20000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
