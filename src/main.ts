// Entry point of `npm start`: configuration, logger, service, and an orderly stop on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { tracingFromConfig } from './observability/tracing.js';
import { startService } from './server.js';
import { SERVICE_VERSION } from './service-info.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.observability.logLevel);
  const tracing = tracingFromConfig(config.observability);
  const service = await startService({ config, logger, tracing });
  logger.info(
    { url: service.graphqlUrl, upstream: config.upstream.baseUrl, apiVersion: config.upstream.apiVersion, version: SERVICE_VERSION },
    'conversations GraphQL service listening',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.http.shutdownGraceMs }, 'stopping: finishing in-flight requests');
    // Log lines are written asynchronously: flush them before exiting, or the last ones are lost.
    const exit = (code: number) => logger.flush(() => process.exit(code));
    // The drain ends by itself within the grace; this only catches a step after it that hangs (an
    // unreachable trace collector, say), so that the process still ends before an orchestrator's SIGKILL.
    setTimeout(() => {
      logger.error({ graceMs: config.http.shutdownGraceMs }, 'stop did not finish within the grace and 5 s; exiting anyway');
      exit(1);
    }, config.http.shutdownGraceMs + 5000).unref();
    service
      .stop()
      .then(() => tracing?.shutdown())
      .then(
        () => {
          logger.info('stopped');
          exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
