// Shape check: before measuring, every reference must answer what the service answers (byte for byte,
// trace ids blanked); a difference is reported, since the comparison would be unfair.
import { progress } from './progress.mjs';
import { REFERENCES, TARGETS } from './targets.mjs';

function normalise(json) {
  return json.replace(/"traceId":"[^"]*"/g, '"traceId":"-"');
}

export async function shapeCheck(env, workloads) {
  const checks = [];
  for (const workload of workloads.filter((w) => !w.unloaded)) {
    // For the 404 workload, a body whose id is missing (every tenth).
    const body = workload.bodies[workload.name === 'one-id-404' ? 9 : 0];
    const answers = {};
    for (const target of TARGETS) {
      const response = await globalThis.fetch(`${env.targets[target].url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: env.authorization },
        body,
      });
      answers[target] = { status: response.status, body: normalise(await response.text()) };
    }
    const service = answers.service;
    const check = { workload: workload.name, serviceStatus: service.status, serviceHasErrors: service.body.includes('"errors"') };
    for (const proxy of REFERENCES) {
      check[proxy] = answers[proxy].status === service.status && answers[proxy].body === service.body ? 'identical' : 'different';
      if (check[proxy] !== 'identical') {
        progress(`  warning: ${proxy} answers ${workload.name} differently from the service:\n    service: ${service.body.slice(0, 300)}\n    ${proxy}: ${answers[proxy].body.slice(0, 300)}`);
      }
    }
    checks.push(check);
  }
  return checks;
}
