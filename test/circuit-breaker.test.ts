// Integration tier: the failure-rate circuit breaker over loopback, against the sandbox. No tenant can
// trip it for another; a real outage still opens it.
import { describe, expect, it } from '@jest/globals';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS, generatedConversationId } from '../sandbox/data.js';
import { LOCATION_A, LOCATION_B, stackPerTest } from './support/stack.js';

const start = stackPerTest();
const QUERY = 'query One($id: ID!) { conversation(id: $id) { id } }';
const codeOf = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => body.errors?.[0]?.extensions?.code;
const stateChanges = (logs: string[]) =>
  logs.map((line) => JSON.parse(line) as { msg: string; state?: string }).flatMap((line) => (line.state && line.msg.startsWith('circuit breaker') ? [line.msg] : []));

describe('circuit breaker', () => {
  it("opens for one tenant on its own run of 500s, leaving another tenant's reads untouched; closes after a probe", async () => {
    const { graphql, sandbox, logs } = await start({
      config: { breaker: { minCalls: 5, cooldownMs: 600 }, upstream: { maxAttempts: 1 } },
    });
    for (let index = 0; index < 5; index += 1) {
      expect(codeOf((await graphql(QUERY, { variables: { id: SANDBOX_FAULT_IDS.internalError } })).body)).toBe('UPSTREAM_ERROR');
    }
    const calls = sandbox.totalCalls();
    const started = Date.now();
    expect(codeOf((await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } })).body)).toBe('UPSTREAM_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(200);
    expect(sandbox.totalCalls()).toBe(calls);
    // Another tenant (location B) reads as if nothing happened.
    expect((await graphql(QUERY, { variables: { id: SANDBOX_IDS.otherLocation }, token: LOCATION_B.token })).body).toEqual({
      data: { conversation: { id: SANDBOX_IDS.otherLocation } },
    });

    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } })).body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
    expect((await graphql(QUERY, { variables: { id: SANDBOX_IDS.email } })).body).toEqual({ data: { conversation: { id: SANDBOX_IDS.email } } });
    expect(stateChanges(logs)).toEqual(['circuit breaker open for one budget', 'circuit breaker half-open for one budget', 'circuit breaker closed for one budget']);
  });

  it('leaves every healthy id succeeding in a storm where 3 of every 7 ids fail on their own (500, reset, hang)', async () => {
    const { graphql, sandbox } = await start({
      sandbox: { generatedConversations: 210, burstLimit: 1_000_000 },
      config: { upstream: { burstLimit: 1_000_000, timeoutMs: 300 }, limits: { operationDeadlineMs: 8000 } },
    });
    const ids = Array.from({ length: 210 }, (_, index) => generatedConversationId(index));
    const faults = [{ kind: 'status', status: 500 }, { kind: 'reset' }, { kind: 'hang' }] as const;
    ids.forEach((id, index) => {
      const fault = faults[index % 7];
      if (fault) sandbox.setFault(id, fault);
    });
    const answers = await Promise.all(ids.map((id) => graphql(QUERY, { variables: { id } })));
    const healthy = answers.filter((_, index) => index % 7 >= 3);
    expect(healthy).toHaveLength(120);
    expect(healthy.map((answer) => codeOf(answer.body) ?? 'ok')).toEqual(Array(120).fill('ok'));
    const failing = answers.filter((_, index) => index % 7 < 3).map((answer) => codeOf(answer.body));
    expect(new Set(failing)).toEqual(new Set(['UPSTREAM_ERROR', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_TIMEOUT']));
  });

  it('opens for everybody when several tenants all fail', async () => {
    const { graphql, sandbox, service } = await start({ config: { breaker: { minCalls: 6 }, upstream: { maxAttempts: 1 } } });
    sandbox.setFault('*', { kind: 'status', status: 500 });
    for (const token of ['pit-tenant-1', 'pit-tenant-2', 'pit-tenant-3']) {
      for (let index = 0; index < 2; index += 1) await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone }, token });
    }
    sandbox.clearFaults();
    const calls = sandbox.totalCalls();
    expect(codeOf((await graphql(QUERY, { variables: { id: SANDBOX_IDS.otherLocation }, token: LOCATION_B.token })).body)).toBe('UPSTREAM_UNAVAILABLE');
    expect(sandbox.totalCalls()).toBe(calls);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^highlevel_circuit_breaker_state 2$/m);
  });

  it('opens for everybody when HighLevel cannot be reached at all', async () => {
    const { graphql, sandbox } = await start({ config: { breaker: { minCalls: 4 }, upstream: { maxAttempts: 1 } } });
    await sandbox.close();
    for (let index = 0; index < 4; index += 1) {
      expect(codeOf((await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } })).body)).toBe('UPSTREAM_UNREACHABLE');
    }
    const started = Date.now();
    expect(codeOf((await graphql(QUERY, { variables: { id: SANDBOX_IDS.otherLocation }, token: LOCATION_B.token })).body)).toBe('UPSTREAM_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('does not count an operation running out of its own time as an outage', async () => {
    const { graphql, sandbox } = await start({
      sandbox: { latencyMs: 400 },
      config: { breaker: { minCalls: 2 }, limits: { operationDeadlineMs: 200 }, upstream: { maxAttempts: 1 } },
    });
    for (const id of [SANDBOX_IDS.phone, SANDBOX_IDS.email, SANDBOX_IDS.facebook]) {
      expect(codeOf((await graphql(QUERY, { variables: { id } })).body)).toBe('UPSTREAM_TIMEOUT');
    }
    expect(sandbox.totalCalls()).toBe(3);
  });

  it('does not count answers that are not outages (404, 401, 429)', async () => {
    const { graphql, sandbox } = await start({ config: { breaker: { minCalls: 2 }, upstream: { maxAttempts: 1 }, limits: { operationDeadlineMs: 1000 } } });
    for (const id of [SANDBOX_IDS.missing, SANDBOX_IDS.missing, SANDBOX_IDS.missing]) await graphql(QUERY, { variables: { id } });
    await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone }, token: 'pit-wrong' });
    await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone }, token: 'pit-wrong' });
    await graphql(QUERY, { variables: { id: SANDBOX_FAULT_IDS.burstLimited }, token: LOCATION_A.token });
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.otherLocation }, token: LOCATION_B.token });
    expect(body).toEqual({ data: { conversation: { id: SANDBOX_IDS.otherLocation } } });
    expect(sandbox.totalCalls()).toBe(7);
  });
});
