// Structured JSON logs (pino) on stdout. Credentials are redacted by path as a second line of defence:
// the code never logs a token on purpose, and these paths catch the places one could slip in.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';
import { SERVICE_NAME } from '../service-info.js';

export type { Logger };

const REDACTED_PATHS = [
  'authorization',
  'token',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  '*.authorization',
];

/** @param destination where lines go; stdout by default, a capturing stream in tests. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    name: SERVICE_NAME,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    base: undefined,
  };
  return destination ? pino(options, destination) : pino(options);
}
