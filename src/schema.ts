// The schema's SDL, read from schema/*.graphql (the files frontend teams read, and codegen's input).
import { readdirSync, readFileSync } from 'node:fs';

export const SCHEMA_DIRECTORY = new URL('../schema/', import.meta.url);

/** Every `.graphql` file under schema/, in name order, so the result is the same on every machine. */
export function loadTypeDefs(directory: URL = SCHEMA_DIRECTORY): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(new URL(name, directory), 'utf8'));
}
