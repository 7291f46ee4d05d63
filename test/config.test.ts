import { describe, expect, it } from '@jest/globals';
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      highLevelApiUrl: 'https://services.leadconnectorhq.com',
      highLevelApiVersion: '2021-07-28',
      highLevelApiToken: undefined,
      highLevelTimeoutMs: 10000,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        PORT: '8080',
        HIGHLEVEL_API_URL: 'http://127.0.0.1:9999/base/',
        HIGHLEVEL_API_VERSION: '2023-02-21',
        HIGHLEVEL_API_TOKEN: 'pit-123',
        HIGHLEVEL_TIMEOUT_MS: '2500',
        LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      port: 8080,
      highLevelApiUrl: 'http://127.0.0.1:9999/base',
      highLevelApiVersion: '2023-02-21',
      highLevelApiToken: 'pit-123',
      highLevelTimeoutMs: 2500,
      logLevel: 'debug',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '' })).toMatchObject({ port: 4000, logLevel: 'info' });
  });

  it.each([
    ['PORT', 'eighty', 'PORT must be a whole number'],
    ['PORT', '70000', 'PORT must be at most 65535'],
    ['HIGHLEVEL_API_URL', 'ftp://example.com', 'HIGHLEVEL_API_URL must be an http:// or https:// URL'],
    ['HIGHLEVEL_API_URL', 'not a url', 'HIGHLEVEL_API_URL must be an http:// or https:// URL'],
    ['HIGHLEVEL_API_VERSION', '2021 07 28', 'HIGHLEVEL_API_VERSION must be 1-64 printable characters'],
    ['HIGHLEVEL_TIMEOUT_MS', '0', 'HIGHLEVEL_TIMEOUT_MS must be at least 1'],
    ['HIGHLEVEL_TIMEOUT_MS', '-5', 'HIGHLEVEL_TIMEOUT_MS must be a whole number'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
  ])('refuses %s=%j with one line naming the variable', (name, value, expected) => {
    let thrown: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });

  it('never echoes the value of an invalid token', () => {
    expect(() => loadConfig({ HIGHLEVEL_API_TOKEN: 'Bearer secret-value-123' })).toThrow(
      /^Invalid configuration: HIGHLEVEL_API_TOKEN must be printable characters without spaces/,
    );
    try {
      loadConfig({ HIGHLEVEL_API_TOKEN: 'Bearer secret-value-123' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-value-123');
    }
  });

  it('lists every variable with its default for the README table', () => {
    expect(CONFIG_DEFAULTS).toEqual({
      PORT: '4000',
      HIGHLEVEL_API_URL: 'https://services.leadconnectorhq.com',
      HIGHLEVEL_API_VERSION: '2021-07-28',
      HIGHLEVEL_API_TOKEN: undefined,
      HIGHLEVEL_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'info',
    });
  });
});
