// The service's name and version, read once from package.json so the User-Agent sent to HighLevel and
// the logs always name the build that is running.
import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from './package-root.js';

const packageJson = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as {
  name: string;
  version: string;
};

export const SERVICE_NAME = packageJson.name;
export const SERVICE_VERSION = packageJson.version;
