// Unit tier: the failure-rate circuit breaker on a fake clock. No tenant can trip it for another;
// HighLevel as a whole is declared down only by outages of several tenants, or connection-level ones.
import { describe, expect, it } from '@jest/globals';
import { type CallOutcome, CircuitBreaker } from '../src/upstream/circuit-breaker.js';

function breaker(options: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = { now: 0 };
  const changes: string[] = [];
  const instance = new CircuitBreaker({
    failureRatio: 0.5,
    windowMs: 10_000,
    minCalls: 20,
    minTenants: 3,
    cooldownMs: 1000,
    now: () => clock.now,
    onStateChange: ({ scope, state, tenant }) => changes.push(`${scope}${tenant ? ` ${tenant}` : ''} ${state}`),
    ...options,
  });
  const call = (tenant: string, outcome: CallOutcome) => instance.record(instance.admit(tenant), outcome);
  const calls = (tenant: string, outcome: CallOutcome, count: number) => {
    for (let index = 0; index < count; index += 1) call(tenant, outcome);
  };
  return { instance, clock, changes, call, calls };
}

describe('CircuitBreaker', () => {
  it("opens a tenant's own circuit on its own outages, leaving other tenants and HighLevel alone", () => {
    const { instance, calls, changes } = breaker();
    calls('A', 'outage', 20);
    expect(() => instance.admit('A')).toThrow(/circuit breaker open/);
    expect(instance.refusing('A')).toBe(true);
    expect(instance.refusing('B')).toBe(false);
    expect(() => instance.admit('B')).not.toThrow();
    expect(instance.state).toBe('closed');
    expect(instance.openTenants).toBe(1);
    expect(changes).toEqual(['tenant A open']);
  });

  it('stays closed below the failure ratio, and below the minimum number of calls', () => {
    const mixed = breaker();
    // 3 of every 7 calls fail on their own ids (43 %): the storm of the issue.
    for (let round = 0; round < 30; round += 1) {
      mixed.calls('A', 'success', 4);
      mixed.call('A', 'outage');
      mixed.call('A', 'connection-outage');
      mixed.call('A', 'connection-outage');
    }
    expect(mixed.instance.refusing('A')).toBe(false);
    expect(mixed.instance.state).toBe('closed');
    const few = breaker();
    few.calls('A', 'outage', 19);
    expect(few.instance.refusing('A')).toBe(false);
  });

  it('counts neither deadline misses nor answers that are not outages as outages', () => {
    const { instance, calls } = breaker({ minCalls: 5 });
    calls('A', 'ignored', 50);
    calls('A', 'answered', 10);
    calls('A', 'outage', 5);
    // 5 outages of 15 counted calls: a third, under the ratio.
    expect(instance.refusing('A')).toBe(false);
  });

  it('declares HighLevel down when the outages come from at least minTenants tenants', () => {
    const { instance, calls, changes } = breaker();
    calls('A', 'outage', 10);
    calls('B', 'outage', 9);
    calls('A', 'outage', 1);
    // 20 calls, all outages, but from two tenants (neither with 20 calls of its own).
    expect(instance.state).toBe('closed');
    calls('C', 'outage', 1);
    expect(instance.state).toBe('open');
    expect(() => instance.admit('D')).toThrow(/HighLevel failed repeatedly/);
    expect(changes).toEqual(['upstream open']);
  });

  it('declares HighLevel down on connection-level outages from one tenant, when they are that share of all calls', () => {
    const alone = breaker();
    alone.calls('A', 'connection-outage', 20);
    expect(alone.instance.state).toBe('open');
    // Diluted by the healthy calls of others, one tenant's timeouts do not stop everybody.
    const diluted = breaker();
    diluted.calls('B', 'success', 40);
    diluted.calls('A', 'connection-outage', 20);
    expect(diluted.instance.state).toBe('closed');
    expect(diluted.instance.refusing('A')).toBe(true);
    expect(diluted.instance.refusing('B')).toBe(false);
  });

  it('lets a few probes through after the cool-down: a success closes, an outage opens again', () => {
    const { instance, clock, calls, changes } = breaker({ probes: 3 });
    calls('A', 'outage', 20);
    clock.now = 999;
    expect(instance.refusing('A')).toBe(true);
    clock.now = 1000;
    const probes = [instance.admit('A'), instance.admit('A'), instance.admit('A')];
    expect(() => instance.admit('A')).toThrow(/circuit breaker open/);
    instance.record(probes[0]!, 'outage');
    expect(instance.refusing('A')).toBe(true);
    clock.now = 2000;
    const next = instance.admit('A');
    instance.record(next, 'success');
    expect(instance.refusing('A')).toBe(false);
    expect(instance.openTenants).toBe(0);
    instance.record(probes[1]!, 'success');
    instance.record(probes[2]!, 'success');
    expect(changes).toEqual(['tenant A open', 'tenant A half-open', 'tenant A open', 'tenant A half-open', 'tenant A closed']);
  });

  it('forgets outages older than the window', () => {
    const { instance, clock, calls } = breaker();
    calls('A', 'outage', 15);
    clock.now = 11_000;
    calls('A', 'outage', 10);
    calls('A', 'success', 10);
    expect(instance.refusing('A')).toBe(false);
  });
});
