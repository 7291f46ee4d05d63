// `npm run sandbox`: the sandbox upstream and the service wired together, for trying the service
// without a HighLevel account. Prints the GraphQL URL, a working token and a ready-to-paste curl.
import { ConfigError, loadConfig, withOverrides } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startService } from '../src/server.js';
import { loadSafelist } from '../src/limits/persisted-operations.js';
import { SANDBOX_CONVERSATIONS, SANDBOX_FAULT_IDS, SANDBOX_IDS, SANDBOX_LOCATIONS, SANDBOX_SECOND_TOKEN_A, type SandboxLocation } from './data.js';
import { startSandboxUpstream } from './upstream.js';

async function main(): Promise<void> {
  const sandboxPort = Number(process.env.SANDBOX_PORT ?? 4010);
  if (!Number.isInteger(sandboxPort) || sandboxPort < 0 || sandboxPort > 65535) {
    throw new ConfigError('Invalid configuration: SANDBOX_PORT must be a whole number from 0 to 65535');
  }
  const sandbox = await startSandboxUpstream({ port: sandboxPort, host: '127.0.0.1' });
  // The service reads the same variables as `npm start`; the upstream is fixed to the sandbox, and
  // webhooks are verified with the sandbox's test keys (unless keys are configured).
  const loaded = loadConfig(process.env);
  const keys = sandbox.webhooks.publicKeys;
  const config = withOverrides(loaded, {
    upstream: { baseUrl: sandbox.url },
    webhooks: { signaturePublicKey: loaded.webhooks.signaturePublicKey ?? keys.ed25519, publicKey: loaded.webhooks.publicKey ?? keys.rsa },
  });
  const logger = createLogger(config.observability.logLevel);
  const service = await startService({ config, logger });
  sandbox.webhooks.sendWebhooksTo(`${service.url}/webhooks/highlevel`);
  const subscription = `subscription Live { conversationUpdated(ids: ["${SANDBOX_IDS.phone}", "${SANDBOX_IDS.email}"]) { id unreadCount starred inbox } }`;

  const [locationA, locationB] = SANDBOX_LOCATIONS;
  const query = `{ conversation(id: "${SANDBOX_IDS.phone}") { id type unreadCount starred assignedTo } }`;
  // In safelist mode a document is refused: the example asks for the manifest's first operation by id.
  const firstListed = config.limits.safelistManifest ? [...loadSafelist(config.limits.safelistManifest).keys()][0] : undefined;
  const request = firstListed === undefined ? { query } : { documentId: firstListed, variables: { id: SANDBOX_IDS.phone } };
  const body = JSON.stringify(request).replace(/'/g, `'\\''`);
  const reads = (location: SandboxLocation) =>
    `  reads: ${SANDBOX_CONVERSATIONS.filter((conversation) => conversation.location.id === location.id).map((conversation) => conversation.body.id).join(', ')}`;
  process.stdout.write(
    [
      '',
      `Sandbox upstream (HighLevel look-alike): ${sandbox.url}`,
      `GraphQL service:                         ${service.graphqlUrl}`,
      '',
      `Tokens for "${locationA.name}" (location ${locationA.id}; both share its rate budget):`,
      `  ${locationA.token}`,
      `  ${SANDBOX_SECOND_TOKEN_A}`,
      reads(locationA),
      `Token for "${locationB.name}" (location ${locationB.id}):`,
      `  ${locationB.token}`,
      reads(locationB),
      `No token reads ${SANDBOX_IDS.missing} (404); another location's id answers 403.`,
      '',
      firstListed === undefined ? 'Try:' : `Try (safelist mode: operations of ${config.limits.safelistManifest} run by id only):`,
      `  curl -s ${service.graphqlUrl} -H 'content-type: application/json' \\`,
      `    -H 'authorization: Bearer ${locationA.token}' \\`,
      `    -d '${body}'`,
      '',
      `Live: open ${service.graphqlUrl} in a browser, set the header {"authorization": "Bearer ${locationA.token}"}, run`,
      `  ${subscription}`,
      'then change a conversation at the sandbox, which sends the signed webhook to the service:',
      `  curl -s -X POST ${sandbox.url}/sandbox/conversations/${SANDBOX_IDS.phone} -d '{"unreadCount": 5, "starred": false}'`,
      '',
      `Ids that fail on purpose: ${Object.values(SANDBOX_FAULT_IDS).join(', ')}`,
      'Press Ctrl+C to stop.',
      '',
      '',
    ].join('\n'),
  );

  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping: the service drains, then the sandbox closes');
    void service
      .stop()
      .then(() => sandbox.close())
      .finally(() => logger.flush(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
