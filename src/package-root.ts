// The package's root directory (where package.json, schema/ and dist/ide/ are), wherever this module
// runs from: src/ under ts-jest, dist/ under `npm start`, dist-dev/src/ under `npm run sandbox`.
import { existsSync } from 'node:fs';

function findRoot(): URL {
  for (let candidate = new URL('..', import.meta.url); ; candidate = new URL('..', candidate)) {
    if (existsSync(new URL('package.json', candidate)) && existsSync(new URL('schema/', candidate))) return candidate;
    if (candidate.pathname === '/') throw new Error(`no package root above ${import.meta.url}`);
  }
}

export const PACKAGE_ROOT: URL = findRoot();
